"""Exactly once towards the departments: a worker killed at any point of a chain of service tasks -- before a
handler, after it (its department record made), after the next, before the save -- leaves one department
record per step once another worker has finished the application.

The worker runs an instance's service tasks that follow one another in one load and one save; a crash
makes the next worker run the chain again from the last save. The department calls' idempotency keys say
what the step is (instance and activity), so the rerun gets the first records back. ``Killed`` is raised
from the worker's probe (a BaseException: nothing in the worker catches it), as a SIGKILL would stop it:
no transaction of the dead worker commits after that point and its job locks stay until they expire.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from engine.persistence.models import LedgerEntry
from engine.worker import DEFAULT_LOCK_SECONDS, Worker
from handlers.newborn.samples import approval_for, sample_application

CLERKS = {"service_center": "service_center", "midwifery": "midwifery", "police": "police"}


class Killed(BaseException):
    """The worker process died here."""


class CrashAt:
    """A probe that records every point it passes and kills the worker at the ``at``-th (None: never)."""

    def __init__(self, at: int | None = None):
        self.at = at
        self.points: list[tuple[str, str | None]] = []

    def __call__(self, point: str, **info) -> None:
        self.points.append((point, info.get("activity_id")))
        if self.at is not None and len(self.points) == self.at + 1:
            raise Killed(point)


def run_workers(api, ctx, clock, probe, crashed: list) -> None:
    """Run the (possibly dying) worker until idle; after a death, let its locks expire and run a healthy one."""
    worker = Worker(ctx, name=f"w-{len(crashed)}", probe=probe)
    try:
        worker.run_until_idle()
    except Killed as death:
        crashed.append(str(death))
        clock.advance(timedelta(seconds=DEFAULT_LOCK_SECONDS + 1))
        Worker(ctx, name=f"w-after-{len(crashed)}").run_until_idle()


def lifecycle(api, ctx, clock, seq: int, probe) -> tuple[str, list]:
    """One Gansu application from start to end, the workers run by hand after every action."""
    crashed: list = []
    body = api.start(sample_application(clock.now(), seq=seq), drain=False).get_json()
    run_workers(api, ctx, clock, probe, crashed)
    for _ in range(12):
        view = api.get(f"/api/process-instances/{body['id']}", "portal").get_json()
        if view["state"] != "active":
            break
        for waiting in view["waiting_for"]:
            response = api.post(
                "/api/messages",
                "portal",
                drain=False,
                json={"name": waiting["message"], "business_key": view["business_key"], "variables": {}},
            )
            assert response.status_code == 200, response.get_json()
            run_workers(api, ctx, clock, probe, crashed)
        for step in view["open_steps"]:
            clerk = CLERKS[step["group"]]
            assert api.post(f"/api/tasks/{step['task_id']}/claim", clerk, drain=False).status_code == 200
            task = api.get(f"/api/tasks/{step['task_id']}", clerk).get_json()
            response = api.post(
                f"/api/tasks/{step['task_id']}/complete",
                clerk,
                drain=False,
                json={"variables": approval_for(task["form_key"], seq)},
            )
            assert response.status_code == 200, response.get_json()
            run_workers(api, ctx, clock, probe, crashed)
    assert view["state"] == "completed", view
    return body["id"], crashed


def department_records(ctx, instance_id: str) -> Counter:
    """Each department's records for the application, by kind (the key's first part, e.g. ``card``)."""
    with ctx.reader() as uow:
        entries = uow.session.scalars(select(LedgerEntry).where(LedgerEntry.key.contains(instance_id))).all()
        return Counter((entry.department, entry.key.split(":", 1)[0]) for entry in entries)


def test_a_worker_killed_at_every_point_of_every_chain_leaves_one_record_per_step(api, ctx, clock):
    recorder = CrashAt()
    instance_id, crashed = lifecycle(api, ctx, clock, 1, recorder)
    assert crashed == []
    once = department_records(ctx, instance_id)
    assert once and set(once.values()) == {1}
    points = recorder.points
    assert {p for p, _ in points} == {"before_handler", "after_handler", "before_save"}
    for at, (point, activity) in enumerate(points):
        instance_id, crashed = lifecycle(api, ctx, clock, 100 + at, CrashAt(at))
        assert crashed == [point], (at, point, activity)
        assert department_records(ctx, instance_id) == once, (at, point, activity)
