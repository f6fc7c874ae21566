"""The headers of every answer (issue 19, finding 4): a walk through every page each role reaches -- following
the links, images and embedded objects of each page from the role's home, as a browser would -- and the API's
answers carrying personal data. Pages run no inline script and no inline event handler under a policy that
forbids them, cannot be framed, send no referrer elsewhere and are never stored by a cache; drawings are
images that run nothing; HSTS is sent behind HTTPS."""

from __future__ import annotations

import base64
import re
from collections import deque
from urllib.parse import urljoin, urlsplit

import lxml.html
import pytest

from api import create_app
from engine.usecases.accounts import add_user
from handlers.newborn.samples import sample_application
from tests.sample_files import png

PASSWORD = "headers password 1"
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'"
ROLES = {
    "clerk": (["clerk"], ["midwifery"], "/tasks"),
    "supervisor": (["supervisor"], [], "/oversight"),
    "admin": (["admin"], [], "/admin"),
}
REACHED = {  # what the walk must have seen, per role (a page dropped from the links would go unchecked)
    None: {"web.login", "web.index", "web.camunda_webapps"},
    "clerk": {"web.queue", "web.task", "web.material", "web.diagram", "web.done", "web.account"},
    "supervisor": {"web.oversight", "web.application", "web.diagram", "web.account"},
    "admin": {
        "web.admin_home",
        "web.users",
        "web.definition",
        "web.definition_diagram",
        "web.calendar_year",
        "web.oversight",
        "web.application",
        "web.diagram",
    },
}


def sign_in(app, ctx, role):
    roles, groups, _ = ROLES[role]
    add_user(ctx, f"{role}-h", roles, groups, ["62"], password=PASSWORD)
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert (
        client.post("/login", data={"name": f"{role}-h", "password": PASSWORD, "csrf_token": csrf}).status_code == 302
    )
    return client


def links_of(html: str, base: str) -> set[str]:
    """Same-site paths a browser would fetch or follow from a page (links, images, objects, scripts, styles)."""
    document = lxml.html.fromstring(html)
    found = set()
    for element, _attribute, link, _ in document.iterlinks():
        if element.tag == "form":
            continue  # forms post (CSRF-checked): the walk only reads
        parts = urlsplit(urljoin(base, link))
        if parts.netloc in ("", "localhost") and parts.path.startswith("/"):
            found.add(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


def walk(app, client, start: list[str], limit: int = 200) -> dict[str, object]:
    """Every same-site answer reachable from ``start`` by GET: path → response."""
    seen, queue = {}, deque(start)
    while queue and len(seen) < limit:
        path = queue.popleft()
        if path in seen or path.startswith("/logout"):
            continue
        response = client.get(path)
        seen[path] = response
        if response.status_code in (301, 302, 303) and response.headers.get("Location"):
            queue.append(urlsplit(urljoin("http://localhost" + path, response.headers["Location"])).path)
        if response.mimetype == "text/html":
            queue.extend(links_of(response.get_data(as_text=True), "http://localhost" + path))
    return seen


def endpoint_of(app, path: str) -> str | None:
    try:
        return app.url_map.bind("localhost").match(urlsplit(path).path)[0]
    except Exception:  # noqa: BLE001 - a path of no route (404) has no endpoint
        return None


def static(app, path) -> bool:
    return (endpoint_of(app, path) or "").endswith("static")


def check_page_headers(path: str, response) -> None:
    headers = response.headers
    assert headers["X-Frame-Options"] in ("DENY", "SAMEORIGIN"), path
    assert headers["X-Content-Type-Options"] == "nosniff", path
    assert headers["Referrer-Policy"] == "same-origin", path
    policy = headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy, path
    if response.mimetype == "image/svg+xml":
        assert policy == SVG_POLICY, path
    elif headers["X-Frame-Options"] == "SAMEORIGIN":  # a material, shown inside its task page
        assert "/materials/" in path and "frame-ancestors 'self'" in policy, path
    else:
        assert headers["X-Frame-Options"] == "DENY" and "frame-ancestors 'none'" in policy, path
    if response.mimetype == "text/html":
        scripts = [d for d in policy.split(";") if d.strip().startswith("script-src")]
        assert scripts == [" script-src 'self'"], (path, policy)
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, path
        assert_no_inline_script(path, response.get_data(as_text=True))


def assert_no_inline_script(path: str, html: str) -> None:
    document = lxml.html.fromstring(html)
    for element in document.iter():
        if not isinstance(element.tag, str):
            continue
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "script":
            assert element.get("src") and not (element.text or "").strip(), f"{path}: an inline script"
        handlers = [name for name in element.attrib if name.lower().startswith("on")]
        assert not handlers, f"{path}: inline event handler {handlers} on <{tag}>"
        assert "style" not in element.attrib, f"{path}: a style attribute on <{tag}>"
        for name in ("href", "src", "action", "formaction"):
            assert not (element.get(name) or "").strip().lower().startswith("javascript:"), path


@pytest.fixture
def filed(api, clock):
    """An application with a material, on its first review."""
    body = api.start(sample_application(clock.now())).get_json()
    response = api.call(
        "PUT",
        f"/api/process-instances/{body['id']}/materials/marriage_certificate?filename=jz.png",
        "portal",
        data=png(4, 3),
        content_type="image/png",
    )
    assert response.status_code in (200, 201)
    return body


@pytest.mark.parametrize("role", [None, "clerk", "supervisor", "admin"])
def test_every_page_a_role_reaches_carries_the_headers(app, ctx, api, filed, role):
    if role is None:
        client, start = app.test_client(), ["/", "/login", "/.well-known/camunda-automation-platform/webapps"]
    else:
        client, start = sign_in(app, ctx, role), [ROLES[role][2], f"/applications/{filed['id']}", "/account"]
    seen = walk(app, client, start)
    reached = {endpoint_of(app, path) for path, response in seen.items() if response.status_code < 400}
    assert REACHED[role] <= reached, REACHED[role] - reached
    for path, response in seen.items():
        if static(app, path):
            assert response.headers.get("Cache-Control") != "no-store", path  # our script and style may be cached
            assert response.headers["X-Content-Type-Options"] == "nosniff", path
            continue
        assert response.headers["Cache-Control"] == "no-store", path
        check_page_headers(path, response)
        assert "Strict-Transport-Security" not in response.headers  # plain HTTP: no HSTS


def test_the_apis_answers_with_personal_data_are_never_stored(api, ctx, filed):
    add_user(ctx, "analyst-h", ["analyst"], [], [], password=PASSWORD)
    basic = {"Authorization": "Basic " + base64.b64encode(f"analyst-h:{PASSWORD}".encode()).decode()}
    [step] = api.open_steps(filed["id"])
    answers = [
        api.get("/api/tasks", "midwifery"),
        api.get(f"/api/tasks/{step['task_id']}", "midwifery"),
        api.get(f"/api/process-instances/{filed['id']}", "portal"),
        api.get(f"/api/process-instances/{filed['id']}/history", "supervisor"),
        api.get(f"/api/process-instances/{filed['id']}/materials/marriage_certificate", "midwifery"),
        api.get(f"/api/applications/{filed['business_key']}/progress", "portal"),
        api.get("/api/health"),
        api.get("/api/nothing-here", "portal"),
        api.client.get("/engine-rest/deployment", headers=basic),
        api.client.get("/engine-rest/process-definition/key/newborn_birth/xml", headers=basic),
    ]
    for response in answers:
        assert response.headers["Cache-Control"] == "no-store", response.request.path
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert answers[0].status_code == 200 and answers[7].status_code == 404


def test_behind_https_every_answer_asks_for_https_from_then_on(ctx, monkeypatch):
    monkeypatch.setenv("ONETHING_SECURE_COOKIES", "1")
    client = create_app({"TESTING": True, "SECRET_KEY": "tests"}, context=ctx).test_client()
    for path in ("/login", "/api/health", "/static/web/style.css", "/engine-rest/version"):
        assert client.get(path).headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
