"""A Gansu application through the HTTP API, as the portal and the clerks use it (R1.1, R2.1–R2.7)."""

from __future__ import annotations

from handlers.newborn.samples import sample_application


def test_full_gansu_window_application_completes(api, clock):
    """R2.4 window intake, R2.1 birth certificate first, R2.2 hukou second, then the rest: completed."""
    started = api.start(sample_application(clock.now(), channel="window"))
    assert started.status_code == 201, started.get_json()
    body = started.get_json()
    assert body["state"] == "active" and body["definition"] == {"key": "newborn_birth", "version": 1}

    seen = api.walk_to_end(body["id"])
    assert seen == ["window_intake", "birth_certificate_review", "hukou_review", "hukou_page_printed", "premium_paid"]

    instance = api.get(f"/api/process-instances/{body['id']}", "portal").get_json()
    assert instance["state"] == "completed"
    assert [i["code"] for i in instance["items"]] == [
        "birth_certificate",
        "vaccination_certificate",
        "hukou_registration",
        "social_security_card",
        "medical_insurance",
        "maternity_reimbursement",
        "parenting_guidance",
    ]
    assert all(i["status"] == "done" and i["result"] for i in instance["items"])
    assert instance["items"][0]["due_at"] is not None

    history = api.get(f"/api/process-instances/{body['id']}/history?per_page=200", "supervisor").get_json()
    kinds = [e["kind"] for e in history["items"]]
    assert kinds[0] == "instance_started" and kinds[-1] == "instance_completed"
    completed_by = [e["actor"] for e in history["items"] if e["kind"] == "task_completed"]
    assert completed_by == ["service_center", "midwifery", "police"]  # R8.1: who decided

    progress = api.get(f"/api/applications/{body['business_key']}/progress", "portal").get_json()
    assert progress["state_text"] == "已办结"
    assert {i["status_text"] for i in progress["items"]} == {"已办结"}


def test_online_application_skips_window_intake(api, application):
    """R2.4: online applications are dispatched automatically, with no window review."""
    body = api.start(application).get_json()
    assert [s["activity_id"] for s in api.open_steps(body["id"])] == ["birth_certificate_review"]


def test_only_chosen_items_are_done(api, clock):
    """R1.1: a step for an item not chosen is skipped by the flow."""
    application = sample_application(clock.now(), items=["birth_certificate", "parenting_guidance"])
    for section in ("hukou", "medical_insurance", "social_security_card", "maternity_reimbursement"):
        application.pop(section)
    body = api.start(application).get_json()
    assert api.walk_to_end(body["id"]) == ["birth_certificate_review"]
    instance = api.get(f"/api/process-instances/{body['id']}", "portal").get_json()
    assert instance["state"] == "completed"
    assert [(i["code"], i["status"]) for i in instance["items"]] == [
        ("birth_certificate", "done"),
        ("parenting_guidance", "done"),
    ]
    history = api.get(f"/api/process-instances/{body['id']}/history?per_page=200", "supervisor").get_json()
    ran = {e["activity_id"] for e in history["items"] if e["kind"] == "service_task_completed"}
    assert "register_hukou" not in ran and "apply_social_security_card" not in ran
    assert {"issue_birth_certificate", "register_parenting_guidance"} <= ran


def test_police_return_reaches_the_applicant(api, application):
    """R2.6: a department returns with a reason; the instance ends `returned`, the applicant sees why."""
    body = api.start(application).get_json()
    [step] = api.open_steps(body["id"])
    assert api.approve(step["task_id"], "midwifery").status_code == 200
    [step] = api.open_steps(body["id"])
    assert step["activity_id"] == "hukou_review"
    reason = "户主与新生儿关系填写有误，请核对户口簿后重新申请"
    response = api.post(
        f"/api/tasks/{step['task_id']}/complete", "police", json={"variables": {"decision": "return", "reason": reason}}
    )
    assert response.status_code == 200, response.get_json()

    instance = api.get(f"/api/process-instances/{body['id']}", "portal").get_json()
    assert instance["state"] == "returned"
    assert instance["open_steps"] == []
    statuses = {i["code"]: i["status"] for i in instance["items"]}
    assert statuses["birth_certificate"] == "done"
    assert statuses["hukou_registration"] == "returned"
    assert statuses["social_security_card"] == "stopped"

    progress = api.get(f"/api/applications/{body['business_key']}/progress", "portal").get_json()
    assert progress["state"] == "returned" and progress["state_text"] == "已退件"
    assert progress["return_reason"] == reason
    assert "公安部门" in progress["message"] and reason in progress["message"]

    history = api.get(f"/api/process-instances/{body['id']}/history?per_page=200", "supervisor").get_json()
    returned = [e for e in history["items"] if e["kind"] == "instance_returned"]
    assert returned and returned[0]["reason"] == reason and returned[0]["department"] == "police"


def test_completed_task_cannot_be_completed_again(api, application):
    body = api.start(application).get_json()
    [step] = api.open_steps(body["id"])
    assert api.approve(step["task_id"], "midwifery").status_code == 200
    again = api.approve(step["task_id"], "midwifery")
    assert again.status_code == 409
    assert again.mimetype == "application/problem+json"


def test_business_key_is_unique(api, application, clock):
    first = api.start(application, business_key="NB-TEST-1")
    assert first.status_code == 201
    second = api.start(sample_application(clock.now(), seq=2), business_key="NB-TEST-1")
    assert second.status_code == 409


def test_birth_certificate_return_stops_every_branch(api, application):
    """R2.1/R2.6: returned at the first step, nothing later is opened (no hukou review appears)."""
    body = api.start(application).get_json()
    [step] = api.open_steps(body["id"])
    response = api.post(
        f"/api/tasks/{step['task_id']}/complete",
        "midwifery",
        json={"variables": {"decision": "return", "reason": "分娩登记信息与母亲身份证不一致"}},
    )
    assert response.status_code == 200
    assert response.get_json()["process_instance_state"] == "returned"
    instance = api.get(f"/api/process-instances/{body['id']}", "portal").get_json()
    assert instance["state"] == "returned" and instance["open_steps"] == []
    assert api.get("/api/tasks", "police").get_json()["total"] == 0
