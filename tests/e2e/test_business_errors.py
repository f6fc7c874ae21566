"""A department's refusal goes back to whoever can put it right (issue 20, finding 2): the handler refuses with a
business error, the engine throws it as a BPMN error on the service task, and the diagram's error boundary
event sends the application back to the review whose input was refused -- the clerk sees why at the top of
the task, corrects it, and the application goes on, one department record per step. A business error that
nothing in the diagram catches is an incident at once that says what it is about; an admin's retry that
fails the same way says so at once.
"""

from __future__ import annotations

import re

import pytest

from engine.handlers import BusinessError, HandlerRegistry
from engine.usecases.accounts import add_user
from handlers.newborn import default_registry
from handlers.newborn.samples import approval_for, sample_application
from tests.e2e.test_crash_points import CrashAt, department_records, run_workers

TAKEN = "该出生医学证明编号已被其他申请使用"
PASSWORD = "midwifery web pass"


def approve_birth_certificate(api, task_id: str, number: str, drain=True):
    assert api.post(f"/api/tasks/{task_id}/claim", "midwifery", drain=False).status_code in (200, 409)
    values = {**approval_for("birth_certificate_review"), "certificate_number": number}
    response = api.post(f"/api/tasks/{task_id}/complete", "midwifery", drain=drain, json={"variables": values})
    assert response.status_code == 200, response.get_json()


def issued_number(api, instance_id: str) -> str:
    instance = api.get(f"/api/process-instances/{instance_id}", "supervisor").get_json()
    return {i["code"]: i for i in instance["items"]}["birth_certificate"]["result"]["certificate_number"]


def refused_application(api, clock, taken: str, seq: int = 2) -> tuple[str, dict]:
    """A second application whose midwifery clerk enters ``taken``; its id and its open step after that."""
    body = api.start(sample_application(clock.now(), seq=seq)).get_json()
    [review] = [s for s in api.open_steps(body["id"]) if s["activity_id"] == "birth_certificate_review"]
    approve_birth_certificate(api, review["task_id"], taken)
    [back] = [s for s in api.open_steps(body["id"]) if s["activity_id"] == "birth_certificate_review"]
    assert back["task_id"] != review["task_id"]
    return body["id"], back


def test_a_certificate_number_already_used_goes_back_to_the_midwife_and_the_correction_carries_it_on(
    api, ctx, app, clock
):
    first = api.start(sample_application(clock.now(), seq=1)).get_json()
    api.walk_to_end(first["id"])
    taken = issued_number(api, first["id"])

    second, back = refused_application(api, clock, taken)
    instance = api.get(f"/api/process-instances/{second}", "supervisor").get_json()
    assert instance["state"] == "active" and instance["incidents"] == []
    assert {i["code"]: i["status"] for i in instance["items"]}["birth_certificate"] == "in_progress"
    assert api.get("/api/incidents", "admin").get_json()["items"] == []

    task = api.get(f"/api/tasks/{back['task_id']}", "midwifery").get_json()
    refusal = task["refusal"]
    assert refusal["code"] == "certificate_number_taken" and TAKEN in refusal["message"]
    assert refusal["activity_id"] == "issue_birth_certificate" and refusal["activity_name"] == "出具电子出生医学证明"
    queue = api.get("/api/tasks", "midwifery").get_json()["items"]
    assert [t["refusal"]["code"] for t in queue if t["id"] == back["task_id"]] == ["certificate_number_taken"]
    data = task["data"]
    assert data.get("refusal_code") is None  # the Modeler's error variables reach the review's data ...
    with ctx.reader() as uow:  # ... through the catching event: the process has them for its own use
        workflow = ctx.workflows.load(uow, uow.instances.get(second))
        [review] = [t for t in workflow.get_tasks() if str(t.id) == back["task_id"]]
        assert review.data["refusal_code"] == "certificate_number_taken" and TAKEN in review.data["refusal_message"]

    history = api.get(f"/api/process-instances/{second}/history?per_page=200", "supervisor").get_json()["items"]
    [refused] = [e for e in history if e["kind"] == "business_error"]
    assert refused["activity_id"] == "issue_birth_certificate" and TAKEN in refused["reason"]
    assert refused["department"] == "midwifery"
    records = department_records(ctx, second)
    assert ("midwifery", "issue") not in records  # a refused step leaves no department record

    # the clerk sees why at the top of the page, in Chinese, and in the history
    add_user(ctx, "mw-web", ["clerk"], ["midwifery"], ["62"], password=PASSWORD)
    browser = app.test_client()
    login = browser.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login).group(1)
    assert browser.post("/login", data={"name": "mw-web", "password": PASSWORD, "csrf_token": csrf}).status_code == 302
    page = browser.get(f"/tasks/{back['task_id']}").get_data(as_text=True)
    top = page[page.index("<h1>") : page.index('class="columns"')]
    assert 'class="refusal" role="alert"' in top and "出具电子出生医学证明未能办理" in top and TAKEN in top
    assert "部门退回更正" in page and "certificate_number_taken" not in page
    assert "退回更正" in browser.get("/tasks").get_data(as_text=True)

    corrected = "R629999999"
    approve_birth_certificate(api, back["task_id"], corrected)
    api.walk_to_end(second)
    assert api.get(f"/api/process-instances/{second}", "portal").get_json()["state"] == "completed"
    assert issued_number(api, second) == corrected
    records = department_records(ctx, second)
    assert set(records.values()) == {1} and records == department_records(ctx, first["id"])
    with ctx.reader() as uow:  # the issue after the correction is a step of its own
        assert uow.ledger.recall("midwifery", f"issue:{second}:issue_birth_certificate#2") is not None
        assert uow.ledger.recall("midwifery", f"issue:{second}:issue_birth_certificate") is None


def test_the_refusal_and_its_correction_stay_exactly_once_with_a_worker_killed_anywhere(api, ctx, clock):
    """The refusal's chain (the handler refused, the boundary event, the review again) and the correction's
    chain, with the worker killed at every point of them: one department record per step, and the
    application back at the review, then on to its end."""
    first = api.start(sample_application(clock.now(), seq=1)).get_json()
    api.walk_to_end(first["id"])
    taken = issued_number(api, first["id"])

    def refused_then_corrected(seq: int, probe) -> tuple[str, list]:
        crashed: list = []
        body = api.start(sample_application(clock.now(), seq=seq)).get_json()
        [review] = api.open_steps(body["id"])
        approve_birth_certificate(api, review["task_id"], taken, drain=False)
        run_workers(api, ctx, clock, probe, crashed)
        [back] = api.open_steps(body["id"])
        assert back["activity_id"] == "birth_certificate_review" and back["task_id"] != review["task_id"]
        task = api.get(f"/api/tasks/{back['task_id']}", "midwifery").get_json()
        assert task["refusal"]["code"] == "certificate_number_taken"
        approve_birth_certificate(api, back["task_id"], f"R6{seq:08d}", drain=False)
        run_workers(api, ctx, clock, probe, crashed)
        api.walk_to_end(body["id"])
        assert api.get(f"/api/process-instances/{body['id']}", "portal").get_json()["state"] == "completed"
        return body["id"], crashed

    recorder = CrashAt()
    instance_id, crashed = refused_then_corrected(2, recorder)
    assert crashed == []
    once = department_records(ctx, instance_id)
    assert once and set(once.values()) == {1}
    handled = [activity for point, activity in recorder.points if point == "before_handler"]
    assert handled.count("issue_birth_certificate") == 2  # refused, then after the correction
    for at, (point, activity) in enumerate(recorder.points):
        instance_id, crashed = refused_then_corrected(10 + at, CrashAt(at))
        assert crashed == [point], (at, point, activity)
        assert department_records(ctx, instance_id) == once, (at, point, activity)


def test_no_station_from_the_rules_goes_back_to_the_police_clerk(api, ctx, clock):
    """R3.5: the child of a student with a collective hukou is registered at the family hukou's station, not
    the one the application names: the police clerk must enter it (``police_station_required``)."""
    application = sample_application(clock.now(), seq=3)
    application["father"]["hukou_kind"] = "student_collective"
    application["hukou"]["follows"] = "father"
    body = api.start(application).get_json()
    assert body.get("state") == "active", body
    for _ in range(3):  # the reviews before the hukou's
        steps = api.open_steps(body["id"])
        if any(s["activity_id"] == "hukou_review" for s in steps):
            break
        for step in steps:
            api.post(f"/api/tasks/{step['task_id']}/claim", step["group"])
            assert api.approve(step["task_id"], step["group"]).status_code == 200
    [review] = [s for s in api.open_steps(body["id"]) if s["activity_id"] == "hukou_review"]
    assert api.post(f"/api/tasks/{review['task_id']}/claim", "police").status_code == 200
    assert api.approve(review["task_id"], "police").status_code == 200  # no station entered

    [back] = [s for s in api.open_steps(body["id"]) if s["activity_id"] == "hukou_review"]
    assert back["task_id"] != review["task_id"]
    refusal = api.get(f"/api/tasks/{back['task_id']}", "police").get_json()["refusal"]
    assert refusal["code"] == "police_station_required" and "登记派出所" in refusal["message"]
    assert api.get("/api/incidents", "admin").get_json()["total"] == 0
    assert ("police", "register") not in department_records(ctx, body["id"])

    assert api.post(f"/api/tasks/{back['task_id']}/claim", "police").status_code == 200
    entered = {**approval_for("hukou_review"), "police_station": "兰州市公安局城关分局庆阳路派出所"}
    assert api.post(f"/api/tasks/{back['task_id']}/complete", "police", json={"variables": entered}).status_code == 200
    api.walk_to_end(body["id"])
    instance = api.get(f"/api/process-instances/{body['id']}", "supervisor").get_json()
    assert instance["state"] == "completed"
    hukou = {i["code"]: i for i in instance["items"]}["hukou_registration"]["result"]
    assert hukou["police_station"]["name"] == "兰州市公安局城关分局庆阳路派出所"
    assert set(department_records(ctx, body["id"]).values()) == {1}


class Refusing:
    """The card department's handler; while ``refusing`` it refuses with a code the diagram does not catch."""

    def __init__(self, handler):
        self.handler, self.calls, self.refusing = handler, 0, False

    def __call__(self, call):
        self.calls += 1
        if self.refusing:
            raise BusinessError("card_bank_closed", "所选服务银行已停止办理社会保障卡")
        return self.handler(call)


@pytest.fixture
def refusing():
    return {}


@pytest.fixture
def registry(refusing):
    real = default_registry()
    wrapped = HandlerRegistry()
    for topic in real.topics():
        handler = real.get(topic)
        if topic == "hrss.apply_card":
            handler = refusing[topic] = Refusing(handler)
        wrapped.register(topic, handler)
    return wrapped


def test_a_business_error_nothing_catches_is_an_incident_at_once_that_says_what_it_is_about(api, clock, refusing):
    card = refusing["hrss.apply_card"]
    card.refusing = True
    body = api.start(sample_application(clock.now(), seq=4)).get_json()
    api.walk_to_end(body["id"])
    assert card.calls == 1  # never retried: the same input would be refused again

    [incident] = api.get("/api/incidents", "admin").get_json()["items"]
    assert incident["business_key"] == body["business_key"]
    assert incident["activity_name"] == "社会保障卡申领"
    assert incident["kind"] == "business_error" and incident["error_code"] == "card_bank_closed"
    assert incident["message"] == "所选服务银行已停止办理社会保障卡"
    assert incident["attempts"] == 1
    history = api.get(f"/api/process-instances/{body['id']}/history?per_page=200", "supervisor").get_json()["items"]
    [created] = [e for e in history if e["kind"] == "incident_created"]
    assert created["reason"] == "所选服务银行已停止办理社会保障卡" and created["detail"]["code"] == "card_bank_closed"

    again = api.post(f"/api/incidents/{incident['id']}/retry", "admin", drain=False).get_json()
    assert again["outcome"] == "failed" and again["attempts"] == 2 and card.calls == 2
    assert (
        "原因与上次相同" in again["outcome_message"] and "所选服务银行已停止办理社会保障卡" in again["outcome_message"]
    )
    assert [i["id"] for i in api.get("/api/incidents", "admin").get_json()["items"]] == [incident["id"]]

    card.refusing = False
    done = api.post(f"/api/incidents/{incident['id']}/retry", "admin", drain=False).get_json()
    assert done["outcome"] == "resolved" and card.calls == 3
    assert api.get("/api/incidents", "admin").get_json()["total"] == 0
    api.walk_to_end(body["id"])
    assert api.get(f"/api/process-instances/{body['id']}", "portal").get_json()["state"] == "completed"
