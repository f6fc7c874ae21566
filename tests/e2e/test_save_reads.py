"""A save reads only the kinds of projection rows its workflow's state can have, and leaves the counted years
alone when they stay as they were (``engine.projected_rows``), while the rows stay exactly what the state
asks for."""

from __future__ import annotations

import itertools
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from engine import workflows as workflows_module
from engine.persistence.models import CountedYear, Job, MessageSubscription, UserTask
from engine.projected_rows import UNKNOWN
from handlers.newborn.samples import approval_for, sample_application
from tests.e2e.conftest import CLERK_OF


@contextmanager
def statements():
    seen: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split()))

    event.listen(Engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", note)


def rows_of(ctx, instance_id):
    with ctx.reader() as uow:
        s = uow.session
        return dict(
            tasks=sorted(
                (t.id, t.completed_at is None, t.assignee)
                for t in s.scalars(select(UserTask).where(UserTask.instance_id == instance_id))
            ),
            jobs=sorted((j.task_id, j.kind) for j in s.scalars(select(Job).where(Job.instance_id == instance_id))),
            subscriptions=sorted(
                (m.task_id, m.message_name)
                for m in s.scalars(select(MessageSubscription).where(MessageSubscription.instance_id == instance_id))
            ),
            counted=sorted(
                (c.year, c.version)
                for c in s.scalars(select(CountedYear).where(CountedYear.instance_id == instance_id))
            ),
        )


def shapes(ctx, instance_id):
    """The instance's projection rows without their ids (two instances' rows compare)."""
    with ctx.reader() as uow:
        s = uow.session
        return dict(
            tasks=sorted(
                (t.activity_id, t.completed_at is None, t.outcome or "", t.assignee or "")
                for t in s.scalars(select(UserTask).where(UserTask.instance_id == instance_id))
            ),
            jobs=sorted(
                (j.activity_id, j.kind, j.state) for j in s.scalars(select(Job).where(Job.instance_id == instance_id))
            ),
            subscriptions=sorted(
                m.message_name
                for m in s.scalars(select(MessageSubscription).where(MessageSubscription.instance_id == instance_id))
            ),
            counted=sorted(
                (c.year, c.version)
                for c in s.scalars(select(CountedYear).where(CountedYear.instance_id == instance_id))
            ),
        )


def test_a_completion_reads_only_what_its_state_can_have_and_leaves_unchanged_counted_years(api, ctx, application):
    instance_id = api.start(application).get_json()["id"]
    [step] = api.open_steps(instance_id)
    clerk = CLERK_OF[step["group"]]
    assert api.post(f"/api/tasks/{step['task_id']}/claim", clerk).status_code == 200
    task = api.get(f"/api/tasks/{step['task_id']}", clerk).get_json()
    before = rows_of(ctx, instance_id)
    assert before["counted"] and not before["subscriptions"]  # counted years to keep; no message waited for
    with statements() as seen:
        response = api.post(
            f"/api/tasks/{step['task_id']}/complete",
            clerk,
            drain=False,
            json={"variables": approval_for(task["form_key"], 1)},
        )
    assert response.status_code == 200, response.get_json()
    after = rows_of(ctx, instance_id)
    assert after["counted"] == before["counted"]
    assert not [sql for sql in seen if "message_subscriptions" in sql]
    assert not [sql for sql in seen if "instance_calendar_years" in sql]
    assert [task_id for task_id, is_open, _ in after["tasks"] if not is_open] == [step["task_id"]]


@pytest.mark.parametrize("cached", [True, False], ids=["cached-workflows", "loaded-from-the-stored-state"])
def test_the_rows_are_those_a_save_that_reads_everything_leaves(api, ctx, application, clock, monkeypatch, cached):
    if not cached:  # every change loads the stored state: what it can have is read from it (projected_rows.of_state)
        ctx.workflows.cache.size = 0

    certificates = itertools.count(1)  # each approval its own certificate number

    def walk():
        instance_id = api.start(sample_application(clock.now())).get_json()["id"]
        seen = [shapes(ctx, instance_id)]
        for _ in range(10):
            instance = api.get(f"/api/process-instances/{instance_id}", "portal").get_json()
            if instance["state"] != "active":
                break
            for waiting in instance["waiting_for"]:
                message = {"name": waiting["message"], "business_key": instance["business_key"], "variables": {}}
                assert api.post("/api/messages", "portal", drain=False, json=message).status_code == 200
                seen.append(shapes(ctx, instance_id))  # as the API call left them, before the worker runs
                api.worker.run_until_idle()
                seen.append(shapes(ctx, instance_id))
            for step in instance["open_steps"]:
                clerk = CLERK_OF[step["group"]]
                assert api.post(f"/api/tasks/{step['task_id']}/claim", clerk).status_code == 200
                form = api.get(f"/api/tasks/{step['task_id']}", clerk).get_json()["form_key"]
                approval = {"variables": approval_for(form, next(certificates))}
                path = f"/api/tasks/{step['task_id']}/complete"
                assert api.post(path, clerk, drain=False, json=approval).status_code == 200
                seen.append(shapes(ctx, instance_id))
                api.worker.run_until_idle()
                seen.append(shapes(ctx, instance_id))
        assert instance["state"] == "completed"
        return seen

    noted = walk()
    monkeypatch.setattr(workflows_module, "noted", lambda workflow: UNKNOWN)  # every save reads every kind
    read = walk()
    assert len(noted) >= 5 and any(shape["subscriptions"] for shape in noted)
    assert noted == read
