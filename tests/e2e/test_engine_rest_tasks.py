"""Camunda 7's ``/task`` through ``/engine-rest`` (issue 24): a clerk finds exactly the tasks its workplace
queue shows, claims, completes with typed variables checked by the workplace's task form (400 naming every
field's problem), reads its form as typed variables; its reading of an application's data is recorded."""

from __future__ import annotations

from urllib.parse import quote

from .test_engine_rest_instances import BASE, bearer, start


def open_task(api, instance_id, user):
    found = api.client.get(f"{BASE}/task?processInstanceId={instance_id}", headers=bearer(api, user)).get_json()
    assert len(found) == 1, found
    return found[0]


def test_a_clerk_lists_exactly_its_workplace_queue(api, clock):
    for seq in (1, 2, 3):
        start(api, clock, seq)
    api.client.get("/api/tasks", headers=bearer(api, "midwifery"))
    queue = api.get("/api/tasks?per_page=100", "midwifery").get_json()
    listed = api.client.get(f"{BASE}/task?sortBy=dueDate&sortOrder=asc", headers=bearer(api, "midwifery")).get_json()
    assert sorted(t["id"] for t in listed) == sorted(t["id"] for t in queue["items"]) and len(listed) == 3
    assert api.client.get(f"{BASE}/task/count", headers=bearer(api, "midwifery")).get_json() == {"count": 3}
    assert [t["due"] for t in listed] == sorted(t["due"] for t in listed)
    task = listed[0]
    assert task["taskDefinitionKey"] == "birth_certificate_review" and task["formKey"] == "birth_certificate_review"
    assert task["processDefinitionId"].startswith("newborn_birth:1:") and task["assignee"] is None
    # the police see none of it yet; another group's task is forbidden, another jurisdiction's not found
    assert api.client.get(f"{BASE}/task", headers=bearer(api, "police")).get_json() == []
    assert api.client.get(f"{BASE}/task/{task['id']}", headers=bearer(api, "police")).status_code == 403
    assert api.client.get(f"{BASE}/task/{task['id']}", headers=bearer(api, "police_guizhou")).status_code == 404
    assert api.client.get(f"{BASE}/task?candidateGroup=police", headers=bearer(api, "midwifery")).get_json() == []
    mine = api.client.get(
        f"{BASE}/task?candidateGroup=midwifery&unassigned=true&taskDefinitionKey="
        f"birth_certificate_review&processInstanceBusinessKey={queue['items'][0]['business_key']}",
        headers=bearer(api, "midwifery"),
    ).get_json()
    assert [t["id"] for t in mine] == [queue["items"][0]["id"]]
    due = quote(task["due"])
    assert api.client.get(f"{BASE}/task/count?dueBefore={due}", headers=bearer(api, "midwifery")).get_json() == {
        "count": 0
    }
    assert api.client.get(
        f"{BASE}/task/count?dueAfter=2020-01-01T00:00:00.000%2B0800", headers=bearer(api, "midwifery")
    ).get_json() == {"count": 3}
    wrong = api.client.get(f"{BASE}/task?dueBefore=tomorrow", headers=bearer(api, "midwifery"))
    assert wrong.status_code == 400 and "dueBefore" in wrong.get_json()["message"]
    assert api.client.get(f"{BASE}/task", headers=bearer(api, "portal")).status_code == 403
    assert api.client.get(f"{BASE}/task").status_code == 401


def test_claim_and_complete_with_typed_variables_checked_by_the_form(api, clock):
    started = start(api, clock)
    task = open_task(api, started["id"], "midwifery")
    headers = bearer(api, "midwifery")
    assert (
        api.client.post(f"{BASE}/task/{task['id']}/claim", headers=headers, json={"userId": "someone-else"}).status_code
        == 403
    )
    assert (
        api.client.post(f"{BASE}/task/{task['id']}/claim", headers=headers, json={"userId": "midwifery"}).status_code
        == 204
    )
    assert api.client.get(f"{BASE}/task/{task['id']}", headers=headers).get_json()["assignee"] == "midwifery"
    form = api.client.get(f"{BASE}/task/{task['id']}/form-variables", headers=headers).get_json()
    assert form["decision"]["type"] == "String" and form["decision"]["valueInfo"]["required"] is True
    assert form["materials_checked"]["type"] == "Boolean"
    bad = api.client.post(
        f"{BASE}/task/{task['id']}/complete",
        headers=headers,
        json={
            "variables": {
                "decision": {"value": "maybe", "type": "String"},
                "certificate_number": {"value": 5, "type": "Integer"},
            }
        },
    )
    assert bad.status_code == 400 and bad.get_json()["type"] == "InvalidRequestException"
    message = bad.get_json()["message"]
    assert message.startswith(f"Cannot complete task {task['id']}: ") and "decision" in message
    assert "certificate_number" in message and set(bad.get_json()["details"]["errors"]) >= {
        "decision",
        "certificate_number",
    }
    rendered = api.client.get(f"{BASE}/task/{task['id']}/rendered-form", headers=headers)
    assert rendered.status_code == 404 and "form-variables" in rendered.get_json()["message"]
    data = api.client.get(f"{BASE}/task/{task['id']}/variables", headers=headers).get_json()
    assert data  # the application as the clerk's task page shows it
    history = api.get(f"/api/process-instances/{started['id']}/history", "supervisor").get_json()["items"]
    assert [e for e in history if e["kind"] == "personal_data_read" and e["actor"] == "midwifery"]
    done = api.client.post(
        f"{BASE}/task/{task['id']}/submit-form",
        headers=headers,
        json={
            "variables": {
                "decision": {"value": "approve", "type": "String"},
                "materials_checked": {"value": True, "type": "Boolean"},
                "certificate_number": {"value": "R620000007", "type": "String"},
            }
        },
    )
    assert done.status_code == 204, done.get_json()
    api.worker.run_until_idle()
    assert api.client.get(f"{BASE}/task/{task['id']}", headers=headers).status_code == 200  # history keeps it
    police = open_task(api, started["id"], "police")
    assert police["taskDefinitionKey"] == "hukou_review"
    again = api.client.post(f"{BASE}/task/{task['id']}/complete", headers=headers, json={"variables": {}})
    assert again.status_code == 409
