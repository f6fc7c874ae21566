"""Short job locks kept alive: a dead worker's jobs are taken again once its 30-second lock expires, and a
handler that runs longer than the lock is not run a second time (the heartbeat extends the lock)."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest

from engine.handlers import HandlerRegistry
from engine.worker import DEFAULT_LOCK_SECONDS, Worker
from handlers.newborn import default_registry
from handlers.newborn.samples import sample_application

from .test_crash_points import CrashAt, Killed

SLOW_TOPIC = "service_center.dispatch"


class SlowDepartment:
    """Takes 60 seconds of the service clock (in 0.3 s of real time) before it answers."""

    def __init__(self, handler, clock):
        self.handler, self.clock, self.calls = handler, clock, 0
        self.running = threading.Event()

    def __call__(self, call):
        self.calls += 1
        self.running.set()
        for _ in range(6):
            self.clock.advance(timedelta(seconds=10))
            time.sleep(0.05)
        return self.handler(call)


@pytest.fixture
def slow(clock):
    return SlowDepartment(default_registry().get(SLOW_TOPIC), clock)


@pytest.fixture
def registry(slow, request):
    if "slow" not in request.fixturenames:
        return default_registry()
    wrapped = HandlerRegistry()
    real = default_registry()
    for topic in real.topics():
        wrapped.register(topic, slow if topic == SLOW_TOPIC else real.get(topic))
    return wrapped


def jobs_of(ctx, instance_id):
    with ctx.reader() as uow:
        return {job.topic: (job.locked_by, job.locked_until) for job in uow.jobs.for_instance(instance_id)}


def test_the_default_lock_is_short():
    assert DEFAULT_LOCK_SECONDS == 30
    assert Worker.__init__.__defaults__[1] == DEFAULT_LOCK_SECONDS


def test_a_dead_workers_jobs_are_taken_again_when_its_lock_expires(api, ctx, clock, slow):
    body = api.start(sample_application(clock.now()), drain=False).get_json()
    with pytest.raises(Killed):
        Worker(ctx, name="dies", probe=CrashAt(0)).run_once()  # killed before its first handler
    assert jobs_of(ctx, body["id"])[SLOW_TOPIC][0] == "dies"
    other = Worker(ctx, name="survivor")
    clock.advance(timedelta(seconds=DEFAULT_LOCK_SECONDS - 1))
    assert other.run_once() == 0  # still locked
    clock.advance(timedelta(seconds=2))
    assert other.run_once() == 1  # taken again 31 s after it was taken, well within 45 s
    assert slow.calls == 1


def test_a_handler_longer_than_its_lock_is_not_run_twice(api, ctx, clock, slow):
    """The slow handler takes 60 s of service time, twice the lock; a second worker polls all the while."""
    body = api.start(sample_application(clock.now()), drain=False).get_json()
    first = Worker(ctx, name="slow-one", heartbeat_seconds=0.01)
    second = Worker(ctx, name="eager-one")
    taken_by_second = []
    runner = threading.Thread(target=lambda: first.run_once())
    runner.start()
    assert slow.running.wait(5)
    while runner.is_alive():
        taken_by_second.append(second.run_once())
        time.sleep(0.01)
    runner.join()
    assert slow.calls == 1 and sum(taken_by_second) == 0
    history = api.get(f"/api/process-instances/{body['id']}/history?per_page=200", "supervisor").get_json()
    assert [e["activity_id"] for e in history["items"] if e["kind"] == "service_task_completed"].count("dispatch") == 1
