"""The workplace in a real browser (issue 16): Playwright for Python driving the distribution's Chromium
(``/usr/bin/chromium``, installed by ``make test`` from Debian's packages; never a browser download) against
the app served on a loopback port, on the tests' service clock.

A midwifery clerk signs in, claims, sees a material and approves with a certificate number; a police clerk
returns an application with a reason and the applicant's progress shows it; two clerks race for one task and
the second sees a clear message; a supervisor sees an overdue step appear when the clock passes its due
date; a form posted without its CSRF token is refused; a clerk of another jurisdiction gets "not found".
``test_screenshots`` saves the queue, a task with a material, the supervisor's page and an admin's incident
detail at a desktop's and a phone's width (into ``ONETHING_SCREENSHOTS``, which ``make screenshots`` sets to
``docs/screenshots``).
"""

from __future__ import annotations

import os
import shutil
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import make_server

from engine.usecases.accounts import add_user
from handlers.newborn.samples import approval_for, sample_application
from tests.sample_files import png

CHROMIUM = os.environ.get("ONETHING_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--lang=zh-CN",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
PASSWORD = "clerk password 1"
PEOPLE = {
    "mw-1": (["clerk"], ["midwifery"], ["62"]),
    "mw-2": (["clerk"], ["midwifery"], ["6201"]),
    "police-1": (["clerk"], ["police"], ["620102"]),
    "gz-midwifery": (["clerk"], ["midwifery"], ["52"]),
    "sup-1": (["supervisor"], [], ["62"]),
}


@pytest.fixture(scope="module")
def chromium():
    assert Path(CHROMIUM).exists(), f"no Chromium at {CHROMIUM}: `make test` installs Debian's chromium package"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def site(app, ctx, api, tmp_path):
    """The app on a loopback port (the API and worker stay in this process: the tests move the clock)."""
    app.config["MATERIALS_DIR"] = str(tmp_path / "materials")
    for name, (roles, groups, jurisdictions) in PEOPLE.items():
        add_user(ctx, name, roles, groups, jurisdictions, password=PASSWORD)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def signed_in(chromium, site, name):
    context = chromium.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{site}/login")
    page.get_by_label("用户名").fill(name)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    return page


def filed(api, clock, seq=1, material=True):
    """An application filed by the portal (with its marriage certificate as a picture), the worker drained."""
    body = api.start(sample_application(clock.now(), seq=seq)).get_json()
    if material:
        response = api.call(
            "PUT",
            f"/api/process-instances/{body['id']}/materials/marriage_certificate?filename=jz.png",
            "portal",
            data=png(40, 30),
            content_type="image/png",
        )
        assert response.status_code in (200, 201), response.get_json()
    return body


def test_a_midwifery_clerk_signs_in_claims_sees_a_material_and_approves(chromium, site, api, clock):
    body = filed(api, clock)
    page = signed_in(chromium, site, "mw-1")
    expect(page.get_by_role("heading", name="待办任务")).to_be_visible()
    page.get_by_role("link", name="出生医学证明签发审核").click()
    page.get_by_role("button", name="认领").click()
    expect(page.get_by_text("已认领，请办理。")).to_be_visible()
    image = page.get_by_role("img", name="结婚证")
    expect(image).to_be_visible()
    assert page.evaluate("img => img.naturalWidth", image.element_handle()) == 40
    expect(page.get_by_text("SHA-256")).to_be_visible()
    page.get_by_label("签发").check()
    page.get_by_label("出生医学证明编号").fill("R620012345")
    page.get_by_label("已核验材料真实有效且与申请表一致").check()
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_text("已办结：出生医学证明签发审核")).to_be_visible()
    api.worker.run_until_idle()
    history = api.get(f"/api/process-instances/{body['id']}/history?per_page=200", "supervisor").get_json()["items"]
    assert ("task_completed", "mw-1") in [(e["kind"], e["actor"]) for e in history]
    assert "material_read" in [e["kind"] for e in history]  # seeing the material is recorded
    page.get_by_role("link", name="已办").click()
    expect(page.get_by_role("cell", name="签发", exact=True)).to_be_visible()  # the decision as its form names it


def test_a_bad_certificate_number_is_shown_next_to_the_field(chromium, site, api, clock):
    filed(api, clock, material=False)
    page = signed_in(chromium, site, "mw-1")
    page.get_by_role("link", name="出生医学证明签发审核").click()
    page.get_by_role("button", name="认领").click()
    page.get_by_label("签发").check()
    page.get_by_label("出生医学证明编号").fill("12345")
    page.get_by_label("已核验材料真实有效且与申请表一致").check()
    page.evaluate("document.getElementById('task-form').noValidate = true")
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_role("alert").filter(has_text="1位大写字母加9位数字")).to_be_visible()


def test_a_police_clerk_returns_with_a_reason_the_applicant_sees(chromium, site, api, clock):
    body = filed(api, clock, material=False)
    [step] = api.open_steps(body["id"])
    assert api.post(f"/api/tasks/{step['task_id']}/claim", "midwifery").status_code == 200
    assert api.approve(step["task_id"], "midwifery").status_code == 200
    page = signed_in(chromium, site, "police-1")
    page.get_by_role("link", name="出生登记审核").click()
    page.get_by_role("button", name="认领").click()
    page.get_by_role("radio", name="退件").check()
    page.get_by_label("退件原因").fill("户口簿首页照片不清晰，请重新上传")
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_text("已办结：出生登记审核")).to_be_visible()
    progress = api.get(f"/api/applications/{body['business_key']}/progress", "portal").get_json()
    assert progress["state"] == "returned" and progress["return_reason"] == "户口簿首页照片不清晰，请重新上传"
    assert "户口簿首页照片不清晰" in progress["message"]


def test_two_clerks_race_for_one_task_and_the_second_is_told(chromium, site, api, clock):
    filed(api, clock, material=False)
    first, second = signed_in(chromium, site, "mw-1"), signed_in(chromium, site, "mw-2")
    for page in (first, second):
        page.get_by_role("link", name="出生医学证明签发审核").click()
        expect(page.get_by_role("button", name="认领")).to_be_visible()
    first.get_by_role("button", name="认领").click()
    expect(first.get_by_text("已认领，请办理。")).to_be_visible()
    second.get_by_role("button", name="认领").click()
    expect(second.get_by_text("该任务已由其他人员认领或办理")).to_be_visible()
    expect(second.get_by_role("heading", name="待办任务")).to_be_visible()  # back on the queue, not an error page


def test_a_supervisor_sees_an_overdue_step_appear_when_the_clock_passes_it(chromium, site, api, clock):
    body = filed(api, clock, material=False)
    page = signed_in(chromium, site, "sup-1")
    expect(page.get_by_role("heading", name="全闭环监测")).to_be_visible()
    expect(page.locator("#overdue")).to_contain_text("没有超时的环节")
    clock.advance(timedelta(days=3))  # past the birth certificate review's one working day
    api.worker.run_until_idle()
    page.goto(f"{site}/oversight")  # three days idle: the session has ended, the sign-in page says so
    expect(page.get_by_role("alert")).to_contain_text("登录已失效")
    page.get_by_label("用户名").fill("sup-1")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()  # back where the supervisor was going
    page.wait_for_url(f"{site}/oversight")  # loaded, charts and all
    expect(page.locator("#overdue")).to_contain_text(body["business_key"])
    expect(page.locator("#overdue")).to_contain_text("出生医学证明签发审核")
    assert page.locator("svg").count() >= 2  # the service-level charts
    assert "kozea" not in page.content()  # nothing fetched from outside
    page.get_by_role("link", name=body["business_key"]).click()
    expect(page.get_by_role("img", name="本申请的流程图")).to_be_visible()


def test_a_form_without_its_csrf_token_is_refused(chromium, site, api, clock):
    filed(api, clock, material=False)
    page = signed_in(chromium, site, "mw-1")
    task_url = page.get_by_role("link", name="出生医学证明签发审核").get_attribute("href")
    response = page.context.request.post(f"{site}{task_url}/claim", form={"nothing": "here"})
    assert response.status == 400 and "安全校验" in response.text()
    login = page.context.request.post(f"{site}/login", form={"name": "mw-1", "password": PASSWORD})
    assert login.status == 400


def test_a_clerk_of_another_jurisdiction_gets_not_found(chromium, site, api, clock):
    filed(api, clock, material=False)
    page = signed_in(chromium, site, "mw-1")
    task_url = page.get_by_role("link", name="出生医学证明签发审核").get_attribute("href")
    other = signed_in(chromium, site, "gz-midwifery")
    expect(other.get_by_text("没有待办任务")).to_be_visible()
    response = other.goto(f"{site}{task_url}")
    assert response.status == 404
    expect(other.get_by_role("heading", name="未找到")).to_be_visible()
    police = signed_in(chromium, site, "police-1")
    assert police.goto(f"{site}{task_url}").status == 403  # another department's task: forbidden


def test_screenshots(chromium, site, api, clock, ctx, tmp_path):
    """The queue, a task with a material opened, the supervisor's page and an admin's incident detail, each at
    a desktop's and a phone's width (``make screenshots`` keeps them in docs/screenshots)."""
    target = Path(os.environ.get("ONETHING_SCREENSHOTS") or tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    add_user(ctx, "admin-1", ["admin"], [], ["62"], password=PASSWORD)
    with_material = [filed(api, clock, seq=seq, material=seq == 1) for seq in range(1, 5)][0]
    [with_material_step] = api.open_steps(with_material["id"])
    clock.advance(timedelta(days=1))
    filed(api, clock, seq=5, material=False)
    incident = filed(api, clock, seq=6, material=False)
    [step] = api.open_steps(incident["id"])
    api.post(f"/api/tasks/{step['task_id']}/claim", "midwifery")
    api.post(
        f"/api/tasks/{step['task_id']}/complete",
        "midwifery",
        drain=False,
        json={"variables": approval_for("birth_certificate_review", 6)},
    )
    with ctx.uow() as uow:  # its next step failed every attempt (as the worker makes incidents)
        job = next(j for j in uow.jobs.for_instance(incident["id"]) if j.kind != "timer")
        job.state, job.attempts, job.error_message = "incident", 5, "出生医学证明系统暂时不可用，请稍后重试"
        job_id = job.id
        uow.commit()

    def both(page, name: str, ready=None) -> None:
        for suffix, viewport in (("", {"width": 1366, "height": 768}), ("-phone", {"width": 390, "height": 844})):
            page.set_viewport_size(viewport)
            if ready:
                ready(page)
            page.screenshot(path=str(target / f"{name}{suffix}.png"), full_page=True)

    page = signed_in(chromium, site, "mw-1")
    both(page, "queue")
    page.goto(f"{site}/tasks/{with_material_step['task_id']}")
    page.get_by_role("button", name="认领").click()
    both(page, "task", ready=lambda p: p.get_by_role("img", name="结婚证").scroll_into_view_if_needed())
    clock.advance(timedelta(days=2))
    supervisor = signed_in(chromium, site, "sup-1")
    supervisor.goto(f"{site}/oversight")
    both(supervisor, "supervisor")
    admin = signed_in(chromium, site, "admin-1")
    admin.goto(f"{site}/admin/incidents/{job_id}")
    both(admin, "incident")
    names = [f"{n}{s}" for n in ("queue", "task", "supervisor", "incident") for s in ("", "-phone")]
    assert all((target / f"{name}.png").stat().st_size > 10_000 for name in names)
