"""Nothing lost, nothing doubled: a killed worker, racing completions, 50 applications at once (issue 4)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from engine.persistence.unit_of_work import ReadOnlyViolation
from engine.worker import Worker
from handlers.newborn.samples import sample_application

from .conftest import CLERK_OF, Api

ROOT = Path(__file__).resolve().parents[2]


def test_worker_killed_mid_job_is_taken_over_and_the_side_effect_happens_once(
    api, application, ctx, database_url, clock
):
    body = api.start(application, drain=False).get_json()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    died = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tests/e2e/dying_worker.py"),
            database_url,
            "30",
            str(clock.offset.total_seconds()),
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        timeout=60,
    )
    assert died.returncode == -9, died.stderr.decode()[-2000:]

    with ctx.uow() as uow:
        [job] = [j for j in uow.jobs.for_instance(body["id"]) if j.topic == "service_center.dispatch"]
        assert job.locked_by == "doomed-worker"
    assert api.worker.run_until_idle() == 0  # its lock has not expired yet: nobody takes it
    clock.advance(timedelta(seconds=31))
    assert api.worker.run_until_idle() > 0

    history = api.get(f"/api/process-instances/{body['id']}/history?per_page=200", "supervisor").get_json()
    dispatched = [
        e for e in history["items"] if e["kind"] == "service_task_completed" and e["activity_id"] == "dispatch"
    ]
    assert len(dispatched) == 1
    assert dispatched[0]["detail"]["result"]["acceptance_number"].endswith("000001")
    with ctx.uow() as uow:  # the department issued one acceptance number, not two
        assert uow.ledger.next_number(f"service_center.acceptance.{clock.now():%Y%m%d}") == 2


def test_two_concurrent_completions_one_wins_the_other_is_409(api, application):
    body = api.start(application).get_json()
    [step] = api.open_steps(body["id"])
    barrier = threading.Barrier(2)
    statuses = []

    def complete(seq):
        barrier.wait()
        statuses.append(api.approve(step["task_id"], "midwifery", seq=seq).status_code)

    threads = [threading.Thread(target=complete, args=(n,)) for n in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200, 409]
    history = api.get(f"/api/process-instances/{body['id']}/history?per_page=200", "supervisor").get_json()
    assert [e["kind"] for e in history["items"]].count("task_completed") == 1


def test_fifty_applications_from_several_threads_with_two_workers(app, ctx, api, clock):
    stop = threading.Event()
    workers = [
        threading.Thread(
            target=Worker(ctx, name=f"w{n}").run_forever, args=(stop,), kwargs={"idle_wait": 0.02}, daemon=True
        )
        for n in (1, 2)
    ]
    for w in workers:
        w.start()
    started: list[dict] = []
    errors: list[str] = []

    def drive(thread_no: int) -> None:
        client = Api(app.test_client(), api.tokens, worker=None)
        client.call = _no_drain(client)
        for k in range(5):
            seq = thread_no * 5 + k + 1
            application = sample_application(clock.now(), seq=seq, channel="window" if seq % 2 else "online")
            response = client.start(application)
            if response.status_code != 201:
                errors.append(f"start {seq}: {response.status_code} {response.get_json()}")
                continue
            body = response.get_json()
            started.append(body)
            try:
                _finish(client, body, seq)
            except AssertionError as err:
                errors.append(f"{body['business_key']}: {err}")

    threads = [threading.Thread(target=drive, args=(n,)) for n in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    stop.set()
    for w in workers:
        w.join(timeout=10)

    assert not errors, errors[:5]
    assert len(started) == 50
    with ctx.uow() as uow:
        for body in started:
            instance = uow.instances.get(body["id"])
            assert instance.state == "completed", body
            done = Counter(
                e.activity_id for e in uow.history.for_instance(body["id"]) if e.kind == "service_task_completed"
            )
            assert done and max(done.values()) == 1, done  # no step ran twice to completion
            assert uow.jobs.for_instance(body["id"]) == []
        series = f"service_center.acceptance.{clock.now():%Y%m%d}"
        assert uow.ledger.next_number(series) == 51  # 50 acceptances, none doubled, none lost


def _no_drain(client):
    original = Api.call

    def call(method, path, user=None, drain=True, **kwargs):
        return original(client, method, path, user, drain=False, **kwargs)

    return call


def _finish(client: Api, body: dict, seq: int, deadline_s: float = 120) -> None:
    """Act as the clerks and the applicant for one application until it completes (workers run apart)."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        instance = client.get(f"/api/process-instances/{body['id']}", "portal").get_json()
        if instance["state"] == "completed":
            return
        assert instance["state"] == "active", instance["state"]
        for waiting in instance["waiting_for"]:
            status = client.message(waiting["message"], body["business_key"]).status_code
            assert status in (200, 404, 409), status  # 404/409: already delivered or raced: look again
        for step in instance["open_steps"]:
            clerk = CLERK_OF[step["group"]]
            status = client.approve(step["task_id"], clerk, seq=seq).status_code
            assert status in (200, 409), status  # 409: the instance was being saved by a worker: retry
        time.sleep(0.01)
    raise AssertionError("did not complete in time")


def test_a_reader_does_not_wait_for_a_writer_and_cannot_commit(api, application, ctx):
    """Views and lookups read in read-only units of work: they see what is committed while a writer holds
    its lock, and they cannot write."""
    body = api.start(application).get_json()
    seen: list = []

    def read() -> None:
        try:
            with ctx.reader() as reader:
                seen.append(reader.instances.get(body["id"]).end_reason)
                try:
                    reader.commit()
                except ReadOnlyViolation:
                    seen.append("refused")
        except Exception as err:  # reported below, not lost in the thread
            seen.append(err)

    with ctx.uow() as writer:
        writer.instances.get(body["id"]).end_reason = "uncommitted"
        writer.flush()  # the writer now holds the database's write lock (SQLite) or the row (PostgreSQL)
        reader = threading.Thread(target=read)
        reader.start()
        reader.join(timeout=10)
        assert not reader.is_alive(), "the reader waited for the writer"
    assert seen == [None, "refused"]
