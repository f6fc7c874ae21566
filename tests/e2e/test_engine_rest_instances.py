"""Camunda 7's ``/process-instance`` and ``/message`` through ``/engine-rest`` (issue 24): found and counted by
the common filters within the caller's reach, read with their variables (typed; a staff reading recorded, the
portal's masked) and activity instances, deleted (cancelled with the reason), modification refused clearly."""

from __future__ import annotations

import json

from handlers.newborn.samples import sample_application

BASE = "/engine-rest"


def bearer(api, user: str) -> dict:
    return {"Authorization": f"Bearer {api.tokens[user]}", "accept": "application/json"}


def start(api, clock, seq=1, user="portal", business_key=None):
    response = api.post(
        "/api/process-definitions/newborn_birth/start",
        user,
        json={"variables": {"application": sample_application(clock.now(), seq=seq)}, "business_key": business_key},
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_instances_listed_counted_and_filtered_within_reach(api, clock):
    first = start(api, clock, 1, business_key="NB-REST-1")
    second = start(api, clock, 2, business_key="NB-REST-2")
    start(api, clock, 3, user="other_portal", business_key="NB-OTHER-3")
    client = api.client
    mine = client.get(f"{BASE}/process-instance", headers=bearer(api, "portal")).get_json()
    assert {i["id"] for i in mine} == {first["id"], second["id"]}  # the portal: only its own
    assert client.get(f"{BASE}/process-instance/count", headers=bearer(api, "portal")).get_json() == {"count": 2}
    every = client.get(
        f"{BASE}/process-instance?processDefinitionKey=newborn_birth&sortBy=businessKey&sortOrder=desc",
        headers=bearer(api, "supervisor"),
    ).get_json()
    assert [i["businessKey"] for i in every] == ["NB-REST-2", "NB-REST-1", "NB-OTHER-3"]
    assert every[0]["definitionId"].startswith("newborn_birth:1:") and every[0]["suspended"] is False
    assert every[0]["links"][0]["href"].endswith(f"/engine-rest/process-instance/{second['id']}")
    like = client.get(
        f"{BASE}/process-instance?businessKeyLike=NB-REST-%25&firstResult=1&maxResults=5"
        "&sortBy=businessKey&sortOrder=asc",
        headers=bearer(api, "supervisor"),
    ).get_json()
    assert [i["businessKey"] for i in like] == ["NB-REST-2"]
    assert (
        client.get(
            f"{BASE}/process-instance?businessKey=NB-REST-1&active=true", headers=bearer(api, "supervisor")
        ).get_json()[0]["id"]
        == first["id"]
    )
    assert client.get(f"{BASE}/process-instance?suspended=true", headers=bearer(api, "supervisor")).get_json() == []
    assert client.get(
        f"{BASE}/process-instance/count?processDefinitionKey=nothing", headers=bearer(api, "supervisor")
    ).get_json() == {"count": 0}
    guizhou = client.get(f"{BASE}/process-instance", headers=bearer(api, "police_guizhou")).get_json()
    assert guizhou == []  # another jurisdiction sees none of Gansu's
    only_sort = client.get(f"{BASE}/process-instance?sortBy=businessKey", headers=bearer(api, "supervisor"))
    assert only_sort.status_code == 400 and "sortBy and sortOrder required" in only_sort.get_json()["message"]
    bad = client.get(f"{BASE}/process-instance?active=maybe", headers=bearer(api, "supervisor"))
    assert bad.status_code == 400 and bad.get_json()["message"].startswith("Cannot set query parameter 'active'")


def test_a_variable_filter_reads_each_instance(api, clock):
    first = start(api, clock, 1)
    start(api, clock, 2)
    headers = bearer(api, "supervisor")
    found = api.client.get(f"{BASE}/process-instance?variables=channel_eq_online", headers=headers)
    assert found.status_code == 200, found.get_json()
    assert api.client.get(f"{BASE}/process-instance/count?variables=no_eq_thing", headers=headers).get_json() == {
        "count": 0
    }
    malformed = api.client.get(f"{BASE}/process-instance?variables=a_eq", headers=headers)
    assert malformed.status_code == 400 and "KEY_OPERATOR_VALUE" in malformed.get_json()["message"]
    personal = api.client.get(f"{BASE}/process-instance?variables=phone_eq_13800000001", headers=headers)
    assert personal.status_code == 400 and "personal data" in personal.get_json()["message"]
    assert first


def test_one_instance_its_variables_and_where_it_is(api, clock):
    started = start(api, clock)
    url = f"{BASE}/process-instance/{started['id']}"
    one = api.client.get(url, headers=bearer(api, "portal")).get_json()
    assert (one["id"], one["ended"], one["businessKey"]) == (started["id"], False, started["business_key"])
    for outsider in ("other_portal", "police_guizhou"):
        missing = api.client.get(url, headers=bearer(api, outsider))
        assert missing.status_code == 404 and missing.get_json()["type"] == "InvalidRequestException"
    assert api.client.get(url, headers=bearer(api, "analyst")).status_code == 403
    staff = api.client.get(f"{url}/variables", headers=bearer(api, "supervisor")).get_json()
    application = json.loads(staff["application"]["value"])
    assert staff["application"]["type"] == "Json" and staff["region"] == {
        "type": "String",
        "value": "gansu",
        "valueInfo": {},
    }
    portal = api.client.get(f"{url}/variables", headers=bearer(api, "portal")).get_json()
    masked = json.loads(portal["application"]["value"])
    assert masked["mother"]["id_number"] != application["mother"]["id_number"] and "*" in masked["mother"]["id_number"]
    assert api.client.get(f"{url}/variables", headers=bearer(api, "police")).status_code == 403  # no task of its own
    assert api.client.get(f"{url}/variables", headers=bearer(api, "midwifery")).status_code == 200  # its review
    one_variable = api.client.get(f"{url}/variables/region", headers=bearer(api, "supervisor"))
    assert one_variable.get_json()["value"] == "gansu"
    assert api.client.get(f"{url}/variables/nothing", headers=bearer(api, "supervisor")).status_code == 404
    history = api.get(f"/api/process-instances/{started['id']}/history", "supervisor").get_json()["items"]
    reads = [e for e in history if e["kind"] == "personal_data_read"]
    assert {e["actor"] for e in reads} == {"supervisor", "midwifery"}  # the portal's masked reading is its own
    tree = api.client.get(f"{url}/activity-instances", headers=bearer(api, "supervisor")).get_json()
    assert tree["id"] == started["id"] and tree["activityType"] == "processDefinition"
    assert [(a["activityId"], a["activityType"]) for a in tree["childActivityInstances"]] == [
        ("birth_certificate_review", "userTask")
    ]
    refused = api.client.post(f"{url}/modification", headers=bearer(api, "admin"), json={"instructions": []})
    assert refused.status_code == 400 and "not offered" in refused.get_json()["message"]


def test_delete_cancels_with_the_reason_and_a_message_goes_to_its_instance(api, clock):
    started = start(api, clock)
    url = f"{BASE}/process-instance/{started['id']}"
    assert api.client.delete(url, headers=bearer(api, "midwifery")).status_code == 403
    assert (
        api.client.delete(
            f"{BASE}/process-instance/{started['id']}?deleteReason=重复申请", headers=bearer(api, "portal")
        ).status_code
        == 204
    )
    view = api.get(f"/api/process-instances/{started['id']}", "supervisor").get_json()
    assert view["state"] == "cancelled"
    history = api.get(f"/api/process-instances/{started['id']}/history", "supervisor").get_json()["items"]
    assert (history[-1]["kind"], history[-1]["reason"]) == ("instance_cancelled", "重复申请")
    again = api.client.delete(f"{BASE}/process-instance/{started['id']}", headers=bearer(api, "portal"))
    assert again.status_code == 404
    assert (
        api.client.delete(
            f"{BASE}/process-instance/{started['id']}?failIfNotExists=false", headers=bearer(api, "portal")
        ).status_code
        == 204
    )
    other = start(api, clock, 2)
    for clerk in ("midwifery", "police"):  # the messages the process waits for come after its two reviews
        [step] = api.open_steps(other["id"])
        assert api.approve(step["task_id"], clerk).status_code == 200
    waiting = api.get(f"/api/process-instances/{other['id']}", "portal").get_json()["waiting_for"]
    assert waiting, "the application waits for a message"
    name = waiting[0]["message"]
    nobody = api.client.post(
        f"{BASE}/message", headers=bearer(api, "portal"), json={"messageName": name, "businessKey": "NB-NOBODY"}
    )
    assert nobody.status_code == 400 and nobody.get_json()["message"].startswith(f"Cannot correlate message '{name}'")
    sent = api.client.post(
        f"{BASE}/message",
        headers=bearer(api, "portal"),
        json={
            "messageName": name,
            "businessKey": other["business_key"],
            "resultEnabled": True,
            "processVariables": {
                "channel": {"value": "微信", "type": "String"},
                "amount": {"value": 400, "type": "Integer"},
            },
        },
    )
    assert sent.status_code == 200 and sent.get_json()[0]["execution"]["processInstanceId"] == other["id"]


def test_a_start_refuses_text_for_the_application_and_says_why_a_business_key_is_taken(api, clock):
    headers = bearer(api, "portal")
    url = f"{BASE}/process-definition/key/newborn_birth/start"
    application = json.dumps(sample_application(clock.now()), ensure_ascii=False)
    as_text = api.client.post(
        url, headers=headers, json={"variables": {"application": {"value": application, "type": "String"}}}
    )
    assert as_text.status_code == 400
    message = as_text.get_json()["message"]
    assert message.startswith("Cannot instantiate process definition newborn_birth:1:")
    assert "'application' is a String that holds JSON text" in message and "申请表缺失" not in message
    huge = api.client.post(
        url,
        headers=headers,
        json={
            "variables": {
                "application": {"value": application, "type": "Json"},
                "n": {"value": 10**30, "type": "Integer"},
            }
        },
    )
    assert huge.status_code == 400 and "to java type java.lang.Integer" in huge.get_json()["message"]
    first = api.client.post(
        url,
        headers=headers,
        json={"businessKey": "NB-TAKEN", "variables": {"application": {"value": application, "type": "Json"}}},
    )
    assert first.status_code == 200, first.get_json()
    other = json.dumps(sample_application(clock.now(), seq=2), ensure_ascii=False)
    taken = api.client.post(
        url,
        headers=headers,
        json={
            "businessKey": "NB-TAKEN",
            "variables": {
                "application": {
                    "value": other,
                    "type": "Object",
                    "valueInfo": {"serializationDataFormat": "application/json"},
                }
            },
        },
    )
    assert taken.status_code == 409 and "already used by another application" in taken.get_json()["message"]
