from tests.e2e.test_web_browser import *  # noqa

def test_scratch(chromium, site, api, clock):
    filed(api, clock)
    page = signed_in(chromium, site, "mw-1")
    page.screenshot(path="/tmp/shots/queue.png", full_page=True)
    page.get_by_role("link", name="出生医学证明签发审核").first.click()
    page.get_by_role("button", name="认领").click()
    page.screenshot(path="/tmp/shots/task.png", full_page=True)
    open("/tmp/shots/task.html", "w").write(page.content())
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path="/tmp/shots/task390.png", full_page=False)
    print(page.evaluate("document.documentElement.scrollWidth"))
