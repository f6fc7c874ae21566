"""Camunda 7's external tasks through the facade, in process (issue 23): the police and medical-insurance topics
are handed to external workers (``ONETHING_EXTERNAL_TOPICS``); the in-process worker leaves them alone; a
worker fetches and locks, completes (its variables are the step's result), fails (retries, then an incident an
admin retries), throws a BPMN error (caught by the diagram, or an incident naming the code), extends, locks and
unlocks; what the stock clients need of the answers (exact ``application/json``, 204, ``{}`` extension
properties, Json as JSON text, 400 for another worker's lock, 404 for a task gone); who may fetch what.

The stock clients themselves, as separate processes against ``onething serve``: ``test_external_workers.py``.
"""

from __future__ import annotations

import base64
import json
import threading
import time

import pytest

from engine.bootstrap import build_context
from engine.external_topics import ExternalTopics
from engine.usecases.accounts import add_user
from handlers.newborn.samples import sample_application
from tests.support.databases import SPECS

EXTERNAL = "police.*,medical_insurance.*"
PASSWORD = "worker password 1"
WORKERS = {
    "police-w": dict(roles=["worker"], groups=["police"], jurisdictions=["62"]),
    "police-guizhou": dict(roles=["worker"], groups=["police"], jurisdictions=["52"]),
    "mi-w": dict(roles=["worker"], groups=["medical_insurance"], jurisdictions=["62"]),
}
HUKOU = {"registration_number": "HJ20261125000001", "citizen_id_number": "620102202611230014",
         "registered_on": "2026-11-25", "number": "HJ20261125000001",
         "police_station": {"name": "兰州市公安局城关分局庆阳路派出所", "division_code": "620102"}}


@pytest.fixture
def ctx(database_url, clock, registry):
    return build_context(database_url, clock=clock, registry=registry, specs=SPECS,
                         external=ExternalTopics.parse(EXTERNAL))


@pytest.fixture
def workers(ctx):
    return {name: add_user(ctx, name, **spec, password=PASSWORD) for name, spec in WORKERS.items()}


def rest(api, method, path, user=None, token=None, **kwargs):
    headers = kwargs.pop("headers", {})
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    elif user is not None:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{user}:{PASSWORD}".encode()).decode()
    return api.client.open(f"/engine-rest{path}", method=method, headers=headers, **kwargs)


def fetch(api, token, topics, worker="w1", max_tasks=10, wait=0, **topic_options):
    body = {"workerId": worker, "maxTasks": max_tasks, "usePriority": True,
            "topics": [{"topicName": t, "lockDuration": 60000, **topic_options} for t in topics]}
    if wait:
        body["asyncResponseTimeout"] = wait
    return rest(api, "POST", "/external-task/fetchAndLock", token=token, json=body)


def to_hukou_registration(api, application):
    """Start an application and approve its reviews until police.register_birth is ready (external: it waits)."""
    body = api.start(application).get_json()
    for _ in range(5):
        steps = api.open_steps(body["id"])
        if not steps:
            break
        for step in steps:
            clerk = {"service_center": "service_center", "midwifery": "midwifery", "police": "police"}[step["group"]]
            if step["group"] == "police":
                clerk = "police"
            assert api.post(f"/api/tasks/{step['task_id']}/claim", clerk).status_code == 200
            assert api.approve(step["task_id"], clerk).status_code == 200
    return body


@pytest.fixture
def police_clerk_everywhere(api, ctx):
    api.tokens["police"] = add_user(ctx, "police-62", roles=["clerk"], groups=["police"], jurisdictions=["62"])


def test_a_police_step_waits_for_an_external_worker_who_completes_it(api, ctx, workers, application,
                                                                     police_clerk_everywhere):
    started = to_hukou_registration(api, application)
    instance = api.get(f"/api/process-instances/{started['id']}", "supervisor").get_json()
    assert instance["state"] == "active"
    [job] = [j for j in instance["jobs"] if j["topic"] == "police.register_birth"]
    assert job["external"] is True and job["worker"] is None

    response = fetch(api, workers["police-w"], ["police.register_birth"], variables=["application", "results"])
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/json"
    [task] = response.get_json()
    assert task["topicName"] == "police.register_birth" and task["workerId"] == "w1"
    assert task["processInstanceId"] == started["id"] and task["businessKey"] == started["business_key"]
    assert task["retries"] is None and task["activityId"] == "register_hukou"
    assert set(task["variables"]) <= {"application", "results"} and task["variables"]["application"]["type"] == "Json"
    assert json.loads(task["variables"]["application"]["value"])["region"] == application["region"]
    assert task["extensionProperties"]["item"] == "hukou_registration"
    assert task["extensionProperties"]["idempotencyKey"] == f"{started['id']}:register_hukou"

    seen = api.get(f"/api/process-instances/{started['id']}", "supervisor").get_json()
    [held] = [j for j in seen["jobs"] if j["topic"] == "police.register_birth"]
    assert held["worker"] == "w1" and held["locked_at"] and held["locked_until"]

    # another worker's answer: 400; the holder's: 204, with lower-case types as the npm client sends them
    other = rest(api, "POST", f"/external-task/{task['id']}/complete", token=workers["police-w"],
                 json={"workerId": "w2", "variables": {}})
    assert other.status_code == 400 and "locked by worker 'w1'" in other.get_json()["message"]
    done = rest(api, "POST", f"/external-task/{task['id']}/complete", token=workers["police-w"], json={
        "workerId": "w1", "localVariables": {},
        "variables": {key: {"type": "json" if isinstance(value, dict) else "string",
                            "value": json.dumps(value) if isinstance(value, dict) else value, "valueInfo": {}}
                      for key, value in HUKOU.items()}})
    assert done.status_code == 204 and done.data == b""
    api.worker.run_until_idle()
    again = rest(api, "POST", f"/external-task/{task['id']}/complete", token=workers["police-w"],
                 json={"workerId": "w1", "variables": {}})
    assert again.status_code == 404

    instance = api.get(f"/api/process-instances/{started['id']}", "supervisor").get_json()
    hukou = {i["code"]: i for i in instance["items"]}["hukou_registration"]
    assert hukou["result"]["citizen_id_number"] == HUKOU["citizen_id_number"]
    history = api.get(f"/api/process-instances/{started['id']}/history?per_page=200", "supervisor").get_json()
    [completed] = [e for e in history["items"] if e["kind"] == "service_task_completed"
                   and e["activity_id"] == "register_hukou"]
    # the in-process worker went on with the next steps (push results) from the external result
    assert any(e["kind"] == "service_task_completed" and e["activity_id"] == "push_results" for e in history["items"])
    # and left the medical-insurance steps to their external workers
    topics = {j["topic"] for j in instance["jobs"]}
    assert topics and all(t.startswith("medical_insurance.") for t in topics), topics
