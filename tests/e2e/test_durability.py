"""The durable engine: retries, incidents, timers, messages, cancel, idempotent and unique starts (issue 4)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.handlers import HandlerError, HandlerRegistry
from handlers.newborn import default_registry
from handlers.newborn.samples import sample_application


class FaultyDepartment:
    """Wraps one topic's real handler: fails ``failures`` times (or until ``fixed``), then works."""

    def __init__(self, handler, failures: int | None):
        self.handler = handler
        self.failures = failures
        self.calls = 0
        self.fixed = False

    def __call__(self, call):
        self.calls += 1
        if not self.fixed and (self.failures is None or self.calls <= self.failures):
            raise HandlerError("人社系统暂时不可用 (connection refused)")
        return self.handler(call)


@pytest.fixture
def faulty():
    return {}


@pytest.fixture
def registry(faulty, request):
    marker = request.node.get_closest_marker("faulty")
    real = default_registry()
    wrapped = HandlerRegistry()
    for topic in real.topics():
        handler = real.get(topic)
        if marker and topic == marker.args[0]:
            handler = faulty[topic] = FaultyDepartment(handler, marker.kwargs.get("failures"))
        wrapped.register(topic, handler)
    return wrapped


def drain_with_retries(api, clock, rounds=10):
    """Let the worker retry: move the clock past each backoff (tests never sleep)."""
    for _ in range(rounds):
        clock.advance(timedelta(hours=1))
        api.worker.run_until_idle()


@pytest.mark.faulty("hrss.apply_card", failures=2)
def test_handler_failing_twice_then_succeeding_completes(api, application, clock, faulty):
    body = api.start(application).get_json()
    api.walk_to_end(body["id"])
    drain_with_retries(api, clock)
    api.walk_to_end(body["id"])
    instance = api.get(f"/api/process-instances/{body['id']}", "portal").get_json()
    assert instance["state"] == "completed"
    assert faulty["hrss.apply_card"].calls == 3
    assert api.get("/api/incidents", "admin").get_json()["total"] == 0


@pytest.mark.faulty("hrss.apply_card", failures=1)
def test_a_failure_inside_a_chain_of_service_tasks_keeps_what_ran_before_it(api, application, ctx, clock, faulty):
    """The worker runs the service tasks that follow one another in one save; when one fails, those that
    ran before it stay done, the failure counts as an attempt of its own job, and the tasks beside it
    still run now."""
    body = api.start(application).get_json()
    api.walk_to_end(body["id"])  # the hukou review's approval starts the chain that reaches apply_card

    with ctx.reader() as uow:
        jobs = {job.topic: job for job in uow.jobs.for_instance(body["id"])}
        assert set(jobs) == {"hrss.apply_card"}  # the tasks beside it ran at once, in the next round
        card = jobs["hrss.apply_card"]
        assert (card.attempts, card.state, card.locked_by) == (1, "ready", None)
        assert "人社系统暂时不可用" in card.last_error
        assert card.due_at > clock.now()  # backing off
    history = api.get(f"/api/process-instances/{body['id']}/history?per_page=200", "supervisor").get_json()
    done = [e["activity_id"] for e in history["items"] if e["kind"] == "service_task_completed"]
    assert "register_hukou" in done and "push_results" in done
    assert "apply_social_security_card" not in done

    drain_with_retries(api, clock)
    api.walk_to_end(body["id"])
    assert api.get(f"/api/process-instances/{body['id']}", "portal").get_json()["state"] == "completed"
    assert faulty["hrss.apply_card"].calls == 2


@pytest.mark.faulty("hrss.apply_card", failures=None)
def test_always_failing_handler_becomes_an_incident_and_a_retry_completes(api, application, clock, faulty):
    body = api.start(application).get_json()
    api.walk_to_end(body["id"])
    drain_with_retries(api, clock)
    api.walk_to_end(body["id"])

    instance = api.get(f"/api/process-instances/{body['id']}", "supervisor").get_json()
    assert instance["state"] == "active"  # the application waits, it does not fail
    [incident] = instance["incidents"]
    assert incident["activity_id"] == "apply_social_security_card"
    assert "人社系统暂时不可用" in incident["error"]
    assert incident["attempts"] == 5
    listed = api.get("/api/incidents", "admin").get_json()
    assert [i["id"] for i in listed["items"]] == [incident["id"]]
    assert api.get("/api/incidents", "supervisor").status_code == 403
    statuses = {i["code"]: i["status"] for i in instance["items"]}
    assert statuses["social_security_card"] == "in_progress"

    faulty["hrss.apply_card"].fixed = True
    retried = api.post(f"/api/incidents/{incident['id']}/retry", "admin")
    assert retried.status_code == 200
    assert api.post(f"/api/incidents/{incident['id']}/retry", "admin").status_code == 404  # gone once done
    api.walk_to_end(body["id"])
    instance = api.get(f"/api/process-instances/{body['id']}", "portal").get_json()
    assert instance["state"] == "completed"
    history = api.get(f"/api/process-instances/{body['id']}/history?per_page=200", "supervisor").get_json()
    kinds = [e["kind"] for e in history["items"]]
    assert "incident_created" in kinds and "incident_retried" in kinds


def test_timer_fires_after_the_due_date_and_the_task_is_overdue(api, application, clock):
    """R5.3: when a step's time limit passes, it is flagged overdue and supervision gets a notice."""
    body = api.start(application).get_json()
    [step] = api.open_steps(body["id"])
    assert api.get("/api/tasks?overdue=true", "midwifery").get_json()["total"] == 0

    clock.advance(timedelta(days=2))
    api.worker.run_until_idle()

    overdue = api.get("/api/tasks?overdue=true", "midwifery").get_json()
    assert [t["id"] for t in overdue["items"]] == [step["task_id"]]
    assert overdue["items"][0]["overdue"] is True
    instance = api.get(f"/api/process-instances/{body['id']}", "supervisor").get_json()
    assert instance["open_steps"][0]["overdue"] is True
    supervision = [n for n in instance["notices"] if n["audience"] == "supervisor"]
    assert supervision and "出生医学证明" in supervision[0]["text"]
    history = api.get(f"/api/process-instances/{body['id']}/history?per_page=200", "supervisor").get_json()
    kinds = [(e["kind"], e["activity_id"]) for e in history["items"]]
    assert ("timer_fired", "birth_certificate_review_overdue") in kinds
    assert ("service_task_completed", "birth_certificate_review_report_overdue") in kinds
    # the task is still there to be done, and finishing it finishes the application
    api.walk_to_end(body["id"])
    assert api.get(f"/api/process-instances/{body['id']}", "portal").get_json()["state"] == "completed"


def test_timer_does_not_fire_when_the_task_is_done_in_time(api, application, clock):
    body = api.start(application).get_json()
    api.walk_to_end(body["id"])
    clock.advance(timedelta(days=5))
    api.worker.run_until_idle()
    history = api.get(f"/api/process-instances/{body['id']}/history?per_page=200", "supervisor").get_json()
    assert not [e for e in history["items"] if e["kind"] == "timer_fired"]


def test_premium_message_completes_enrolment(api, application):
    """R2.10: medical insurance enrolment completes when the premium is paid."""
    body = api.start(application).get_json()
    bk = body["business_key"]
    for _ in range(3):
        for step in api.open_steps(body["id"]):
            api.approve(step["task_id"], {"midwifery": "midwifery", "police": "police"}[step["group"]])
    instance = api.get(f"/api/process-instances/{body['id']}", "portal").get_json()
    assert {w["message"] for w in instance["waiting_for"]} == {"premium_paid", "hukou_page_printed"}
    assert {i["code"]: i["status"] for i in instance["items"]}["medical_insurance"] == "in_progress"

    assert api.message("premium_paid", "NO-SUCH-KEY").status_code == 404
    paid = api.message("premium_paid", bk, paid_on=application["newborn"]["born_at"][:10], channel="微信")
    assert paid.status_code == 200, paid.get_json()
    assert api.message("premium_paid", bk).status_code == 404  # nobody waits for it any more
    instance = api.get(f"/api/process-instances/{body['id']}", "portal").get_json()
    enrolment = next(i for i in instance["items"] if i["code"] == "medical_insurance")
    assert enrolment["status"] == "done"
    assert enrolment["result"]["status"] == "enrolled"
    assert enrolment["result"]["coverage_start"] == application["newborn"]["born_at"][:10]  # R6.1
    assert instance["state"] == "active"  # still waiting for the visit to the police station (R2.8)
    assert api.message("hukou_page_printed", bk).status_code == 200
    assert api.get(f"/api/process-instances/{body['id']}", "portal").get_json()["state"] == "completed"


def test_cancel_withdraws_and_closes_open_tasks_and_jobs(api, application, ctx):
    body = api.start(application).get_json()
    [step] = api.open_steps(body["id"])
    assert api.post(f"/api/process-instances/{body['id']}/cancel", "other_portal").status_code == 404
    response = api.post(f"/api/process-instances/{body['id']}/cancel", "portal", json={"reason": "信息填错，重新申请"})
    assert response.status_code == 200 and response.get_json()["state"] == "cancelled"
    assert api.get("/api/tasks", "midwifery").get_json()["total"] == 0
    assert api.approve(step["task_id"], "midwifery").status_code == 409
    with ctx.uow() as uow:
        assert uow.jobs.for_instance(body["id"]) == []
    progress = api.get(f"/api/applications/{body['business_key']}/progress", "portal").get_json()
    assert progress["state_text"] == "已撤回"
    again = api.post(f"/api/process-instances/{body['id']}/cancel", "portal", json={})
    assert again.status_code == 409


def test_idempotency_key_returns_the_first_answer(api, application):
    headers = {"Idempotency-Key": "portal-req-0001"}
    first = api.start(application, headers=dict(headers))
    second = api.start(application, headers=dict(headers))
    assert first.status_code == 201 and second.status_code == 201
    assert first.get_json() == second.get_json()
    assert api.get("/api/tasks", "midwifery").get_json()["total"] == 1


def test_second_active_application_for_the_same_newborn_is_409(api, application, clock):
    first = api.start(application)
    assert first.status_code == 201
    again = api.start(application)
    assert again.status_code == 409
    assert "newborn" in again.get_json()["detail"]
    # once withdrawn, the newborn may be applied for again
    api.post(f"/api/process-instances/{first.get_json()['id']}/cancel", "portal", json={})
    assert api.start(application).status_code == 201


def test_deploying_version_2_while_version_1_runs_both_finish(api, clock):
    from tests.e2e.test_definitions import BPMN, deploy

    v1 = api.start(sample_application(clock.now(), seq=1)).get_json()
    edited = BPMN.replace("结果反馈".encode(), "结果反馈（第二版）".encode())
    assert deploy(api, [("newborn_birth.bpmn", edited)]).status_code == 201
    v2 = api.start(sample_application(clock.now(), seq=2)).get_json()
    assert (v1["definition"]["version"], v2["definition"]["version"]) == (1, 2)
    for body in (v1, v2):
        api.walk_to_end(body["id"])
        assert api.get(f"/api/process-instances/{body['id']}", "portal").get_json()["state"] == "completed"
    names = {}
    for body in (v1, v2):
        history = api.get(f"/api/process-instances/{body['id']}/history?per_page=200", "supervisor").get_json()
        names[body["definition"]["version"]] = {
            e["activity_name"] for e in history["items"] if e["activity_id"] == "feedback"
        }
    assert names == {1: {"结果反馈"}, 2: {"结果反馈（第二版）"}}
