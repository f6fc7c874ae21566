"""The worker hears of new jobs (issue 26: pushed, not polled): idle, it waits for a job of its topics to be
signalled by the save that made it, and runs it at once -- not after its idle wait, which is only for what no
signal announces (a timer or a retry coming due). Both databases; in this process and from another."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from engine.usecases.accounts import add_user
from engine.worker import Worker
from tests.support.http import Client
from tests.support.lifecycle import accounts, application_for
from tests.support.services import services

IDLE_WAIT = 30.0  # far longer than any test here waits: only a signal can wake the worker in time


def _first_review(call, instance_id: str, within: float) -> float | None:
    """Seconds until the application shows an open review (its service tasks ran), or None."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        status, view = call(instance_id)
        assert status == 200
        if view["open_steps"]:
            return time.monotonic() - started
        time.sleep(0.05)
    return None


def test_an_idle_worker_in_this_process_runs_a_new_job_at_once(api, application, ctx):
    stop = threading.Event()
    worker = Worker(ctx, name="idle-worker")
    thread = threading.Thread(target=worker.run_forever, args=(stop,), kwargs={"idle_wait": IDLE_WAIT}, daemon=True)
    thread.start()
    try:
        time.sleep(0.5)  # it looked, found nothing and waits now
        started = api.post(
            "/api/process-definitions/newborn_birth/start",
            "portal",
            drain=False,
            json={"variables": {"application": application}},
        ).get_json()

        def view(instance_id):
            response = api.get(f"/api/process-instances/{instance_id}", "portal")
            return response.status_code, response.get_json()

        assert _first_review(view, started["id"], within=10) is not None
    finally:
        stop.set()
        thread.join(timeout=5)
    assert not thread.is_alive()  # it saw the stop within its slice, not after its idle wait


def test_an_idle_worker_process_hears_of_another_process_job(ctx, database_url, clock, tmp_path: Path):
    tokens = {user: add_user(ctx, user, **spec) for user, spec in accounts().items()}
    with services(database_url, tmp_path / "logs", apis=1, workers=1, idle_wait=IDLE_WAIT) as running:
        client = Client(running.urls[0])

        def started(seq: int) -> str:
            status, body = client.call(
                "POST",
                "/api/process-definitions/newborn_birth/start",
                tokens["portal"],
                {"variables": {"application": application_for(seq, clock.now())}},
            )
            assert status == 201, body
            return body["id"]

        def view(instance_id):
            return client.call("GET", f"/api/process-instances/{instance_id}", tokens["portal"])

        # the first one may find the worker still starting; once it ran, the worker has nothing to do and waits
        assert _first_review(view, started(1), within=60) is not None
        time.sleep(0.5)
        assert _first_review(view, started(2), within=10) is not None, "the worker process did not run the new job"
