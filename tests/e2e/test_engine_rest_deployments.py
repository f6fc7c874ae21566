"""Deployments and decisions through ``/engine-rest`` (issue 24): duplicate filtering per deployment name as
Camunda's; a deployment of decision tables only mints decision versions, no process version, and says which
process versions run with it (new instances do, running ones keep theirs); a deployment's files; delete (refused
while applications run on it, ``cascade`` an admin's); decisions listed, read and evaluated by the process's own
evaluator; statistics per activity with incidents; the diagram."""

from __future__ import annotations

import io
from pathlib import Path

from .test_engine_rest_instances import BASE, bearer, start

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows" / "newborn"
BPMN = (WORKFLOWS / "newborn_birth.bpmn").read_bytes()
LIMITS = (WORKFLOWS / "time_limits.dmn").read_text(encoding="utf-8")
HUKOU_CELL = '<outputEntry id="LiteralExpression_gansu_hukou_registration">\n          <text>{}</text>'
TWO_DAYS = LIMITS.replace(HUKOU_CELL.format(1), HUKOU_CELL.format(2)).encode("utf-8")


def deploy(api, files, user="analyst", name="newborn_birth", source="Camunda Modeler", **extra):
    data = {"deployment-name": name, "deployment-source": source, "enable-duplicate-filtering": "true", **extra}
    for filename, content in files:
        data[filename] = (io.BytesIO(content), filename, "application/octet-stream")
    return api.client.post(
        f"{BASE}/deployment/create", headers=bearer(api, user), data=data, content_type="multipart/form-data"
    )


def hukou_due(api, instance_id):
    step = api.open_steps(instance_id)[0]
    assert api.approve(step["task_id"], "midwifery").status_code == 200
    [hukou] = [s for s in api.open_steps(instance_id) if s["activity_id"] == "hukou_review"]
    return hukou["due_at"]


def test_decision_tables_alone_mint_no_process_version_and_running_instances_keep_theirs(api, clock):
    running = start(api, clock, 1)
    response = deploy(api, [("time_limits.dmn", TWO_DAYS)], name="limits")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["deployedProcessDefinitions"] is None  # no BPMN changed: no process version
    [(decision_id, decision)] = body["deployedDecisionDefinitions"].items()
    assert (decision["key"], decision["version"], decision["resource"]) == ("time_limits", 2, "time_limits.dmn")
    assert decision_id == decision["id"] and decision["deploymentId"] == body["id"]
    assert [d["version"] for d in body["usedByProcessDefinitions"].values()] == [1]  # who will use it
    listed = api.client.get(f"{BASE}/process-definition?key=newborn_birth", headers=bearer(api, "analyst"))
    assert [d["version"] for d in listed.get_json()] == [1]
    fresh = start(api, clock, 2)
    assert hukou_due(api, fresh["id"]) == "2026-11-27T23:59:59+08:00"  # two working days: the new table
    assert hukou_due(api, running["id"]) == "2026-11-26T23:59:59+08:00"  # one: the table it started with
    # the same tables again under the same name: nothing new; under another name: a deployment, still no version
    again = deploy(api, [("time_limits.dmn", TWO_DAYS)], name="limits").get_json()
    assert again["id"] == body["id"] and again["deployedDecisionDefinitions"] == body["deployedDecisionDefinitions"]
    other = deploy(api, [("time_limits.dmn", TWO_DAYS)], name="limits again").get_json()
    assert other["id"] != body["id"] and other["deployedDecisionDefinitions"] is None
    assert other["deployedProcessDefinitions"] is None
    decisions = api.client.get(f"{BASE}/decision-definition?key=time_limits", headers=bearer(api, "analyst"))
    assert [d["version"] for d in decisions.get_json()] == [1, 2]


def test_duplicate_filtering_is_per_deployment_name(api):
    edited = BPMN.replace("出生登记审核".encode(), "出生登记审核（修订）".encode())
    first = deploy(api, [("newborn_birth.bpmn", edited)], name="a").get_json()
    [(definition_id, definition)] = first["deployedProcessDefinitions"].items()
    assert definition["version"] == 2
    assert deploy(api, [("newborn_birth.bpmn", edited)], name="a").get_json()["id"] == first["id"]
    named_b = deploy(api, [("newborn_birth.bpmn", edited)], name="b").get_json()
    assert named_b["id"] != first["id"]  # another name: Camunda deploys it
    assert list(named_b["deployedProcessDefinitions"]) == [definition_id]  # the same BPMN: the same version
    # another source under the same name is another series too
    assert deploy(api, [("newborn_birth.bpmn", edited)], name="a", source="curl").get_json()["id"] not in (
        first["id"],
        named_b["id"],
    )
    activation = deploy(
        api,
        [("newborn_birth.bpmn", edited)],
        name="a",
        **{"deployment-activation-time": "2027-01-01T00:00:00.000+0800"},
    )
    assert activation.status_code == 400 and "deployment-activation-time" in activation.get_json()["message"]


def test_a_deployments_files_and_deleting_it(api, clock):
    edited = BPMN.replace("出生登记审核".encode(), "出生登记审核（试）".encode())
    test_deployment = deploy(api, [("newborn_birth.bpmn", edited)], name="test").get_json()
    deployment_id = test_deployment["id"]
    resources = api.client.get(f"{BASE}/deployment/{deployment_id}/resources", headers=bearer(api, "analyst"))
    assert sorted(r["name"] for r in resources.get_json()) == sorted(
        ["newborn_birth.bpmn", "eligibility.dmn", "materials.dmn", "police_station.dmn", "time_limits.dmn"]
    )
    bpmn = next(r for r in resources.get_json() if r["name"] == "newborn_birth.bpmn")
    one = api.client.get(f"{BASE}/deployment/{deployment_id}/resources/{bpmn['id']}", headers=bearer(api, "analyst"))
    assert one.get_json() == bpmn
    data = api.client.get(
        f"{BASE}/deployment/{deployment_id}/resources/{bpmn['id']}/data", headers=bearer(api, "analyst")
    )
    assert data.data == edited and data.headers["Content-Disposition"].startswith("attachment")
    assert (
        api.client.get(
            f"{BASE}/deployment/{deployment_id}/resources/999999/data", headers=bearer(api, "analyst")
        ).status_code
        == 404
    )
    started = start(api, clock)  # runs on the test deployment (its version is the latest)
    refused = api.client.delete(f"{BASE}/deployment/{deployment_id}", headers=bearer(api, "analyst"))
    assert refused.status_code == 409 and "cascade=true" in refused.get_json()["message"]
    analyst = api.client.delete(f"{BASE}/deployment/{deployment_id}?cascade=true", headers=bearer(api, "analyst"))
    assert analyst.status_code == 403 and "only an admin" in analyst.get_json()["message"]
    assert (
        api.client.delete(f"{BASE}/deployment/{deployment_id}?cascade=true", headers=bearer(api, "admin")).status_code
        == 204
    )
    view = api.get(f"/api/process-instances/{started['id']}", "supervisor").get_json()
    assert view["state"] == "cancelled"
    history = api.get(f"/api/process-instances/{started['id']}/history", "supervisor").get_json()["items"]
    assert history[-1]["kind"] == "instance_cancelled" and f"部署{deployment_id}已删除" in history[-1]["reason"]
    assert api.client.get(f"{BASE}/deployment/{deployment_id}", headers=bearer(api, "analyst")).status_code == 404
    assert deployment_id not in {
        d["id"] for d in api.client.get(f"{BASE}/deployment", headers=bearer(api, "analyst")).get_json()
    }
    latest = api.client.get(f"{BASE}/process-definition/key/newborn_birth", headers=bearer(api, "analyst"))
    assert latest.get_json()["version"] == 1  # the version before is the latest again
    assert start(api, clock, 2)["definition"]["version"] == 1
    assert api.client.delete(f"{BASE}/deployment/{deployment_id}", headers=bearer(api, "admin")).status_code == 404
    assert api.client.delete(f"{BASE}/deployment/1", headers=bearer(api, "supervisor")).status_code == 403


def test_decisions_listed_read_and_evaluated(api):
    headers = bearer(api, "analyst")
    listed = api.client.get(f"{BASE}/decision-definition?latestVersion=true", headers=headers).get_json()
    assert {"time_limits", "eligibility", "materials", "police_station_rule"} <= {d["key"] for d in listed}
    assert api.client.get(f"{BASE}/decision-definition/count?key=time_limits", headers=headers).get_json() == {
        "count": 1
    }
    limits = api.client.get(f"{BASE}/decision-definition/key/time_limits", headers=headers).get_json()
    assert limits["name"] == "办结时限（工作日）" and limits["resource"] == "time_limits.dmn"
    by_id = api.client.get(f"{BASE}/decision-definition/{limits['id']}", headers=headers).get_json()
    assert by_id == limits
    xml = api.client.get(f"{BASE}/decision-definition/{limits['id']}/xml", headers=headers).get_json()
    assert xml["dmnXml"].encode("utf-8") == (WORKFLOWS / "time_limits.dmn").read_bytes()
    evaluated = api.client.post(
        f"{BASE}/decision-definition/key/time_limits/evaluate",
        headers=headers,
        json={"variables": {"region": {"value": "gansu", "type": "String"}}},
    )
    assert evaluated.status_code == 200, evaluated.get_json()
    [result] = evaluated.get_json()
    assert result["hukou_registration"] == {"type": "Integer", "value": 1, "valueInfo": {}}
    unknown = api.client.post(
        f"{BASE}/decision-definition/key/time_limits/evaluate",
        headers=headers,
        json={"variables": {"region": {"value": "atlantis", "type": "String"}}},
    )
    assert unknown.status_code == 200 and unknown.get_json() == []  # no row for it: no result
    wrong = api.client.post(
        f"{BASE}/decision-definition/key/time_limits/evaluate",
        headers=headers,
        json={"variables": {"region": {"value": 10**30, "type": "Integer"}}},
    )
    assert wrong.status_code == 400 and "java.lang.Integer" in wrong.get_json()["message"]
    assert (
        api.client.post(
            f"{BASE}/decision-definition/key/time_limits/evaluate", headers=bearer(api, "portal"), json={}
        ).status_code
        == 403
    )
    assert api.client.get(f"{BASE}/decision-definition/key/nothing", headers=headers).status_code == 404


def test_statistics_count_instances_and_incidents_per_activity(api, ctx, clock):
    first = start(api, clock, 1)
    start(api, clock, 2)
    headers = bearer(api, "supervisor")
    stats = api.client.get(
        f"{BASE}/process-definition/key/newborn_birth/statistics?incidents=true&failedJobs=true", headers=headers
    ).get_json()
    by_activity = {row["id"]: row for row in stats}
    assert by_activity["birth_certificate_review"]["instances"] == 2
    with ctx.uow() as uow:  # a job whose attempts ran out (here the review's overdue timer)
        job = uow.jobs.for_instance(first["id"])[0]
        job.state = "incident"
        activity = job.activity_id
        uow.commit()
    stats = api.client.get(
        f"{BASE}/process-definition/key/newborn_birth/statistics?incidents=true&failedJobs=true", headers=headers
    ).get_json()
    row = next(r for r in stats if r["id"] == activity)
    assert row["failedJobs"] == 1 and row["incidents"] == [{"incidentType": "failedJob", "incidentCount": 1}]
    overall = api.client.get(f"{BASE}/process-definition/statistics?incidents=true", headers=headers).get_json()
    assert overall[0]["instances"] == 2 and overall[0]["incidents"][0]["incidentCount"] == 1
    assert overall[0]["definition"]["key"] == "newborn_birth"
    diagram = api.client.get(f"{BASE}/process-definition/key/newborn_birth/diagram", headers=headers)
    assert diagram.status_code == 200 and diagram.mimetype == "image/svg+xml" and b"<svg" in diagram.data
