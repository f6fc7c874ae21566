"""Two writers of one application at the same moment: the one that loses is worked out again on the new state,
never answered 500 (a deadlock or a stale revision is "someone else wrote first"), and a clerk's decision or an
applicant's withdrawal still stands.

PostgreSQL runs writers side by side; SQLite one at a time (a writer reads inside its write transaction), so
the races below can only happen on PostgreSQL and are skipped on SQLite.
"""

from __future__ import annotations

import threading

import pytest

from engine.persistence.unit_of_work import ConcurrentUpdate
from engine.usecases.calendar import recount_instance
from handlers.newborn.samples import sample_application

from .test_engine_rest_deployments import BPMN, deploy
from .test_engine_rest_instances import BASE, bearer


@pytest.fixture
def side_by_side(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer at a time: no other writer saves between a write's read and its commit")


class RecountFirst:
    """Once armed, right after a request has read an application to change it, a calendar recount of it (as
    the worker runs one after a calendar change) saves and commits, from another thread and connection."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.armed = False
        self.raced: list[tuple[str, int, int]] = []  # (instance, revision before the recount, after it)
        self.errors: list[BaseException] = []

    def arm(self) -> None:
        self.armed = True

    def after_read(self, instance_id: str) -> None:
        if not self.armed:
            return
        self.armed = False
        other = threading.Thread(target=self._recount, args=(instance_id,))
        other.start()
        other.join(timeout=30)
        assert not other.is_alive(), "the recount waited for the request: they were not side by side"

    def _recount(self, instance_id: str) -> None:
        try:
            before = _revision(self.ctx, instance_id)
            recount_instance(self.ctx, instance_id)
            self.raced.append((instance_id, before, _revision(self.ctx, instance_id)))
        except BaseException as err:  # noqa: BLE001 -- the test reports it
            self.errors.append(err)


@pytest.fixture
def recount_first(ctx, monkeypatch):
    race = RecountFirst(ctx)
    original = ctx.workflows.load

    def load(uow, instance, **kwargs):
        workflow = original(uow, instance, **kwargs)
        if kwargs.get("to_change"):
            race.after_read(instance.id)
        return workflow

    monkeypatch.setattr(ctx.workflows, "load", load)
    yield race
    assert not race.errors, race.errors


def _revision(ctx, instance_id: str) -> int:
    with ctx.reader() as uow:
        return uow.instances.get(instance_id).revision


def _raced(race: RecountFirst, instance_id: str) -> None:
    """The recount did save the application in the middle of the request."""
    [(raced_id, before, after)] = race.raced
    assert raced_id == instance_id and after == before + 1


def test_a_clerks_approval_stands_when_a_recount_saved_the_application_meanwhile(
    side_by_side, api, application, ctx, recount_first
):
    body = api.start(application).get_json()
    [step] = api.open_steps(body["id"])
    recount_first.arm()

    approved = api.approve(step["task_id"], "midwifery")

    assert approved.status_code == 200, approved.get_json()
    _raced(recount_first, body["id"])
    history = api.get(f"/api/process-instances/{body['id']}/history?per_page=200", "supervisor").get_json()
    assert [e["kind"] for e in history["items"]].count("task_completed") == 1


def test_an_applicants_withdrawal_stands_when_a_recount_saved_the_application_meanwhile(
    side_by_side, api, application, ctx, recount_first
):
    body = api.start(application).get_json()
    recount_first.arm()

    withdrawn = api.post(f"/api/process-instances/{body['id']}/cancel", "portal", json={"reason": "不再需要"})

    assert withdrawn.status_code == 200, withdrawn.get_json()
    assert withdrawn.get_json()["state"] == "cancelled"
    _raced(recount_first, body["id"])
    assert api.open_steps(body["id"]) == []


@pytest.mark.parametrize("written_by", ["flush", "a query's autoflush"])
def test_a_deadlock_between_two_writers_is_a_conflict_for_one_and_the_other_goes_on(
    written_by, side_by_side, api, ctx, clock
):
    first, second = (api.start(sample_application(clock.now(), seq=seq)).get_json()["id"] for seq in (1, 2))
    both_hold_one = threading.Barrier(2, timeout=30)
    outcomes: dict[str, str] = {}

    def write(name: str, order: tuple[str, str]) -> None:
        try:
            with ctx.uow() as uow:
                for n, instance_id in enumerate(order):
                    uow.instances.get(instance_id).end_reason = name  # an UPDATE of the row at the flush
                    if written_by == "flush":
                        uow.flush()
                    else:
                        uow.tasks.open_for_instance(instance_id)
                    if n == 0:
                        both_hold_one.wait()
                uow.commit()
            outcomes[name] = "committed"
        except ConcurrentUpdate:
            outcomes[name] = "conflict"

    writers = [
        threading.Thread(target=write, args=("a", (first, second))),
        threading.Thread(target=write, args=("b", (second, first))),
    ]
    for w in writers:
        w.start()
    for w in writers:
        w.join(timeout=60)

    assert sorted(outcomes.values()) == ["committed", "conflict"], outcomes
    [winner] = [name for name, outcome in outcomes.items() if outcome == "committed"]
    with ctx.reader() as uow:
        assert {uow.instances.get(i).end_reason for i in (first, second)} == {winner}


def test_a_deployment_deleted_with_cascade_while_the_worker_saves_a_step_of_its_application(
    api, app, ctx, clock, monkeypatch
):
    """The admin's delete waits for (or runs again after) the worker's save, on either database, and cancels
    the application: a 204, never a 500 (the worker locks an application's jobs before its row; so does the
    cancel)."""
    edited = BPMN.replace("出生登记审核".encode(), "出生登记审核（试）".encode())
    deployment_id = deploy(api, [("newborn_birth.bpmn", edited)], name="test").get_json()["id"]
    started = api.post(
        "/api/process-definitions/newborn_birth/start",
        "portal",
        drain=False,  # its first service task waits for the worker
        json={"variables": {"application": sample_application(clock.now())}},
    ).get_json()
    original = ctx.workflows.save
    deletes: list[threading.Thread] = []
    answers: list[int] = []

    def delete() -> None:
        url = f"{BASE}/deployment/{deployment_id}?cascade=true"
        answers.append(app.test_client().delete(url, headers=bearer(api, "admin")).status_code)

    def save(uow, instance, *args, **kwargs):
        if not deletes:  # the worker's first save, its jobs locked: the admin deletes meanwhile
            deletes.append(threading.Thread(target=delete))
            deletes[0].start()
            deletes[0].join(timeout=0.5)  # it waits for the worker (or is about to)
        return original(uow, instance, *args, **kwargs)

    monkeypatch.setattr(ctx.workflows, "save", save)
    api.worker.run_until_idle()
    deletes[0].join(timeout=60)

    assert answers == [204]
    view = api.get(f"/api/process-instances/{started['id']}", "supervisor").get_json()
    assert view["state"] == "cancelled"
    kinds = [
        e["kind"] for e in api.get(f"/api/process-instances/{started['id']}/history", "supervisor").get_json()["items"]
    ]
    assert kinds[-1] == "instance_cancelled" and "service_task_completed" in kinds
