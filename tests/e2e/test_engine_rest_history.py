"""Camunda 7's ``/history`` through ``/engine-rest`` (issue 24): instances of every state with how each ended
(completed; returned, cancelled with the reason), activity instances, tasks with their outcome, variables."""

from __future__ import annotations

from .test_engine_rest_instances import BASE, bearer, start


def test_instances_of_every_state_say_how_they_ended(api, clock):
    done = start(api, clock, 1, business_key="NB-H-1")
    api.walk_to_end(done["id"])
    returned = start(api, clock, 2, business_key="NB-H-2")
    intake = api.open_steps(returned["id"])[0]
    assert (
        api.post(
            f"/api/tasks/{intake['task_id']}/complete",
            "midwifery",
            json={"variables": {"decision": "return", "reason": "出生医学证明材料不清晰"}},
        ).status_code
        == 200
    )
    cancelled = start(api, clock, 3, business_key="NB-H-3")
    assert (
        api.client.delete(
            f"{BASE}/process-instance/{cancelled['id']}?deleteReason=申请人撤回", headers=bearer(api, "portal")
        ).status_code
        == 204
    )
    running = start(api, clock, 4, business_key="NB-H-4")
    headers = bearer(api, "supervisor")
    listed = api.client.get(
        f"{BASE}/history/process-instance?sortBy=businessKey&sortOrder=asc", headers=headers
    ).get_json()
    by_key = {i["businessKey"]: i for i in listed}
    assert [i["businessKey"] for i in listed] == ["NB-H-1", "NB-H-2", "NB-H-3", "NB-H-4"]
    assert (by_key["NB-H-1"]["state"], by_key["NB-H-1"]["deleteReason"]) == ("COMPLETED", None)
    assert by_key["NB-H-1"]["endTime"] and by_key["NB-H-1"]["durationInMillis"] is not None
    assert by_key["NB-H-2"]["state"] == "INTERNALLY_TERMINATED"
    assert by_key["NB-H-2"]["deleteReason"] == "returned: 出生医学证明材料不清晰"
    assert by_key["NB-H-3"]["state"] == "EXTERNALLY_TERMINATED"
    assert by_key["NB-H-3"]["deleteReason"] == "cancelled: 申请人撤回"
    assert (by_key["NB-H-4"]["state"], by_key["NB-H-4"]["endTime"]) == ("ACTIVE", None)

    def count(query: str) -> int:
        return api.client.get(f"{BASE}/history/process-instance/count?{query}", headers=headers).get_json()["count"]

    assert (count("finished=true"), count("unfinished=true"), count("completed=true")) == (3, 1, 1)
    assert (count("externallyTerminated=true"), count("internallyTerminated=true")) == (1, 1)
    assert count("processInstanceBusinessKeyLike=NB-H-%25") == 4
    one = api.client.get(f"{BASE}/history/process-instance/{running['id']}", headers=headers).get_json()
    assert one["id"] == running["id"] and one["startUserId"] == "portal"
    # the portal sees its own; another jurisdiction none; the runtime list none of the ended ones
    assert len(api.client.get(f"{BASE}/history/process-instance", headers=bearer(api, "portal")).get_json()) == 4
    assert api.client.get(f"{BASE}/history/process-instance", headers=bearer(api, "police_guizhou")).get_json() == []
    assert (
        api.client.get(
            f"{BASE}/history/process-instance/{running['id']}", headers=bearer(api, "other_portal")
        ).status_code
        == 404
    )
    assert api.client.get(f"{BASE}/process-instance/count", headers=headers).get_json() == {"count": 1}


def test_activities_tasks_and_variables_of_an_instance(api, clock):
    started = start(api, clock)
    api.walk_to_end(started["id"])
    headers = bearer(api, "supervisor")
    activities = api.client.get(
        f"{BASE}/history/activity-instance?processInstanceId={started['id']}&sortBy=startTime&sortOrder=asc",
        headers=headers,
    ).get_json()
    kinds = {a["activityType"] for a in activities}
    assert {"userTask", "serviceTask", "intermediateMessageCatch"} <= kinds
    review = next(a for a in activities if a["activityId"] == "birth_certificate_review")
    assert review["assignee"] == "midwifery" and review["endTime"] and review["taskId"]
    assert (
        api.client.get(
            f"{BASE}/history/activity-instance/count?processInstanceId={started['id']}&activityType=userTask",
            headers=headers,
        ).get_json()["count"]
        == 2
    )  # online: no window
    assert api.client.get(f"{BASE}/history/activity-instance", headers=bearer(api, "portal")).status_code == 403
    done = api.client.get(
        f"{BASE}/history/task?processInstanceId={started['id']}&finished=true", headers=headers
    ).get_json()
    assert {t["taskDefinitionKey"] for t in done} == {"birth_certificate_review", "hukou_review"}
    assert {(t["deleteReason"], t["outcome"]) for t in done} == {("completed", "approve")}
    own = api.client.get(f"{BASE}/history/task?processInstanceId={started['id']}", headers=bearer(api, "police"))
    assert [t["taskDefinitionKey"] for t in own.get_json()] == ["hukou_review"]  # a clerk: its groups' tasks
    variables = api.client.get(
        f"{BASE}/history/variable-instance?processInstanceId={started['id']}", headers=headers
    ).get_json()
    names = {v["name"]: v for v in variables}
    assert names["region"]["value"] == "gansu" and names["application"]["type"] == "Json"
    assert api.client.get(
        f"{BASE}/history/variable-instance/count?processInstanceId={started['id']}&variableName=region", headers=headers
    ).get_json() == {"count": 1}
    assert api.client.get(f"{BASE}/history/variable-instance", headers=headers).status_code == 400
    history = api.get(f"/api/process-instances/{started['id']}/history", "supervisor").get_json()["items"]
    assert [e for e in history if e["kind"] == "personal_data_read" and e["actor"] == "supervisor"]
