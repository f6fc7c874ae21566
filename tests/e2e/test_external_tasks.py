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
import re
import threading
import time

import pytest

from engine.bootstrap import build_context
from engine.external_topics import ExternalTopics
from engine.usecases.accounts import add_user
from tests.support.databases import SPECS

EXTERNAL = "police.*,medical_insurance.*"
PASSWORD = "worker password 1"
WORKERS = {
    "police-w": dict(roles=["worker"], groups=["police"], jurisdictions=["62"]),
    "police-guizhou": dict(roles=["worker"], groups=["police"], jurisdictions=["52"]),
    "mi-w": dict(roles=["worker"], groups=["medical_insurance"], jurisdictions=["62"]),
}
HUKOU = {
    "registration_number": "HJ20261125000001",
    "citizen_id_number": "620102202611230014",
    "registered_on": "2026-11-25",
    "number": "HJ20261125000001",
    "police_station": {"name": "兰州市公安局城关分局庆阳路派出所", "division_code": "620102"},
}


@pytest.fixture
def ctx(database_url, clock, registry):
    ctx = build_context(
        database_url, clock=clock, registry=registry, specs=SPECS, external=ExternalTopics.parse(EXTERNAL)
    )
    yield ctx
    ctx.notifier.close()  # its listener's connection goes before the test's database does


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
    body = {
        "workerId": worker,
        "maxTasks": max_tasks,
        "usePriority": True,
        "topics": [{"topicName": t, "lockDuration": 60000, **topic_options} for t in topics],
    }
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
            assert api.post(f"/api/tasks/{step['task_id']}/claim", step["group"]).status_code == 200
            assert api.approve(step["task_id"], step["group"]).status_code == 200
    return body


@pytest.fixture
def police_clerk_everywhere(api, ctx):
    api.tokens["police"] = add_user(ctx, "police-62", roles=["clerk"], groups=["police"], jurisdictions=["62"])


def test_a_police_step_waits_for_an_external_worker_who_completes_it(
    api, ctx, workers, application, police_clerk_everywhere
):
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
    other = rest(
        api,
        "POST",
        f"/external-task/{task['id']}/complete",
        token=workers["police-w"],
        json={"workerId": "w2", "variables": {}},
    )
    assert other.status_code == 400 and "locked by worker 'w1'" in other.get_json()["message"]
    done = rest(
        api,
        "POST",
        f"/external-task/{task['id']}/complete",
        token=workers["police-w"],
        json={
            "workerId": "w1",
            "localVariables": {},
            "variables": {
                key: {
                    "type": "json" if isinstance(value, dict) else "string",
                    "value": json.dumps(value) if isinstance(value, dict) else value,
                    "valueInfo": {},
                }
                for key, value in HUKOU.items()
            },
        },
    )
    assert done.status_code == 204 and done.data == b""
    api.worker.run_until_idle()
    again = rest(
        api,
        "POST",
        f"/external-task/{task['id']}/complete",
        token=workers["police-w"],
        json={"workerId": "w1", "variables": {}},
    )
    assert again.status_code == 404

    instance = api.get(f"/api/process-instances/{started['id']}", "supervisor").get_json()
    hukou = {i["code"]: i for i in instance["items"]}["hukou_registration"]
    assert hukou["result"]["citizen_id_number"] == HUKOU["citizen_id_number"]
    history = api.get(f"/api/process-instances/{started['id']}/history?per_page=200", "supervisor").get_json()
    [completed] = [
        e for e in history["items"] if e["kind"] == "service_task_completed" and e["activity_id"] == "register_hukou"
    ]
    # the in-process worker went on with the next steps (push results) from the external result
    assert any(e["kind"] == "service_task_completed" and e["activity_id"] == "push_results" for e in history["items"])
    # and left the medical-insurance steps to their external workers
    topics = {j["topic"] for j in instance["jobs"]}
    assert topics and all(t.startswith("medical_insurance.") for t in topics), topics


def fetched(api, token, topic="police.register_birth", worker="w1", **options):
    response = fetch(api, token, [topic], worker=worker, **options)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_a_worker_that_fails_three_times_leaves_an_incident_an_admin_retries(
    api, ctx, workers, application, clock, police_clerk_everywhere
):
    started = to_hukou_registration(api, application)
    token = workers["police-w"]
    retries = None
    for attempt in range(3):
        [task] = fetched(api, token)
        assert task["retries"] == retries
        retries = 2 if task["retries"] is None else task["retries"] - 1
        failed = rest(
            api,
            "POST",
            f"/external-task/{task['id']}/failure",
            token=token,
            json={
                "workerId": "w1",
                "errorMessage": "户籍系统暂不可用",
                "errorDetails": f"attempt {attempt}: timeout",
                "retries": retries,
                "retryTimeout": 60000,
            },
        )
        assert failed.status_code == 204
        if retries:
            assert fetched(api, token) == []  # not before its retryTimeout
            clock.advance(__import__("datetime").timedelta(seconds=61))
    assert fetched(api, token) == []  # an incident: nobody gets it

    [incident] = api.get("/api/incidents", "admin").get_json()["items"]
    assert incident["message"] == "户籍系统暂不可用" and incident["attempts"] == 3
    assert incident["activity_id"] == "register_hukou" and incident["business_key"] == started["business_key"]
    details = rest(api, "GET", f"/external-task/{incident['id']}/errorDetails", token=token)
    assert details.status_code == 200 and details.data.decode() == "attempt 2: timeout"
    [listed] = rest(api, "GET", "/external-task?noRetriesLeft=true", token=token).get_json()
    assert listed["retries"] == 0 and listed["errorMessage"] == "户籍系统暂不可用"

    retried = api.post(f"/api/incidents/{incident['id']}/retry", "admin").get_json()
    assert retried["outcome"] == "queued" and "部门系统" in retried["outcome_message"]
    [task] = fetched(api, token, worker="w2")  # handed back to the department's workers
    assert (
        rest(
            api,
            "POST",
            f"/external-task/{task['id']}/complete",
            token=token,
            json={"workerId": "w2", "variables": {k: {"value": v} for k, v in HUKOU.items()}},
        ).status_code
        == 204
    )
    assert api.get("/api/incidents", "admin").get_json()["items"] == []


def test_a_bpmn_error_is_caught_by_the_diagram_as_a_handlers_business_error(
    api, ctx, workers, application, police_clerk_everywhere
):
    started = to_hukou_registration(api, application)
    token = workers["police-w"]
    [task] = fetched(api, token)
    refused = rest(
        api,
        "POST",
        f"/external-task/{task['id']}/bpmnError",
        token=token,
        json={
            "workerId": "w1",
            "errorCode": "police_station_required",
            "errorMessage": "请填写落户派出所",
            "variables": {"checked_by": {"value": "户籍系统", "type": "String"}},
        },
    )
    assert refused.status_code == 204
    [back] = [s for s in api.open_steps(started["id"]) if s["group"] == "police"]
    task_view = api.get(f"/api/tasks/{back['task_id']}", "police").get_json()
    assert task_view["refusal"]["code"] == "police_station_required"
    assert task_view["refusal"]["message"] == "请填写落户派出所"
    assert api.get("/api/incidents", "admin").get_json()["items"] == []

    # corrected and approved again: a step of its own, with a key of its own
    assert api.post(f"/api/tasks/{back['task_id']}/claim", "police").status_code == 200
    assert api.approve(back["task_id"], "police").status_code == 200
    [again] = fetched(api, token)
    assert again["extensionProperties"]["idempotencyKey"] == f"{started['id']}:register_hukou#2"


def test_a_bpmn_error_nothing_catches_is_an_incident_naming_its_code(
    api, ctx, workers, application, police_clerk_everywhere
):
    to_hukou_registration(api, application)
    token = workers["police-w"]
    [task] = fetched(api, token)
    refused = rest(
        api,
        "POST",
        f"/external-task/{task['id']}/bpmnError",
        token=token,
        json={"workerId": "w1", "errorCode": "no_such_code", "errorMessage": "无法办理"},
    )
    assert refused.status_code == 204
    [incident] = api.get("/api/incidents", "admin").get_json()["items"]
    assert incident["error_code"] == "no_such_code" and incident["message"] == "无法办理"
    assert incident["kind"] == "business_error"


def test_locks_expire_extend_and_are_given_back(api, ctx, workers, application, clock, police_clerk_everywhere):
    to_hukou_registration(api, application)
    token = workers["police-w"]
    [task] = fetched(api, token, worker="w1")
    assert fetched(api, token, worker="w2") == []  # held
    assert (
        rest(
            api,
            "POST",
            f"/external-task/{task['id']}/extendLock",
            token=token,
            json={"workerId": "w2", "newDuration": 60000},
        ).status_code
        == 400
    )
    assert (
        rest(
            api,
            "POST",
            f"/external-task/{task['id']}/extendLock",
            token=token,
            json={"workerId": "w1", "newDuration": 120000},
        ).status_code
        == 204
    )
    clock.advance(__import__("datetime").timedelta(seconds=90))
    assert fetched(api, token, worker="w2") == []  # extended: still w1's
    clock.advance(__import__("datetime").timedelta(seconds=40))
    [taken] = fetched(api, token, worker="w2")  # w1's lock expired: w2 gets the same step
    assert taken["id"] == task["id"] and taken["workerId"] == "w2"
    assert taken["extensionProperties"]["idempotencyKey"] == task["extensionProperties"]["idempotencyKey"]
    late = rest(
        api, "POST", f"/external-task/{task['id']}/complete", token=token, json={"workerId": "w1", "variables": {}}
    )
    assert late.status_code == 400 and late.headers["Content-Type"] == "application/json"
    assert late.get_json()["type"] == "InvalidRequestException"
    assert rest(api, "POST", f"/external-task/{task['id']}/unlock", token=token).status_code == 204
    assert (
        rest(
            api, "POST", f"/external-task/{task['id']}/lock", token=token, json={"workerId": "w3", "lockDuration": 1000}
        ).status_code
        == 204
    )
    [one] = rest(api, "GET", "/external-task?locked=true", token=token).get_json()
    assert one["workerId"] == "w3" and one["lockExpirationTime"]
    assert rest(api, "GET", "/external-task/count?workerId=w3", token=token).get_json() == {"count": 1}
    assert rest(api, "GET", f"/external-task/{task['id']}", token=token).get_json()["workerId"] == "w3"
    assert (
        rest(api, "POST", "/external-task/not-a-task/complete", token=token, json={"workerId": "w3"}).status_code == 404
    )


def test_a_worker_fetches_only_its_departments_topics_in_its_jurisdictions(
    api, ctx, workers, application, police_clerk_everywhere
):
    to_hukou_registration(api, application)
    refused = fetch(api, workers["police-w"], ["medical_insurance.enrol"])
    assert refused.status_code == 403 and refused.get_json()["type"] == "AuthorizationException"
    assert fetch(api, workers["mi-w"], ["police.register_birth"]).status_code == 403
    assert fetched(api, workers["police-guizhou"]) == []  # a Gansu application: not in Guizhou's reach
    [task] = fetched(api, workers["police-w"])
    assert (
        rest(
            api,
            "POST",
            f"/external-task/{task['id']}/complete",
            token=workers["mi-w"],
            json={"workerId": "w1", "variables": {}},
        ).status_code
        == 403
    )
    assert (
        rest(
            api,
            "POST",
            f"/external-task/{task['id']}/complete",
            token=workers["police-guizhou"],
            json={"workerId": "w1", "variables": {}},
        ).status_code
        == 404
    )
    assert rest(api, "GET", f"/external-task/{task['id']}", token=workers["mi-w"]).status_code == 403
    # a clerk of the police is not a worker; an in-process topic is not fetched
    assert fetch(api, api.tokens["police"], ["police.register_birth"]).status_code == 403
    inside = fetch(
        api,
        add_user(ctx, "sc-w", roles=["worker"], groups=["service_center"], jurisdictions=["62"]),
        ["service_center.dispatch"],
    )
    assert inside.status_code == 400 and "ONETHING_EXTERNAL_TOPICS" in inside.get_json()["message"]
    # Basic with the worker's password works as a bearer token does
    basic = rest(
        api,
        "POST",
        "/external-task/fetchAndLock",
        user="police-w",
        json={
            "workerId": "w9",
            "maxTasks": 1,
            "topics": [{"topicName": "police.register_birth", "lockDuration": 1000}],
        },
    )
    assert basic.status_code == 200 and basic.get_json() == []


@pytest.mark.parametrize(
    "body, problem",
    [
        ({"maxTasks": 1, "topics": []}, "workerId"),
        ({"workerId": "w", "topics": []}, "maxTasks"),
        ({"workerId": "w", "maxTasks": 1, "topics": [{"topicName": "police.register_birth"}]}, "lockDuration"),
        ({"workerId": "w", "maxTasks": 1, "topics": "police"}, "topics"),
        ({"workerId": "w", "maxTasks": 1, "topics": [], "asyncResponseTimeout": 1_800_001}, "asyncResponseTimeout"),
        ({"workerId": ["w"], "maxTasks": 1, "topics": []}, "workerId"),
    ],
)
def test_a_bad_fetch_is_400_in_camundas_shape(api, workers, body, problem):
    response = rest(api, "POST", "/external-task/fetchAndLock", token=workers["police-w"], json=body)
    assert response.status_code == 400 and problem in response.get_json()["message"]
    assert response.get_json()["type"] == "InvalidRequestException"


def test_the_pypi_clients_fetch_and_untyped_answers(api, ctx, workers, application, police_clerk_everywhere):
    """The body camunda-external-task-client-python3 4.5.0 sends (nulls and all); its untyped variables."""
    started = to_hukou_registration(api, application)
    body = {
        "workerId": "py-1",
        "maxTasks": 1,
        "asyncResponseTimeout": 1000,
        "usePriority": False,
        "sorting": None,
        "topics": [
            {
                "topicName": "police.register_birth",
                "lockDuration": 300000,
                "processVariables": {},
                "includeExtensionProperties": True,
                "deserializeValues": True,
                "variables": None,
            }
        ],
    }
    [task] = rest(api, "POST", "/external-task/fetchAndLock", token=workers["police-w"], json=body).get_json()
    assert {"application", "limits"} <= set(task["variables"])  # null: every variable
    assert task["extensionProperties"] and task["tenantId"] is None
    answer = {
        "workerId": "py-1",
        "localVariables": {},
        "variables": {
            **{k: {"value": v} for k, v in HUKOU.items()},
            "notices": {"value": [{"audience": "applicant", "text": "出生登记已办结。"}]},
        },
    }
    assert (
        rest(api, "POST", f"/external-task/{task['id']}/complete", token=workers["police-w"], json=answer).status_code
        == 204
    )
    instance = api.get(f"/api/process-instances/{started['id']}", "supervisor").get_json()
    assert "出生登记已办结。" in [n["text"] for n in instance["notices"]]


def test_the_incident_resource_names_external_and_in_process_failures(
    api, ctx, workers, application, police_clerk_everywhere
):
    add_user(ctx, "admin-rest", roles=["admin"], groups=[], jurisdictions=["62"], password=PASSWORD)
    started = to_hukou_registration(api, application)
    [task] = fetched(api, workers["police-w"])
    rest(
        api,
        "POST",
        f"/external-task/{task['id']}/failure",
        token=workers["police-w"],
        json={"workerId": "w1", "errorMessage": "户籍系统拒绝连接", "retries": 0},
    )
    response = rest(api, "GET", "/incident", user="admin-rest")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/json"
    [incident] = response.get_json()
    assert incident["incidentType"] == "failedExternalTask" and incident["id"] == task["id"]
    assert incident["processInstanceId"] == started["id"] and incident["incidentMessage"] == "户籍系统拒绝连接"
    assert incident["activityId"] == "register_hukou" and incident["processDefinitionId"].startswith("newborn_birth:")
    assert rest(api, "GET", "/incident/count?incidentType=failedJob", user="admin-rest").get_json() == {"count": 0}
    assert rest(api, "GET", "/incident/count", user="admin-rest").get_json() == {"count": 1}
    assert rest(api, "GET", f"/incident/{task['id']}", user="admin-rest").get_json()["id"] == task["id"]
    assert rest(api, "GET", "/incident", token=workers["police-w"]).status_code == 403
    # Camunda's way of resolving it: retries set again; the next worker that asks gets it
    assert (
        rest(api, "PUT", f"/external-task/{task['id']}/retries", user="admin-rest", json={"retries": 1}).status_code
        == 204
    )
    assert rest(api, "GET", "/incident/count", user="admin-rest").get_json() == {"count": 0}
    [again] = fetched(api, workers["police-w"], worker="w2")
    assert again["id"] == task["id"] and again["retries"] == 1


def test_a_long_poll_is_answered_when_a_job_comes_and_one_whose_client_went_locks_nothing(
    api, app, ctx, workers, application, police_clerk_everywhere
):
    body = api.start(application).get_json()
    answer: dict = {}

    def poll():
        client = app.test_client()
        response = client.post(
            "/engine-rest/external-task/fetchAndLock",
            headers={"Authorization": f"Bearer {workers['police-w']}"},
            json={
                "workerId": "waiting",
                "maxTasks": 1,
                "asyncResponseTimeout": 20000,
                "topics": [{"topicName": "police.register_birth", "lockDuration": 60000}],
            },
        )
        answer.update(status=response.status_code, tasks=response.get_json())

    poller = threading.Thread(target=poll)
    poller.start()
    time.sleep(0.3)
    assert poller.is_alive()  # nothing to do yet: held
    for _ in range(5):  # the reviews; the last one makes the police's job
        for step in api.open_steps(body["id"]):
            assert api.post(f"/api/tasks/{step['task_id']}/claim", step["group"]).status_code == 200
            assert api.approve(step["task_id"], step["group"]).status_code == 200
    poller.join(timeout=20)
    assert answer["status"] == 200 and [t["processInstanceId"] for t in answer["tasks"]] == [body["id"]]

    # a client that went away meanwhile (waitress says so): nothing is locked for it
    rest(api, "POST", f"/external-task/{answer['tasks'][0]['id']}/unlock", token=workers["police-w"])
    gone = api.client.post(
        "/engine-rest/external-task/fetchAndLock",
        headers={"Authorization": f"Bearer {workers['police-w']}"},
        environ_base={"waitress.client_disconnected": lambda: True},
        json={
            "workerId": "gone",
            "maxTasks": 1,
            "asyncResponseTimeout": 20000,
            "topics": [{"topicName": "police.register_birth", "lockDuration": 60000}],
        },
    )
    assert gone.status_code == 200 and gone.get_json() == []
    assert rest(api, "GET", "/external-task/count?locked=true", token=workers["police-w"]).get_json() == {"count": 0}
    [task] = fetched(api, workers["police-w"], worker="alive")
    assert task["workerId"] == "alive"


def test_the_admins_see_external_topics_who_holds_each_step_since_when_and_their_incidents(
    api, app, ctx, workers, application, police_clerk_everywhere
):
    from tests.e2e.test_web_pages import sign_in, token

    add_user(ctx, "admin-web", ["admin"], [], ["62"], password=PASSWORD)
    admin = app.test_client()
    assert sign_in(admin, "admin-web", PASSWORD).status_code == 302
    started = to_hukou_registration(api, application)
    [task] = fetched(api, workers["police-w"], worker="hukou-system-7")

    page = admin.get("/admin/external-tasks")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "外部任务" in text
    assert "police.*" in text and "medical_insurance.*" in text
    row = re.search(r"<code>police\.register_birth</code>.*?</tr>", text, re.S).group(0)
    assert "部门系统（外部）" in row
    dispatch = re.search(r"<code>service_center\.dispatch</code>.*?</tr>", text, re.S).group(0)
    assert "本系统内置" in dispatch
    held = re.search(rf"{started['business_key']}.*?</tr>", text, re.S).group(0)
    assert "hukou-system-7" in held and "2026年11月25日" in held  # which worker, since when (Beijing time)
    assert 'href="/admin/external-tasks"' in admin.get("/admin").get_data(as_text=True)  # in the navigation

    instance_page = admin.get(f"/applications/{started['id']}").get_data(as_text=True)
    step = re.search(r"户口登记</td>.*?</tr>", instance_page, re.S).group(0)
    assert "部门系统" in step and "hukou-system-7" in step and "办理中" in step

    rest(
        api,
        "POST",
        f"/external-task/{task['id']}/failure",
        token=workers["police-w"],
        json={"workerId": "hukou-system-7", "errorMessage": "户籍系统维护中", "retries": 0},
    )
    text = admin.get("/admin/external-tasks").get_data(as_text=True)
    assert "户籍系统维护中" in text
    home = admin.get("/admin")
    assert "户籍系统维护中" in home.get_data(as_text=True)  # with every other incident
    done = admin.post(f"/admin/incidents/{task['id']}/retry", data={"csrf_token": token(home)}, follow_redirects=True)
    assert "交回部门系统" in done.get_data(as_text=True)
    [again] = fetched(api, workers["police-w"], worker="hukou-system-8")
    assert again["id"] == task["id"]
