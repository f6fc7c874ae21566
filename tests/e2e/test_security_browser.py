"""Issue 19 in a real browser (Chromium through Playwright, as ``test_web_browser``):

* a diagram whose element id carries ``"`` and an ``autofocus`` / ``onfocus`` payload (a version stored before
  deployments refused such ids) is inert on every page that shows a diagram -- the clerk's task page, the
  supervisor's timeline, the admin's version page reached by its "查看" link -- and when the drawing itself
  is opened as a document; deploying such a file is refused;
* every page each role reaches loads under the pages' Content-Security-Policy with no violation in the
  console: our own script (the task form's) and styles (the charts') still work.
"""

from __future__ import annotations

import base64
import io

import pytest
from playwright.sync_api import expect

from engine.usecases.accounts import add_user
from tests.e2e.test_diagram_security import stored_without_checks
from tests.e2e.test_web_browser import PASSWORD, chromium, filed, signed_in, site  # noqa: F401 (fixtures)
from tests.support.diagrams import PAYLOAD_ID, with_note


@pytest.fixture
def admin_user(ctx):
    add_user(ctx, "admin-b", ["admin"], [], ["62"], password=PASSWORD)
    return "admin-b"


def watched(page):
    """The page's dialogs (a payload that ran) and console messages about the security policy."""
    seen = {"dialogs": [], "csp": []}

    def dialog(d):
        seen["dialogs"].append(d.message)
        d.dismiss()

    page.on("dialog", dialog)
    page.on("console", lambda m: seen["csp"].append(m.text) if "Content Security Policy" in m.text else None)
    return seen


def settled(page):
    """Two animation frames after load: autofocus and its focus handler have had their turn."""
    page.wait_for_load_state("load")
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")


def drawn(page, name):
    image = page.get_by_role("img", name=name)
    expect(image).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())


def test_a_diagram_payload_is_inert_on_every_page_that_shows_a_diagram(
    chromium,
    site,
    api,
    clock,
    ctx,  # noqa: F811
    monkeypatch,
    admin_user,
):
    basic = "Basic " + base64.b64encode(f"analyst-b:{PASSWORD}".encode()).decode()
    add_user(ctx, "analyst-b", ["analyst"], [], [], password=PASSWORD)
    refused = api.client.post(
        "/engine-rest/deployment/create",
        headers={"authorization": basic},
        data={
            "deployment-name": "newborn_birth",
            "newborn_birth.bpmn": (io.BytesIO(with_note(PAYLOAD_ID)), "newborn_birth.bpmn"),
        },
        content_type="multipart/form-data",
    )
    assert refused.status_code == 400 and "NCName" in refused.get_json()["message"]
    version = stored_without_checks(api, monkeypatch, with_note(PAYLOAD_ID))
    body = filed(api, clock, material=False)
    svgs = [
        f"{site}/applications/{body['id']}/diagram.svg",
        f"{site}/admin/definitions/newborn_birth/{version}/diagram.svg",
    ]
    pages = []

    clerk = signed_in(chromium, site, "mw-1")
    pages.append(watched(clerk))
    clerk.get_by_role("link", name="出生医学证明签发审核").click()
    drawn(clerk, "本申请的流程图：已办、办理中和超时的环节已标出")
    settled(clerk)
    clerk.goto(svgs[0])  # the drawing opened on its own
    settled(clerk)

    supervisor = signed_in(chromium, site, "sup-1")
    pages.append(watched(supervisor))
    supervisor.goto(f"{site}/applications/{body['id']}")
    drawn(supervisor, "本申请的流程图")
    settled(supervisor)

    admin = signed_in(chromium, site, admin_user)
    pages.append(watched(admin))
    admin.get_by_role("link", name="管理").click()
    admin.get_by_role("link", name="查看").last.click()  # the newest version: the one stored with the payload
    settled(admin)
    assert pages[-1]["dialogs"] == []
    expect(admin.get_by_role("heading", name=f"新生儿出生一件事 第{version}版")).to_be_visible()
    drawn(admin, f"新生儿出生一件事 第{version}版的流程图")
    for url in svgs:
        response = admin.goto(url)
        assert response.headers["content-security-policy"] == "default-src 'none'; style-src 'unsafe-inline'"
        settled(admin)
    assert [seen["dialogs"] for seen in pages] == [[], [], []]


def test_every_page_runs_under_the_policy_without_a_violation(chromium, site, api, clock, admin_user):  # noqa: F811
    body = filed(api, clock)
    clerk = signed_in(chromium, site, "mw-1")
    seen = watched(clerk)
    clerk.get_by_role("link", name="出生医学证明签发审核").click()
    clerk.get_by_role("button", name="认领").click()
    number = clerk.get_by_label("出生医学证明编号")
    clerk.get_by_label("签发").check()
    assert number.evaluate("input => input.required")  # form.js marked it: our script ran
    expect(clerk.get_by_role("img", name="结婚证")).to_be_visible()
    clerk.get_by_role("link", name="已办").click()
    clerk.goto(f"{site}/account")

    supervisor = signed_in(chromium, site, "sup-1")
    supervisor_seen = watched(supervisor)
    supervisor.goto(f"{site}/oversight")
    title = supervisor.locator("svg .title").first  # pygal's style sheet (with the page's nonce) applies
    assert title.evaluate("t => getComputedStyle(t).fontFamily").startswith('"Noto Sans CJK SC"')
    supervisor.goto(f"{site}/applications/{body['id']}")
    supervisor.goto(f"{site}/admin/calendar/2027")

    admin = signed_in(chromium, site, admin_user)
    admin_seen = watched(admin)
    for path in ("/admin", "/admin/users", "/admin/definitions/newborn_birth/1", "/admin/calendar/2026", "/oversight"):
        assert admin.goto(f"{site}{path}").status == 200, path
        settled(admin)
    assert seen["csp"] == supervisor_seen["csp"] == admin_seen["csp"] == []
