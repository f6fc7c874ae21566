"""Who may do what: tokens, roles, groups and jurisdictions (R8.3), and claim races."""

from __future__ import annotations

import threading

from handlers.newborn.samples import approval_for, sample_application


def _first_task(api, application, user="portal"):
    body = api.start(application, user).get_json()
    [step] = api.open_steps(body["id"], user)
    return body, step


def test_no_token_is_401_and_bad_token_is_401(api):
    assert api.get("/api/tasks").status_code == 401
    response = api.get("/api/tasks", headers={"Authorization": "Bearer not-a-token"})
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == 401


def test_wrong_role_is_403(api, application):
    assert api.get("/api/tasks", "portal").status_code == 403
    assert api.start(application, "midwifery").status_code == 403
    assert api.get("/api/process-definitions", "portal").status_code == 403


def test_two_clerks_racing_to_claim_get_200_and_409(api, application, ctx):
    from engine.usecases.accounts import add_user

    api.tokens["midwifery_b"] = add_user(
        ctx, "midwifery_b", roles=["clerk"], groups=["midwifery"], jurisdictions=["62"]
    )
    _, step = _first_task(api, application)
    barrier = threading.Barrier(2)
    statuses = {}

    def claim(user):
        barrier.wait()
        statuses[user] = api.post(f"/api/tasks/{step['task_id']}/claim", user).status_code

    threads = [threading.Thread(target=claim, args=(u,)) for u in ("midwifery", "midwifery_b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses.values()) == [200, 409]
    winner = next(u for u, s in statuses.items() if s == 200)
    loser = next(u for u, s in statuses.items() if s == 409)
    task = api.get(f"/api/tasks/{step['task_id']}", winner).get_json()
    assert task["assignee"] == winner
    # the loser can neither complete nor unclaim it
    assert api.approve(step["task_id"], loser).status_code == 409
    assert api.post(f"/api/tasks/{step['task_id']}/unclaim", loser).status_code == 409
    assert api.post(f"/api/tasks/{step['task_id']}/unclaim", winner).status_code == 200
    assert api.post(f"/api/tasks/{step['task_id']}/claim", loser).status_code == 200


def test_clerk_of_another_group_gets_403(api, application):
    """R8.3: a police clerk may not act on the midwifery institution's review."""
    _, step = _first_task(api, application)
    assert api.post(f"/api/tasks/{step['task_id']}/claim", "police").status_code == 403
    approval = {"variables": approval_for("birth_certificate_review")}
    assert api.post(f"/api/tasks/{step['task_id']}/complete", "police", json=approval).status_code == 403
    assert api.get(f"/api/tasks/{step['task_id']}", "police").status_code == 403


def test_clerk_of_another_jurisdiction_gets_404_and_an_empty_queue(api, application):
    """R8.3: a Guizhou clerk does not even learn that a Lanzhou task exists."""
    body, step = _first_task(api, application)
    [midwifery_task] = api.get("/api/tasks", "midwifery").get_json()["items"]
    assert midwifery_task["id"] == step["task_id"]
    assert api.get("/api/tasks", "police_guizhou").get_json()["total"] == 0
    assert api.get(f"/api/tasks/{step['task_id']}", "police_guizhou").status_code == 404
    assert api.post(f"/api/tasks/{step['task_id']}/claim", "police_guizhou").status_code == 404
    assert api.get(f"/api/process-instances/{body['id']}", "police_guizhou").status_code == 404


def test_task_queue_filters(api, clock):
    """Clerks see their own groups' open tasks, soonest due first; assignee=me|none filters."""
    first = api.start(sample_application(clock.now(), seq=1)).get_json()
    clock.advance(__import__("datetime").timedelta(minutes=5))
    api.start(sample_application(clock.now(), seq=2)).get_json()
    queue = api.get("/api/tasks", "midwifery").get_json()
    assert queue["total"] == 2 and queue["page"] == 1 and queue["per_page"] == 50
    assert queue["items"][0]["process_instance_id"] == first["id"]  # due first
    assert set(queue["items"][0]) >= {
        "id",
        "name",
        "activity_id",
        "group",
        "assignee",
        "created_at",
        "due_at",
        "overdue",
        "process_instance_id",
        "business_key",
        "form_key",
    }
    task_id = queue["items"][0]["id"]
    api.post(f"/api/tasks/{task_id}/claim", "midwifery")
    mine = api.get("/api/tasks?assignee=me", "midwifery").get_json()
    assert [t["id"] for t in mine["items"]] == [task_id]
    assert api.get("/api/tasks?assignee=none", "midwifery").get_json()["total"] == 1
    assert api.get("/api/tasks?per_page=1&page=2", "midwifery").get_json()["items"][0]["id"] != task_id
    assert api.get("/api/tasks", "police").get_json()["total"] == 0


def test_portal_sees_only_its_own_applications(api, application):
    body = api.start(application).get_json()
    assert api.get(f"/api/process-instances/{body['id']}", "other_portal").status_code == 404
    assert api.get(f"/api/applications/{body['business_key']}/progress", "other_portal").status_code == 404


def test_progress_view_masks_personal_data(api, application):
    """R8.2: the applicant's view shows no ID numbers or phone numbers in clear."""
    body = api.start(application).get_json()
    text = api.get(f"/api/applications/{body['business_key']}/progress", "portal").get_data(as_text=True)
    for secret in (
        application["mother"]["id_number"],
        application["father"]["id_number"],
        application["mother"]["phone"],
        application["applicant"]["phone"],
    ):
        assert secret not in text


def test_clerk_reading_a_task_is_recorded(api, application):
    """R8.1/R8.2: reading an application's personal data is itself in the history."""
    body, step = _first_task(api, application)
    task = api.get(f"/api/tasks/{step['task_id']}", "midwifery").get_json()
    assert task["data"]["application"]["mother"]["id_number"] == application["mother"]["id_number"]
    assert task["form"]["key"] == "birth_certificate_review"
    ids = [f["id"] for f in task["form"]["fields"]]
    assert {"decision", "reason", "certificate_number"} <= set(ids)
    history = api.get(f"/api/process-instances/{body['id']}/history", "supervisor").get_json()["items"]
    reads = [e for e in history if e["kind"] == "personal_data_read"]
    assert reads and reads[0]["actor"] == "midwifery"
