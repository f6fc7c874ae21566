"""The clerks' queue page keeps itself current (issue 26): a new task of the clerk's group appears, and a task
another clerk took shows who took it, without the page being reloaded -- its script listens to the queue's
server-sent events (``/tasks/events``) and puts the fresh list in place. Playwright drives Debian's Chromium as
in :mod:`tests.e2e.test_web_browser` (its fixtures are reused)."""

from __future__ import annotations

import time

from playwright.sync_api import expect

from api import event_streams as push
from tests.e2e.test_web_browser import chromium, filed, signed_in, site  # noqa: F401 (fixtures)


def test_the_queue_shows_a_new_task_and_who_took_it_without_a_reload(chromium, site, api, app, clock):  # noqa: F811
    page = signed_in(chromium, site, "mw-1")
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    expect(page.locator("h1")).to_have_text("待办任务")
    expect(page.locator("#queue-table")).to_contain_text("没有待办任务")
    page.evaluate("window.notReloaded = true")  # gone if the page were loaded again

    body = filed(api, clock, material=False)  # the portal files; the worker makes the midwifery review
    row = page.locator("#queue-table tr", has_text=body["business_key"])
    expect(row).to_be_visible(timeout=10_000)
    expect(row).to_contain_text("未认领")
    expect(page.locator("#queue-status")).to_contain_text("待办列表已自动更新")
    expect(page.locator("#queue-counts")).to_contain_text("全部 1")

    [step] = api.open_steps(body["id"])
    assert api.post(f"/api/tasks/{step['task_id']}/claim", "midwifery").status_code == 200  # a colleague takes it
    expect(row).to_contain_text("midwifery", timeout=10_000)
    expect(row.get_by_role("button", name="认领")).to_have_count(0)
    assert page.evaluate("window.notReloaded") is True
    assert errors == []

    page.context.close()
    gone = time.monotonic() + 10
    while push.waiters(app).count and time.monotonic() < gone:  # the closed page's stream ends at a heartbeat
        time.sleep(0.1)
    assert push.waiters(app).count == 0
