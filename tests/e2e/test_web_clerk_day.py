"""A clerk's whole day in a real browser (issue 22): finding an application by each kind of key (and a clerk of
another jurisdiction finding nothing), every page a clerk reaches walked for codes left in English and for a
phone's width, a missing material flagged, a failed submit showing its errors in view with the typed text
kept, the police reading the certificate number midwifery issued, a comment and a hand-over, a task someone
else holds, a session that ended keeping the typed text, and what a return ends said before it is sent.

Playwright drives Debian's Chromium as in :mod:`tests.e2e.test_web_browser` (its fixtures are reused)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from engine.usecases.accounts import add_user
from tests.e2e.test_web_browser import PASSWORD, chromium, filed, signed_in, site  # noqa: F401 (fixtures)
from tests.support.pages import known_codes, walk

PHONE = {"width": 390, "height": 844}


def search(page, text):
    page.get_by_role("searchbox", name="查找申请").fill(text)
    page.get_by_role("button", name="查找", exact=True).click()
    expect(page.get_by_role("heading", name="查找申请")).to_be_visible()


def registered(api, body):
    """Midwifery issues the certificate, the police register the birth: the newborn's citizen ID number."""
    [step] = api.open_steps(body["id"])
    assert api.post(f"/api/tasks/{step['task_id']}/claim", "midwifery").status_code == 200
    assert api.approve(step["task_id"], "midwifery").status_code == 200
    [step] = [s for s in api.open_steps(body["id"]) if s["group"] == "police"]
    assert api.post(f"/api/tasks/{step['task_id']}/claim", "police").status_code == 200
    assert api.approve(step["task_id"], "police").status_code == 200
    items = api.get(f"/api/process-instances/{body['id']}", "supervisor").get_json()["items"]
    [hukou] = [i for i in items if i["code"] == "hukou_registration"]
    return hukou["result"]["citizen_id_number"]


def test_a_clerk_finds_an_application_by_each_kind_of_key(chromium, site, api, clock):
    body = filed(api, clock, seq=3, material=False)
    other = filed(api, clock, seq=4, material=False)  # another family's: never among the results
    application = api.get(f"/api/process-instances/{body['id']}", "supervisor").get_json()
    assert application["business_key"] == body["business_key"]
    from handlers.newborn.samples import sample_application

    sent = sample_application(clock.now(), seq=3)
    child_id = registered(api, body)
    page = signed_in(chromium, site, "police-1")
    keys = {
        "申请编号": body["business_key"].lower(),
        "母亲证件号码": sent["mother"]["id_number"],
        "父亲证件号码": sent["father"]["id_number"][:6] + " " + sent["father"]["id_number"][6:],
        "新生儿公民身份号码": child_id,
        "母亲姓名": "王芳",
        "新生儿姓名": "李 安然",
        "手机号码": "+86 138-0000-0001",
    }
    for what, text in keys.items():
        search(page, text)
        results = page.get_by_role("table", name="找到")
        expect(results, what).to_contain_text(body["business_key"])
        if what not in ("母亲姓名", "新生儿姓名", "手机号码"):  # the sample families share names and phones
            expect(results, what).not_to_contain_text(other["business_key"])
    search(page, "李安然")
    expect(page.get_by_role("table", name="找到")).to_contain_text("李安然")
    page.get_by_role("link", name="出生登记审核（已办）").first.click()
    expect(page.get_by_role("heading", name="出生登记审核")).to_be_visible()
    history = api.get(f"/api/process-instances/{body['id']}/history?per_page=200", "supervisor").get_json()["items"]
    found = [e for e in history if e["kind"] == "found_by_search" and e["actor"] == "police-1"]
    assert found and all(sent["mother"]["id_number"] not in str(e) for e in found)  # recorded, never the query
    guizhou = signed_in(chromium, site, "gz-midwifery")
    for text in keys.values():
        search(guizhou, text)
        expect(guizhou.get_by_text("没有找到符合条件的申请")).to_be_visible()


def _a_day_of_work(api, clock):
    """Applications in every state a clerk meets: open, claimed, returned, completed, overdue."""
    first = filed(api, clock, seq=1)
    second = filed(api, clock, seq=2, material=False)
    [step] = api.open_steps(second["id"])
    assert api.post(f"/api/tasks/{step['task_id']}/claim", "midwifery").status_code == 200
    third = filed(api, clock, seq=5, material=False)
    [step] = api.open_steps(third["id"])
    assert api.post(f"/api/tasks/{step['task_id']}/claim", "midwifery").status_code == 200
    assert (
        api.post(
            f"/api/tasks/{step['task_id']}/complete",
            "midwifery",
            json={"variables": {"decision": "return", "reason": "出生时间与住院记录不一致"}},
        ).status_code
        == 200
    )
    return first


@pytest.mark.parametrize("viewport", [{"width": 1366, "height": 768}, PHONE], ids=["desktop", "phone"])
def test_every_page_a_clerk_reaches_is_in_chinese_without_console_errors(chromium, site, api, ctx, clock, viewport):
    first = _a_day_of_work(api, clock)
    clock.advance(timedelta(days=3))
    api.worker.run_until_idle()
    codes = known_codes(ctx)
    for name in ("mw-1", "police-1"):
        page = signed_in(chromium, site, name)
        page.set_viewport_size(viewport)
        if name == "mw-1":  # a task of its own: claimed, commented, a follow-up date
            page.get_by_role("link", name="出生医学证明签发审核").first.click()
            page.get_by_role("button", name="认领").click()
            page.get_by_label("写给其他经办人员的意见").fill("请核对出生时间")
            page.get_by_role("button", name="记录意见").click()
        result = walk(
            page,
            f"{site}/tasks",
            codes,
            phone=viewport == PHONE,
            extra=[
                f"{site}/search?q={first['business_key']}",
                f"{site}/search?q=王芳",
                f"{site}/tasks?state=overdue",
                f"{site}/tasks?order=applicant&desc=1",
            ],
        )
        assert len(result.visited) >= 5, result.visited
        assert not result.problems, "\n".join(result.problems)


def test_the_walk_fails_on_a_code_left_in_english(chromium, site, api, ctx, clock):
    """The walker itself: a page showing a raw code is reported (so its silence above means something)."""
    from tests.support.pages import codes_in

    codes = known_codes(ctx)
    assert codes_in(["gansu", "birth_certificate, marriage_certificate", "620102", "resident_id"], codes) == [
        "gansu",
        "birth_certificate, marriage_certificate",
        "620102",
        "resident_id",
    ]
    assert codes_in(["甘肃省兰州市城关区（620102）", "王芳", "NB20261125ABCDEF01"], codes) == []


def test_a_missing_material_is_flagged(chromium, site, api, clock):
    filed(api, clock, material=False)  # the marriage certificate (R4.1, Gansu's birth certificate) never uploaded
    page = signed_in(chromium, site, "mw-1")
    page.get_by_role("link", name="出生医学证明签发审核").click()
    required = page.get_by_role("table", name="所选事项需要的材料")
    expect(required.get_by_role("row").filter(has_text="结婚证")).to_contain_text("缺少")
    expect(page.get_by_text("缺少材料：")).to_contain_text("结婚证")


def test_materials_open_full_size_with_zoom_rotate_and_next(chromium, site, api, clock):
    from tests.sample_files import png

    body = filed(api, clock)
    response = api.call(
        "PUT",
        f"/api/process-instances/{body['id']}/materials/parent_id_cards?filename=id.png",
        "portal",
        data=png(900, 600),
        content_type="image/png",
    )
    assert response.status_code in (200, 201)
    page = signed_in(chromium, site, "mw-1")
    page.get_by_role("link", name="出生医学证明签发审核").click()
    page.get_by_role("button", name="放大查看：结婚证").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("结婚证（")
    dialog.get_by_role("button", name="下一份").click()
    expect(dialog).to_contain_text("新生儿父母身份证正反面照")
    image = page.locator("#viewer-image")
    assert page.evaluate("img => img.naturalWidth", image.element_handle()) == 900
    dialog.get_by_role("button", name="放大").click()
    dialog.get_by_role("button", name="旋转").click()
    assert "rotate(90deg)" in image.get_attribute("style") and "scale(1.25)" in image.get_attribute("style")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()


def test_a_failed_submit_shows_its_errors_in_view_and_keeps_the_text(chromium, site, api, clock):
    filed(api, clock, material=False)
    page = signed_in(chromium, site, "mw-1")
    page.get_by_role("link", name="出生医学证明签发审核").click()
    page.get_by_role("button", name="认领").click()
    page.get_by_role("radio", name="签发").check()
    page.get_by_label("出生医学证明编号").fill("R62001")
    page.get_by_label("退件原因").fill("这段文字不应丢失")
    page.evaluate("document.getElementById('task-form').noValidate = true")
    page.get_by_role("button", name="提交").click()
    summary = page.locator("#form-errors")
    expect(summary).to_contain_text("出生医学证明编号")
    expect(summary).to_be_in_viewport()
    expect(summary).to_be_focused()
    expect(page.get_by_label("出生医学证明编号")).to_have_value("R62001")
    expect(page.get_by_label("退件原因")).to_have_value("这段文字不应丢失")
    expect(page.get_by_role("radio", name="签发")).to_be_checked()
    expect(page.locator("#certificate_number-error")).to_contain_text("1位大写字母加9位数字")


def test_the_police_read_the_certificate_number_midwifery_issued(chromium, site, api, clock):
    body = filed(api, clock, material=False)
    [step] = api.open_steps(body["id"])
    assert api.post(f"/api/tasks/{step['task_id']}/claim", "midwifery").status_code == 200
    assert api.approve(step["task_id"], "midwifery", seq=7).status_code == 200
    items = api.get(f"/api/process-instances/{body['id']}", "supervisor").get_json()["items"]
    [certificate] = [i["result"]["certificate_number"] for i in items if i["code"] == "birth_certificate"]
    page = signed_in(chromium, site, "police-1")
    page.get_by_role("link", name="出生登记审核").click()
    section = page.get_by_role("heading", name="出生医学证明办理：办理结果")
    expect(section).to_be_visible()
    expect(page.locator("dl.data").filter(has_text="出生医学证明编号")).to_contain_text(certificate)
    expect(page.locator("dl.data").filter(has_text="预防接种证编号")).to_be_visible()  # not a second 出生医学证明编号


def test_a_comment_and_a_hand_over_to_a_colleague(chromium, site, api, ctx, clock):
    add_user(ctx, "mw-3", ["clerk"], ["midwifery"], ["620102"], password=PASSWORD)
    add_user(ctx, "mw-gz", ["clerk"], ["midwifery"], ["52"], password=PASSWORD)  # another jurisdiction: no
    body = filed(api, clock, material=False)
    page = signed_in(chromium, site, "mw-1")
    page.get_by_role("link", name="出生医学证明签发审核").click()
    page.get_by_role("button", name="认领").click()
    page.get_by_label("写给其他经办人员的意见").fill("母亲证件照片模糊，已电话联系补传")
    page.get_by_role("button", name="记录意见").click()
    expect(page.get_by_text("意见已记入办件历史")).to_be_visible()
    expect(page.get_by_role("table").filter(has_text="办理意见")).to_contain_text("母亲证件照片模糊")
    page.get_by_label("跟进日期").fill("2026-11-27")
    page.get_by_role("button", name="保存跟进日期").click()
    expect(page.get_by_text("已设置跟进日期")).to_be_visible()
    options = page.get_by_label("转交给").locator("option").all_text_contents()
    assert "mw-3" in options and "mw-2" in options and "mw-gz" not in options and "mw-1" not in options
    page.get_by_label("转交给").select_option("mw-3")
    page.get_by_role("button", name="转交", exact=True).click()
    expect(page.get_by_text("已转交给mw-3")).to_be_visible()
    colleague = signed_in(chromium, site, "mw-3")
    colleague.goto(f"{site}/tasks?show=mine")
    colleague.get_by_role("link", name="出生医学证明签发审核").click()
    expect(colleague.get_by_text("认领人mw-3")).to_be_visible()
    expect(colleague.get_by_role("table").filter(has_text="转交")).to_contain_text("转交给mw-3")
    expect(colleague.get_by_role("table").filter(has_text="办理意见")).to_contain_text("母亲证件照片模糊")
    history = api.get(f"/api/process-instances/{body['id']}/history?per_page=200", "supervisor").get_json()["items"]
    kinds = [(e["kind"], e["actor"]) for e in history]
    assert ("comment", "mw-1") in kinds and ("task_assigned", "mw-1") in kinds and ("follow_up_set", "mw-1") in kinds


def test_a_task_someone_else_holds_shows_who_and_no_form(chromium, site, api, clock):
    body = filed(api, clock, material=False)
    [step] = api.open_steps(body["id"])
    page = signed_in(chromium, site, "mw-2")
    page.get_by_role("link", name="出生医学证明签发审核").click()
    expect(page.locator("#task-form")).to_be_visible()
    other = signed_in(chromium, site, "mw-1")
    other.goto(page.url)
    other.get_by_role("button", name="认领").click()
    page.reload()
    expect(page.get_by_role("alert").filter(has_text="已由")).to_contain_text("mw-1")
    expect(page.locator("#task-form")).to_have_count(0)
    expect(page.get_by_role("button", name="认领")).to_have_count(0)
    assert step["task_id"] in page.url


def test_an_ended_session_keeps_the_typed_text_and_asks_to_sign_in(chromium, site, api, clock):
    filed(api, clock, material=False)
    page = signed_in(chromium, site, "mw-1")
    page.get_by_role("link", name="出生医学证明签发审核").click()
    task_url = page.url
    page.get_by_role("button", name="认领").click()
    page.get_by_role("radio", name="退件").check()
    page.get_by_label("退件原因").fill("出生时间与住院分娩记录不一致，请核对")
    clock.advance(timedelta(hours=2))  # idle past the session's 30 minutes
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_role("alert")).to_contain_text("登录已失效")
    expect(page.get_by_role("alert")).to_contain_text("重新登录后")
    page.get_by_label("用户名").fill("mw-1")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(task_url)
    expect(page.get_by_text("已恢复您上次填写")).to_be_visible()
    expect(page.get_by_label("退件原因")).to_have_value("出生时间与住院分娩记录不一致，请核对")
    expect(page.get_by_role("radio", name="退件")).to_be_checked()
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_text("已办结：出生医学证明签发审核")).to_be_visible()
    page.wait_for_load_state("load")  # the page's script forgets the draft of the task just completed
    page.wait_for_function("Object.keys(sessionStorage).filter(k => k.startsWith('onething-draft:')).length === 0")


def test_returning_says_which_items_end_before_it_is_sent(chromium, site, api, clock):
    filed(api, clock, material=False)
    page = signed_in(chromium, site, "mw-1")
    page.get_by_role("link", name="出生医学证明签发审核").click()
    warning = page.locator("#return-warning")
    expect(warning).to_contain_text("出生登记（户口登记）")
    expect(warning).to_contain_text("社会保障卡申领")
    expect(warning).not_to_contain_text("预防接种证办理")  # done already (the CDC's, at the start): not ended
    page.get_by_role("radio", name="退件").check()
    expect(page.get_by_role("alert").filter(has_text="退件将结束本申请")).to_be_visible()


def test_the_queue_shows_who_when_where_sorts_and_offers_own_items(chromium, site, api, clock):
    filed(api, clock, seq=1, material=False)
    clock.advance(timedelta(hours=1))
    filed(api, clock, seq=2, material=False)
    page = signed_in(chromium, site, "mw-1")
    queue = page.get_by_role("table").filter(has_text="申请人")
    expect(queue).to_contain_text("李强")
    expect(queue).to_contain_text("李安然")
    expect(queue).to_contain_text("甘肃省兰州市城关区")
    expect(queue).to_contain_text("2026年11月25日 10:00")
    items = page.get_by_label("事项").locator("option").all_text_contents()
    assert items == ["全部事项", "出生医学证明办理"]  # midwifery's own item only
    page.get_by_label("排序").select_option("filed")
    page.get_by_label("顺序").select_option("1")
    page.get_by_role("button", name="筛选").click()
    expect(page.locator("table.queue tbody tr").first).to_contain_text("2026年11月25日 11:00")
