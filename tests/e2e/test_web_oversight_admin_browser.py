"""The supervisors' and admins' pages in a real browser (issue 22): the supervisors' filters and CSV export
(the export of a table naming people recorded), the admins' confirmation before disabling, enabling again,
no disabling oneself, Chinese messages for users, the calendar's import from its month view, an incident's
detail with retry, the diagram's zoom -- and a walk through every page a supervisor and an admin reach, at
a phone's 390×844, with no code where Chinese belongs, no horizontal scroll and no console error."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from engine.states import STATE_TEXT
from engine.usecases.accounts import add_user
from engine.users import ROLES
from handlers.newborn.samples import approval_for, sample_application
from tests.e2e.test_web_browser import PASSWORD, chromium, filed, signed_in, site  # noqa: F401 (fixtures)
from tests.support.calendars import NOTICE_2027
from tests.support.pages import ConsoleErrors, known_codes, walk

PHONE = {"width": 390, "height": 844}
# codes a person must never read as they are (besides the services' groups, items, materials and regions)
CODES = {
    "online",
    "window",
    "mail",
    "pickup",
    "family",
    "married",
    "female",
    "male",
    "father",
    "mother",
    "current",
    "resident_id",
    "portal",
    "system",
    "official",
    "provisional",
    "statutory",
    "package",
    "notice",
    "loaded",
    "replaced",
    "unchanged",
    "failure",
    "business_error",
    "return",
    "approve",
    "gansu",
    "guizhou",
    *ROLES,
    *STATE_TEXT,
}


@pytest.fixture
def admin_site(site, ctx):
    add_user(ctx, "admin-1", ["admin"], [], ["62"], password=PASSWORD)
    add_user(ctx, "gateway", ["portal"], [], ["62"], password=PASSWORD)
    return site


def with_a_late_step_and_a_done_one(api, clock) -> dict:
    """One application done to the end by the clerks, one late at the birth certificate review."""
    done = api.start(sample_application(clock.now(), seq=1)).get_json()
    api.walk_to_end(done["id"])
    late = filed(api, clock, seq=2, material=False)
    clock.advance(timedelta(days=3))
    api.worker.run_until_idle()
    return late


def test_a_supervisor_filters_and_exports_the_tables(chromium, site, api, clock, ctx, tmp_path):
    late = with_a_late_step_and_a_done_one(api, clock)
    page = signed_in(chromium, site, "sup-1")
    expect(page.locator("#overdue")).to_contain_text(late["business_key"])
    # one meaning of 超时 each, both labelled; the count above is the department table's 当前超时
    expect(page.get_by_text("尚未办结且已过办结时限的环节")).to_be_visible()
    departments = page.get_by_role("table", name="按部门")
    expect(departments.get_by_role("columnheader", name="当前超时")).to_be_visible()
    expect(departments.get_by_role("columnheader", name="超时（含超时办结）")).to_be_visible()
    expect(departments.get_by_role("row").filter(has_text="助产机构")).to_contain_text("1")
    # filters: a district with nothing late, then the department
    page.get_by_label("辖区", exact=True).select_option(label="甘肃省兰州市城关区")
    page.get_by_label("部门", exact=True).select_option(label="公安部门")
    page.get_by_role("button", name="筛选").click()
    expect(page.locator("#overdue")).to_contain_text("没有超时的环节")
    expect(page.get_by_label("部门", exact=True)).to_have_value("police")
    page.get_by_role("link", name="清除筛选").click()
    expect(page.locator("#overdue")).to_contain_text(late["business_key"])
    assert "No data" not in page.content()

    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("导出CSV.*按人员")).click()
    raw = download.value.path().read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel opens the Chinese right
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["人员", "部门", "已办", "退件", "超时办结", "平均用时（工作日）", "最长用时（工作日）"]
    shown = page.get_by_role("table", name="按人员").get_by_role("row")
    assert len(rows) == shown.count() and {r[1] for r in rows[1:]} <= set(ctx.services.groups.values())
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("导出CSV.*按部门")).click()
    assert download.value.suggested_filename.startswith("按部门-")
    with ctx.reader() as uow:
        recorded = [(e.actor, e.kind, e.detail) for e in uow.audit.recent(10)]
    assert [(actor, kind, detail["table"]) for actor, kind, detail in recorded] == [
        ("sup-1", "table_exported", "clerks")
    ]
    assert recorded[0][2]["rows"] == len(rows) - 1


def test_an_admin_confirms_before_disabling_and_enables_again(chromium, admin_site, api, ctx):
    page = signed_in(chromium, admin_site, "admin-1")
    page.get_by_role("link", name="用户").click()
    # the portal's account: warned about, and cancelling changes nothing
    page.get_by_role("link", name="停用 gateway").click()
    expect(page.get_by_role("heading", name="停用用户 gateway？")).to_be_visible()
    expect(page.get_by_text("这是门户系统使用的账号")).to_be_visible()
    page.get_by_role("link", name="取消").click()
    expect(page.get_by_role("row").filter(has_text="gateway")).to_contain_text("正常")
    # oneself: refused, in Chinese, with no button to press
    page.get_by_role("link", name="停用 admin-1").click()
    expect(page.get_by_role("alert")).to_contain_text("不能停用自己的账号")
    expect(page.get_by_role("button", name="确认停用 admin-1")).to_have_count(0)
    # a clerk: confirmed, disabled, signed out everywhere; then enabled again
    clerk = signed_in(chromium, admin_site, "mw-2")
    page.goto(f"{admin_site}/admin/users")
    page.get_by_role("link", name="停用 mw-2").click()
    page.get_by_role("button", name="确认停用 mw-2").click()
    expect(page.get_by_text("已停用 mw-2，其登录已结束。")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="mw-2")).to_contain_text("已停用")
    clerk.reload()
    expect(clerk.get_by_role("alert")).to_contain_text("登录已失效")
    page.get_by_role("button", name="重新启用 mw-2").click()
    expect(page.get_by_text("已重新启用 mw-2")).to_be_visible()
    expect(signed_in(chromium, admin_site, "mw-2").get_by_role("heading", name="待办任务")).to_be_visible()
    # taking one's own admin role: refused
    page.get_by_role("link", name="修改 admin-1").click()
    page.get_by_label("管理员").uncheck()
    page.get_by_label("监督人员").check()
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("alert")).to_contain_text("不能停用自己的账号，也不能取消自己的管理员角色")


def test_an_admin_adds_a_user_with_checkboxes_and_reads_chinese_messages(chromium, admin_site, api, ctx):
    page = signed_in(chromium, admin_site, "admin-1")
    page.goto(f"{admin_site}/admin/users")
    page.get_by_label("用户名").fill("cdc-1")
    page.get_by_role("group", name="角色").get_by_label("办事人员").check()
    page.get_by_role("group", name="部门（办事人员所属）").get_by_label("疾控部门").check()
    page.get_by_label("辖区").fill("6201")
    page.get_by_label("初始密码").fill("short")
    page.evaluate("document.querySelectorAll('input').forEach(i => i.removeAttribute('minlength'))")
    page.get_by_role("button", name="添加").click()
    expect(page.get_by_text("密码至少10位，至多200位。")).to_be_visible()
    assert "password" not in page.locator("main").inner_text().lower()
    page.get_by_label("初始密码").fill("a long enough password")
    page.get_by_role("button", name="添加").click()
    expect(page.get_by_text("已添加用户 cdc-1。")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="cdc-1")
    expect(row).to_contain_text("办事人员")
    expect(row).to_contain_text("疾控部门")
    expect(row).to_contain_text("甘肃省兰州市")


def test_an_admin_imports_a_year_from_its_month_view(chromium, admin_site, api, tmp_path):
    page = signed_in(chromium, admin_site, "admin-1")
    page.goto(f"{admin_site}/admin/calendar/2027")
    expect(page.get_by_role("heading", name="2027年工作日历")).to_contain_text("预计")
    expect(page.get_by_role("table", name="2027年10月")).to_contain_text("国庆节")
    bad = tmp_path / "bad.json"
    bad.write_text(
        '{"year": 2027, "source": {"title": "通知", "number": "1号"}, '
        '"holidays": [{"name": "元旦", "days": ["2027-01-01"]}], "workdays": ["2027-01-06"]}',
        encoding="utf-8",
    )
    page.get_by_label("通知文件").set_input_files(str(bad))
    page.get_by_role("button", name="检查并预览").click()
    expect(page.get_by_role("alert")).to_contain_text("2027-01-06是星期三，调休上班日应为星期六或星期日")
    page.get_by_label("通知文件").set_input_files(str(NOTICE_2027))
    page.get_by_role("button", name="检查并预览").click()
    expect(page.get_by_role("heading", name="核对2027年放假安排")).to_be_visible()
    expect(page.get_by_role("table", name="2027年2月")).to_contain_text("春节")
    page.get_by_role("button", name="确认载入").click()
    expect(page.get_by_text("2027年放假安排已载入")).to_be_visible()
    expect(page.get_by_role("heading", name="2027年工作日历")).to_contain_text("正式")
    expect(page.get_by_role("table", name="载入记录")).to_contain_text("国办发明电〔2026〕99号")
    assert api.get("/api/calendar/2027", "admin").get_json()["status"] == "official"


def an_incident(api, ctx, clock) -> tuple[dict, str]:
    """The birth certificate's issuing step made an incident after five failures (as the worker makes them)."""
    body = filed(api, clock, material=False)
    [step] = api.open_steps(body["id"])
    api.post(f"/api/tasks/{step['task_id']}/claim", "midwifery")
    api.post(
        f"/api/tasks/{step['task_id']}/complete",
        "midwifery",
        drain=False,
        json={"variables": approval_for("birth_certificate_review", 7)},
    )
    with ctx.uow() as uow:
        [job] = [j for j in uow.jobs.for_instance(body["id"]) if j.kind != "timer"]
        job.state, job.attempts, job.error_message = "incident", 5, "出生医学证明系统暂时不可用"
        job.last_error = "HandlerError: connection refused"
        uow.commit()
        return body, job.id


def test_an_admin_reads_an_incident_and_retries_it(chromium, admin_site, api, ctx, clock):
    body, job_id = an_incident(api, ctx, clock)
    page = signed_in(chromium, admin_site, "admin-1")
    page.get_by_role("link", name=f"详情 {body['business_key']}").click()
    detail = page.locator("main")
    for text in ("出生医学证明系统暂时不可用", "5次", "助产机构", "申请概况"):
        expect(detail).to_contain_text(text)
    mother_id = sample_application(clock.now(), seq=1)["mother"]["id_number"]
    assert mother_id not in page.content() and mother_id[:4] + "**" in page.content()  # masked
    assert "王芳" not in page.content()  # nor names: an admin needs none
    assert "connection refused" not in page.content()
    page.get_by_role("button", name="立即重试").click()
    expect(page.get_by_text("重试成功，该环节已办理，申请继续办理。")).to_be_visible()
    expect(page.get_by_role("heading", name="故障（0）")).to_be_visible()
    kinds = [
        e["kind"]
        for e in api.get(f"/api/process-instances/{body['id']}/history?per_page=200", "supervisor").get_json()["items"]
    ]
    assert "incident_retried" in kinds and "personal_data_read" in kinds


def test_a_versions_diagram_zooms_and_pans(chromium, admin_site, api):
    page = signed_in(chromium, admin_site, "admin-1")
    errors = ConsoleErrors(page)
    page.goto(f"{admin_site}/admin/definitions/newborn_birth/1")
    image = page.get_by_role("img", name="第1版的流程图")
    expect(image).to_be_visible()
    page.wait_for_function("document.querySelector('img.diagram').style.transform !== ''")
    before = image.bounding_box()["width"]
    page.get_by_role("button", name="放大").click()
    assert image.bounding_box()["width"] > before * 1.2
    page.get_by_role("button", name="适合窗口").click()
    frame = page.locator(".viewer-frame").bounding_box()
    box = image.bounding_box()
    assert box["width"] <= frame["width"] + 1
    page.mouse.move(frame["x"] + 50, frame["y"] + 50)
    page.mouse.down()
    page.mouse.move(frame["x"] + 150, frame["y"] + 90)
    page.mouse.up()
    assert image.bounding_box()["x"] == pytest.approx(box["x"] + 100, abs=2)
    assert errors.errors == []


def test_every_supervisor_and_admin_page_reads_chinese_on_a_phone(chromium, admin_site, api, ctx, clock):
    with_a_late_step_and_a_done_one(api, clock)
    an_incident(api, ctx, clock)
    codes = known_codes(ctx, CODES)
    for name, starts in (
        ("sup-1", ["/oversight", "/admin/calendar/2027"]),
        ("admin-1", ["/admin", "/admin/users", "/admin/users/gateway/disable", "/oversight"]),
    ):
        page = signed_in(chromium, admin_site, name)
        page.set_viewport_size(PHONE)
        result = walk(
            page,
            admin_site + starts[0],
            codes,
            phone=True,
            max_pages=60,
            extra=[admin_site + path for path in starts[1:]],
        )
        assert len(result.visited) >= (3 if name == "sup-1" else 8), result.visited
        assert result.problems == [], (name, result.problems)
