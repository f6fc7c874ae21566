"""A second service beside the newborn one (issue 14): ``tests/second_service`` brings its process file,
form, handler and start form, and runs through the same API with no change inside the engine."""

from __future__ import annotations

import pytest

from api import create_app
from engine.bootstrap import build_context, prepare
from engine.usecases.accounts import add_user
from engine.worker import Worker
from handlers.newborn.samples import sample_application
from handlers.newborn.service import NEWBORN
from tests.second_service import SECOND
from tests.support.databases import SPECS

START = "/api/process-definitions/residence_certificate/start"
REQUEST = {"request": {"applicant": {"name": "张伟", "address": "兰州市城关区庆阳路1号"}, "division_code": "620102"}}


@pytest.fixture
def two(database_url, clock):
    ctx = build_context(database_url, clock=clock, specs=SPECS, services=[NEWBORN, SECOND])
    prepare(ctx)  # deploys the second service's bundled process beside the newborn one
    client = create_app({"TESTING": True, "SECRET_KEY": "tests"}, context=ctx).test_client()
    tokens = {
        "portal": add_user(ctx, "portal", roles=["portal"], groups=[], jurisdictions=["62"]),
        "community": add_user(ctx, "community-1", roles=["clerk"], groups=["community"], jurisdictions=["6201"]),
        "midwifery": add_user(ctx, "midwifery-1", roles=["clerk"], groups=["midwifery"], jurisdictions=["62"]),
    }

    def call(method, path, user, **kwargs):
        return client.open(path, method=method, headers={"Authorization": f"Bearer {tokens[user]}"}, **kwargs)

    return ctx, call, Worker(ctx, name="two-services")


def test_a_second_service_runs_beside_the_newborn_service(two, clock):
    ctx, call, worker = two
    definitions = _definitions(ctx)
    assert {"newborn_birth", "residence_certificate"} <= definitions

    refused = call("POST", START, "portal", json={"variables": {"request": {"applicant": {"name": "王\u202e芳"}}}})
    assert refused.status_code == 422 and "applicant.name" in refused.get_json()["errors"]

    started = call("POST", START, "portal", json={"variables": REQUEST})
    assert started.status_code == 201, started.get_json()
    body = started.get_json()
    assert body["business_key"].startswith("JZ") and body["definition"]["key"] == "residence_certificate"
    newborn = call(
        "POST",
        "/api/process-definitions/newborn_birth/start",
        "portal",
        json={"variables": {"application": sample_application(clock.now())}},
    )
    assert newborn.status_code == 201
    worker.run_until_idle()

    [task] = call("GET", "/api/tasks", "community").get_json()["items"]
    assert task["form_key"] == "community_review" and task["due_at"]
    assert call("GET", "/api/tasks", "midwifery").get_json()["total"] == 1  # the newborn's review, not this one
    form = call("GET", f"/api/tasks/{task['id']}", "community").get_json()["form"]
    assert [f["id"] for f in form["fields"]][:1] == ["decision"]
    assert call("POST", f"/api/tasks/{task['id']}/claim", "community").status_code == 200
    done = call(
        "POST",
        f"/api/tasks/{task['id']}/complete",
        "community",
        json={"variables": {"decision": "approve", "materials_checked": True}},
    )
    assert done.status_code == 200, done.get_json()
    worker.run_until_idle()

    view = call("GET", f"/api/process-instances/{body['id']}", "portal").get_json()
    assert view["state"] == "completed" and view["items"] == []
    assert any("居住证明已开具" in n["text"] for n in view["notices"])
    progress = call("GET", f"/api/applications/{body['business_key']}/progress", "portal").get_json()
    assert progress["state"] == "completed" and progress["message"].startswith("居住证明开具")


def _definitions(ctx):
    with ctx.reader() as uow:
        return {d.key for d in uow.definitions.all()}


def test_the_community_clerk_reads_the_request_with_the_service_s_own_labels(two):
    """Issue 21: what a clerk sees of an instance comes from its service (sections with the form's labels and
    options), through the API and on the task page in a real browser."""
    ctx, call, worker = two
    started = call(
        "POST", START, "portal", json={"variables": {"request": {**REQUEST["request"], "purpose": "school"}}}
    )
    assert started.status_code == 201, started.get_json()
    worker.run_until_idle()
    [task] = call("GET", "/api/tasks", "community").get_json()["items"]
    found = call("GET", f"/api/tasks/{task['id']}", "community").get_json()
    assert found["data"]["request"]["applicant"]["name"] == "张伟"
    assert found["sections"] == [
        {
            "title": "居住证明申请",
            "rows": [
                {"label": "社区所在行政区划代码", "value": "甘肃省兰州市城关区（620102）"},
                {"label": "证明用途", "value": "子女入学"},
            ],
        },
        {
            "title": "申请人",
            "rows": [{"label": "申请人姓名", "value": "张伟"}, {"label": "居住地址", "value": "兰州市城关区庆阳路1号"}],
        },
    ]
    _see_it_in_the_browser(ctx, task["id"])


def _see_it_in_the_browser(ctx, task_id):
    import threading

    from playwright.sync_api import expect, sync_playwright
    from werkzeug.serving import make_server

    from tests.e2e.test_web_browser import CHROMIUM, FLAGS, PASSWORD

    add_user(ctx, "community-web", roles=["clerk"], groups=["community"], jurisdictions=["62"], password=PASSWORD)
    server = make_server(
        "127.0.0.1", 0, create_app({"TESTING": True, "SECRET_KEY": "tests"}, context=ctx), threaded=True
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    site = f"http://127.0.0.1:{server.server_port}"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            page = browser.new_page(locale="zh-CN")
            page.goto(f"{site}/login")
            page.get_by_label("用户名").fill("community-web")
            page.get_by_label("密码").fill(PASSWORD)
            page.get_by_role("button", name="登录").click()
            page.goto(f"{site}/tasks/{task_id}")
            section = page.locator("section", has=page.get_by_role("heading", name="申请信息"))
            expect(section.get_by_role("heading", name="申请人")).to_be_visible()
            expect(section.locator("dt", has_text="证明用途")).to_be_visible()
            expect(section.locator("dd", has_text="子女入学")).to_be_visible()
            expect(section.locator("dd", has_text="张伟")).to_be_visible()
            assert "school" not in section.inner_text()
            browser.close()
    finally:
        server.shutdown()
