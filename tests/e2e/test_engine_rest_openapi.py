"""``/engine-rest/openapi.json`` lists exactly what the facade serves (issue 24): every route and method, no
more, each with who may call it; and every role is refused where ``/api`` refuses it."""

from __future__ import annotations

import re

import pytest

from .test_engine_rest_instances import BASE, bearer


def served(app) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("engine_rest.") and rule.endpoint != "engine_rest.preflight":
            path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule[len(BASE) :])
            found |= {(path, method.lower()) for method in rule.methods - {"HEAD", "OPTIONS"}}
    return found


def test_the_document_lists_exactly_the_routes(api, app):
    response = api.client.get(f"{BASE}/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    listed = {(path, method) for path, operations in document["paths"].items() for method in operations}
    assert listed == served(app)
    assert {
        ("/process-instance", "get"),
        ("/task/{task_id}/complete", "post"),
        ("/history/task", "get"),
        ("/decision-definition/key/{key}/evaluate", "post"),
        ("/deployment/{deployment_id}", "delete"),
        ("/openapi.json", "get"),
    } <= listed
    claim = document["paths"]["/task/{task_id}/claim"]["post"]
    assert claim["x-roles"] == ["clerk"] and claim["parameters"][0]["name"] == "task_id"
    assert claim["summary"].startswith("Take the task")
    assert "security" not in document["paths"]["/version"]["get"]
    assert document["servers"] == [{"url": BASE}]


# (method, path, a role that may, a role refused with 403)
ROLES = [
    ("GET", "/process-instance", "portal", "analyst"),
    ("GET", "/task", "midwifery", "supervisor"),
    ("GET", "/history/process-instance", "supervisor", "analyst"),
    ("GET", "/history/activity-instance", "admin", "midwifery"),
    ("GET", "/history/task", "supervisor", "portal"),
    ("GET", "/decision-definition", "analyst", "portal"),
    ("GET", "/deployment/1/resources", "analyst", "midwifery"),
    ("GET", "/process-definition/key/newborn_birth/statistics", "supervisor", "portal"),
]


@pytest.mark.parametrize("method, path, allowed, refused", ROLES, ids=[f"{m} {p}" for m, p, _, _ in ROLES])
def test_who_may_call_what(api, method, path, allowed, refused):
    assert api.client.open(BASE + path, method=method).status_code == 401
    assert api.client.open(BASE + path, method=method, headers=bearer(api, allowed)).status_code == 200
    answer = api.client.open(BASE + path, method=method, headers=bearer(api, refused))
    assert answer.status_code == 403 and answer.get_json()["type"] == "AuthorizationException"
