"""Camunda Modeler's Deploy and Start buttons, and a stock Camunda 7 REST client, against ``/engine-rest``
(issue 15). The requests are the Modeler's own, as ``../shared/CAMUNDA7-REST.md`` has them from its source:
``accept: application/json``, ``authorization: undefined`` when nothing was entered, the multipart form
with ``deployment-name``, ``deployment-source``, ``enable-duplicate-filtering`` and one part per file named
after it, and typed variables on start. Every field the Modeler reads is checked."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from engine.usecases.accounts import add_user
from handlers.newborn.samples import sample_application

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows" / "newborn"
BPMN = (WORKFLOWS / "newborn_birth.bpmn").read_bytes()
DMN = (WORKFLOWS / "time_limits.dmn").read_bytes()
PASSWORD = "correct horse battery"
BASE = "/engine-rest"


@pytest.fixture
def people(ctx):
    for name, roles in (("analyst-1", ["analyst"]), ("portal-1", ["portal"]), ("admin-1", ["admin"])):
        add_user(ctx, name, roles, [], ["62"], password=PASSWORD)
    return ctx


def basic(user: str, password: str = PASSWORD) -> dict:
    return {
        "authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode(),
        "accept": "application/json",
    }


def modeler_deploy(client, files, headers, name="newborn_birth", base=BASE):
    """``POST {base}/deployment/create`` as Camunda Modeler sends it (CamundaAPI.js)."""
    data = {"deployment-name": name, "deployment-source": "Camunda Modeler", "enable-duplicate-filtering": "true"}
    for filename, content, media in files:
        data[filename] = (__import__("io").BytesIO(content), filename, media)
    return client.post(f"{base}/deployment/create", headers=headers, data=data, content_type="multipart/form-data")


def test_the_connection_check_asks_for_credentials_then_accepts_them(api, people):
    client = api.client
    for headers in (
        {"accept": "application/json"},
        {"accept": "application/json", "authorization": "undefined"},
        {"authorization": "Basic !!notbase64"},
    ):
        response = client.get(f"{BASE}/deployment?maxResults=0", headers=headers)
        assert response.status_code == 401, headers  # the Modeler then shows its Basic / Bearer fields
        assert response.headers["WWW-Authenticate"].startswith("Basic")
        assert response.get_json()["type"] == "AuthenticationException"
    ok = client.get(f"{BASE}/deployment?maxResults=0", headers=basic("analyst-1"))
    assert ok.status_code == 200 and ok.get_json() == [] and ok.mimetype == "application/json"
    assert client.get(f"{BASE}/version", headers=basic("analyst-1")).get_json()["version"].startswith("7.")
    listed = client.get(f"{BASE}/deployment", headers=basic("analyst-1")).get_json()
    assert [d["source"] for d in listed] == [None] and listed[0]["id"] == "1"
    assert client.get(f"{BASE}/deployment/count", headers=basic("analyst-1")).get_json() == {"count": 1}


def test_wrong_password_is_401_and_repeated_failures_lock(api, people):
    client = api.client
    for _ in range(5):
        response = client.get(f"{BASE}/deployment?maxResults=0", headers=basic("analyst-1", "wrong password!"))
        assert response.status_code == 401 and response.headers["WWW-Authenticate"]
    locked = client.get(f"{BASE}/deployment?maxResults=0", headers=basic("analyst-1"))
    assert locked.status_code == 401 and "try again after" in locked.get_json()["message"]
    assert (
        client.get(
            f"{BASE}/deployment?maxResults=0", headers={"authorization": f"Bearer {api.tokens['analyst']}"}
        ).status_code
        == 200
    )


def test_deploy_an_edited_diagram_with_its_table_then_unchanged_again(api, people):
    edited = BPMN.replace("出生医学证明签发审核".encode(), "出生医学证明签发审核（修订）".encode())
    files = [("newborn_birth.bpmn", edited, "text/xml"), ("time_limits.dmn", DMN, "application/octet-stream")]
    first = modeler_deploy(api.client, files, basic("analyst-1"))
    assert first.status_code == 200, first.get_json()
    body = first.get_json()
    [(definition_id, definition)] = body["deployedProcessDefinitions"].items()
    assert definition_id == definition["id"] == f"newborn_birth:2:{definition_id.split(':')[-1]}"
    assert "/" not in definition_id and "?" not in definition_id and "#" not in definition_id
    assert (definition["key"], definition["version"], definition["resource"]) == (
        "newborn_birth",
        2,
        "newborn_birth.bpmn",
    )
    assert definition["deploymentId"] == body["id"] and definition["suspended"] is False
    assert body["name"] == "newborn_birth" and body["source"] == "Camunda Modeler"
    again = modeler_deploy(api.client, files, basic("analyst-1")).get_json()
    assert again["id"] == body["id"]  # unchanged: no new version, and still the map (Camunda would say null)
    assert again["deployedProcessDefinitions"] == body["deployedProcessDefinitions"]
    xml = api.client.get(f"{BASE}/process-definition/{definition_id}/xml", headers=basic("analyst-1")).get_json()
    assert xml["bpmn20Xml"].encode() == edited
    latest = api.client.get(
        f"{BASE}/process-definition?key=newborn_birth&latestVersion=true", headers=basic("analyst-1")
    ).get_json()
    assert [d["version"] for d in latest] == [2]


def test_a_broken_diagram_is_engine_09005_with_file_line_and_element(api, people):
    broken = BPMN.replace(b'camunda:topic="police.register_birth"', b'camunda:topic="police.no_such_topic"')
    broken = broken.replace(b"${chosen.birth_certificate}", b"chosen['birth_certificate']", 1)
    response = modeler_deploy(api.client, [("newborn_birth.bpmn", broken, "text/xml")], basic("analyst-1"))
    assert response.status_code == 400
    body = response.get_json()
    assert body["type"] == "ParseException" and body["message"].startswith("ENGINE-09005 Could not parse BPMN process.")
    assert "newborn_birth.bpmn:" in body["message"] and "[register_hukou]" in body["message"]
    assert "police.no_such_topic" in body["message"] and "[flow_to_birth_certificate]" in body["message"]
    errors = body["details"]["newborn_birth.bpmn"]["errors"]
    assert {e["mainElementId"] for e in errors} >= {"register_hukou", "flow_to_birth_certificate"}
    assert all(e["line"] for e in errors)


def test_only_analysts_and_admins_deploy(api, people):
    files = [("newborn_birth.bpmn", BPMN, "text/xml")]
    response = modeler_deploy(api.client, files, basic("portal-1"))
    assert response.status_code == 403 and response.get_json()["type"] == "AuthorizationException"
    assert modeler_deploy(api.client, files, basic("admin-1")).status_code == 200


def test_start_with_typed_variables_goes_through_the_portals_validation(api, people, clock):
    definition_id = next(
        iter(
            modeler_deploy(api.client, [("newborn_birth.bpmn", BPMN, "text/xml")], basic("analyst-1")).get_json()[
                "deployedProcessDefinitions"
            ]
        )
    )
    application = sample_application(clock.now())
    variables = {
        "application": {"value": json.dumps(application, ensure_ascii=False), "type": "Json"},
        "note": {"value": 5, "type": "Integer"},
    }
    started = api.client.post(
        f"{BASE}/process-definition/{definition_id}/start",
        headers=basic("analyst-1"),
        json={"businessKey": None, "variables": variables},
    )
    assert started.status_code == 200, started.get_json()
    body = started.get_json()
    assert body["id"] and body["definitionId"] == definition_id and body["ended"] is False
    view = api.get(f"/api/process-instances/{body['id']}", "supervisor").get_json()
    assert view["state"] == "active" and view["business_key"] == body["businessKey"]

    application = sample_application(clock.now(), seq=2)
    application["marriage"]["status"] = "divorced"
    refused = api.client.post(
        f"{BASE}/process-definition/key/newborn_birth/start",
        headers=basic("analyst-1"),
        json={"variables": {"application": {"value": json.dumps(application), "type": "Json"}}},
    )
    assert refused.status_code == 400 and refused.get_json()["message"].startswith(
        f"Cannot instantiate process definition newborn_birth:1:{definition_id.split(':')[-1]}: 不予受理："
    )
    assert "R3.2" in refused.get_json()["message"]
    bad = api.client.post(
        f"{BASE}/process-definition/key/newborn_birth/start",
        headers=basic("analyst-1"),
        json={"variables": {"application": {"value": "{not json", "type": "Json"}}},
    )
    assert bad.status_code == 400 and "Json" in bad.get_json()["message"]
    missing = api.client.post(
        f"{BASE}/process-definition/key/newborn_birth/start",
        headers=basic("analyst-1"),
        json={"businessKey": None, "variables": None},
    )
    assert missing.status_code == 400 and "variables.application" in missing.get_json()["message"]
    assert (
        api.client.post(f"{BASE}/process-definition/nope:1:9/start", headers=basic("analyst-1"), json={}).status_code
        == 404
    )


def test_preflight_cors_and_a_trailing_slash(api, people):
    preflight = api.client.options(
        f"{BASE}/deployment/create",
        headers={
            "Origin": "null",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, accept",
        },
    )
    assert preflight.status_code in (200, 204)
    assert preflight.headers["Access-Control-Allow-Origin"] == "null"
    assert "authorization" in preflight.headers["Access-Control-Allow-Headers"]
    doubled = modeler_deploy(
        api.client, [("newborn_birth.bpmn", BPMN, "text/xml")], basic("analyst-1"), base=BASE + "/"
    )
    assert doubled.status_code == 200  # //deployment/create, no redirect
    assert doubled.headers["Access-Control-Allow-Origin"] == "*"
