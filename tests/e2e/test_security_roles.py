"""Every route × every role: 401 without a valid token, 403 for a role the route does not admit (R8.2, R8.3).

The table below is the access policy; the test walks ``app.url_map``, so a route added without an entry
here fails, as does an entry whose route is gone.
"""

from __future__ import annotations

import io
from contextlib import redirect_stdout

import pytest

from engine.cli import main
from engine.usecases.accounts import add_user, revoke
from engine.users import ROLES
from tests.sample_files import pdf

PUBLIC = "public"

# (method, rule) → the roles admitted; PUBLIC needs no token at all.
POLICY: dict[tuple[str, str], set[str] | str] = {
    ("GET", "/api/health"): PUBLIC,
    ("GET", "/api/health/live"): PUBLIC,
    ("GET", "/api/health/ready"): PUBLIC,  # 200 with a worker running (the ids fixture's heartbeat)
    ("GET", "/api/openapi.json"): PUBLIC,
    ("POST", "/api/process-definitions/<key>/start"): {"portal"},
    ("POST", "/api/applications/check"): {"portal"},
    ("POST", "/api/process-definitions/<key>/check"): {"portal"},
    ("GET", "/api/process-instances/<instance_id>"): {"portal", "clerk", "supervisor", "admin"},
    ("GET", "/api/applications/<business_key>/progress"): {"portal", "supervisor", "admin"},
    ("GET", "/api/applications/<business_key>/events"): {"portal", "clerk", "supervisor", "admin"},
    ("GET", "/api/process-instances/<instance_id>/history"): {"supervisor", "admin"},
    ("POST", "/api/process-instances/<instance_id>/cancel"): {"portal", "admin"},
    ("GET", "/api/tasks"): {"clerk"},
    ("GET", "/api/tasks/<task_id>"): {"clerk"},
    ("POST", "/api/tasks/<task_id>/claim"): {"clerk"},
    ("POST", "/api/tasks/<task_id>/unclaim"): {"clerk"},
    ("POST", "/api/tasks/<task_id>/complete"): {"clerk"},
    ("PUT", "/api/tasks/<task_id>/follow-up"): {"clerk"},
    ("GET", "/api/tasks/<task_id>/colleagues"): {"clerk"},
    ("POST", "/api/tasks/<task_id>/assign"): {"clerk"},
    ("GET", "/api/search"): {"clerk", "supervisor", "admin"},
    ("POST", "/api/process-instances/<instance_id>/comments"): {"clerk"},
    ("POST", "/api/deployments"): {"analyst"},
    ("GET", "/api/process-definitions"): {"analyst", "supervisor"},
    ("GET", "/api/process-definitions/<key>/xml"): {"analyst"},
    ("POST", "/api/messages"): {"portal", "clerk", "admin"},
    ("GET", "/api/incidents"): {"admin"},
    ("POST", "/api/incidents/<incident_id>/retry"): {"admin"},
    ("PUT", "/api/process-instances/<instance_id>/materials/<code>"): {"portal", "clerk"},
    ("GET", "/api/process-instances/<instance_id>/materials"): {"portal", "clerk"},
    ("GET", "/api/process-instances/<instance_id>/materials/<code>/content"): {"portal", "clerk"},
    ("GET", "/api/process-instances/<instance_id>/diagram.svg"): {"clerk", "supervisor"},
    ("GET", "/api/metrics/service-levels"): {"supervisor"},
    ("GET", "/api/oversight/overdue"): {"supervisor", "admin"},
    ("GET", "/api/calendar"): {"portal", "clerk", "analyst", "supervisor", "admin", "worker"},
    ("GET", "/api/calendar/<year>"): {"portal", "clerk", "analyst", "supervisor", "admin", "worker"},
    ("PUT", "/api/calendar/<year>"): {"admin"},
    ("GET", "/api/process-instances/<instance_id>/legal-hold"): {"admin"},
    ("PUT", "/api/process-instances/<instance_id>/legal-hold"): {"admin"},
    ("GET", "/api/retention/policies"): {"admin", "supervisor"},
}

# The user that speaks for each role (conftest's USERS): the clerk works the first review's group.
SPEAKER = {
    "portal": "portal",
    "clerk": "midwifery",
    "analyst": "analyst",
    "supervisor": "supervisor",
    "admin": "admin",
    "worker": "worker",
}
DUMMY = "00000000-0000-0000-0000-000000000000"


def api_routes(app) -> list[tuple[str, str]]:
    return sorted(
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    )


def real_ids(api, application) -> dict[str, str]:
    """Files ``application`` with an uploaded material; an id for every path parameter of the API (the
    open task is the first review; there is no incident), so admitted roles reach the use cases. A worker
    says it runs (readiness answers 200)."""
    api.worker.heartbeat_round()
    started = api.start(application).get_json()
    [step] = api.open_steps(started["id"])
    api.call("PUT", f"/api/process-instances/{started['id']}/materials/marriage_certificate", "portal", data=pdf())
    return {
        "key": "newborn_birth",
        "instance_id": started["id"],
        "business_key": started["business_key"],
        "task_id": step["task_id"],
        "incident_id": DUMMY,
        "code": "marriage_certificate",
        "year": "2027",
    }


@pytest.fixture
def ids(api, application, app, tmp_path):
    app.config["MATERIALS_DIR"] = str(tmp_path / "materials")
    return real_ids(api, application)


def call(api, method, rule, ids, headers):
    path = rule
    for name, value in ids.items():
        path = path.replace(f"<{name}>", value)
    assert "<" not in path, f"no value for a parameter of {rule}"
    return api.call(method, path, headers=dict(headers), json={} if method in ("POST", "PUT") else None)


def test_the_policy_lists_every_route(app):
    routes = set(api_routes(app))
    assert routes - POLICY.keys() == set(), "routes without an access policy entry"
    assert POLICY.keys() - routes == set(), "policy entries for routes that no longer exist"


def test_every_route_refuses_a_missing_or_malformed_token(api, app, ids):
    for method, rule in api_routes(app):
        for headers in (
            {},
            {"Authorization": "Bearer "},
            {"Authorization": "Basic cG9ydGFsOnB3"},
            {"Authorization": "Bearer not-a-token"},
            {"Authorization": api.tokens["portal"]},
        ):
            status = call(api, method, rule, ids, headers).status_code
            if POLICY[(method, rule)] == PUBLIC:
                assert status == 200, (method, rule, headers)
            else:
                assert status == 401, (method, rule, headers, status)


def test_every_route_refuses_a_revoked_token(api, app, ctx, ids):
    token = add_user(
        ctx, "revoked-everything", roles=list(ROLES), groups=["midwifery", "service_center"], jurisdictions=["62"]
    )
    revoke(ctx, "revoked-everything")
    for method, rule in api_routes(app):
        status = call(api, method, rule, ids, {"Authorization": f"Bearer {token}"}).status_code
        assert status == (200 if POLICY[(method, rule)] == PUBLIC else 401), (method, rule, status)


@pytest.mark.parametrize("role", ROLES)
def test_every_route_admits_exactly_the_roles_of_the_policy(api, app, ids, role):
    """An admitted role may still get 404/409/422 for what it sends, never 401 or 403 (nor a 5xx)."""
    headers = {"Authorization": f"Bearer {api.tokens[SPEAKER[role]]}"}
    for method, rule in api_routes(app):
        policy = POLICY[(method, rule)]
        response = call(api, method, rule, ids, headers)
        if policy != PUBLIC and role not in policy:
            assert response.status_code == 403, (method, rule, role, response.status_code)
            assert response.mimetype == "application/problem+json"
        else:
            assert response.status_code not in (401, 403) and response.status_code < 500, (
                method,
                rule,
                role,
                response.status_code,
                response.get_data(as_text=True)[:300],
            )


def test_a_token_revoked_with_the_command_line_gets_401(api, database_url, monkeypatch):
    """``onething user add`` prints a token that works; ``onething user revoke`` ends it at once."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["user", "add", "kiosk", "--role", "portal", "--jurisdiction", "62"]) == 0
    token = out.getvalue().strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/process-instances/" + DUMMY, headers=dict(headers)).status_code == 404
    with redirect_stdout(io.StringIO()):
        assert main(["user", "revoke", "kiosk"]) == 0
    response = api.get("/api/process-instances/" + DUMMY, headers=dict(headers))
    assert response.status_code == 401 and response.mimetype == "application/problem+json"
    assert response.get_json()["detail"] == "invalid or revoked token"
