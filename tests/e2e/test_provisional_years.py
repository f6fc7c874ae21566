"""R5.1 for every year the lunar library covers: with the service clock on a December day of any year from
2026 to 2099, a Guizhou application (20+ working days) starts and its dates in the next year are provisional
(预计); a year that truly cannot be computed is refused naming it and why, in Chinese on the pages, and is
never listed as usable."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from engine.calendar.statutory import LAST_YEAR
from engine.clock import CHINA
from engine.usecases.accounts import add_user
from handlers.newborn.samples import sample_application
from tests.e2e.test_calendar import provisional_everywhere_it_should_be

# Decembers before the years whose Mid-Autumn falls on 1-3 October (2028, 2031, 2039, 2047?, ...), and a
# spread of the others up to the last December whose next year is computable
SAMPLED = sorted({2026, 2027, 2030, 2038, 2046, 2049, *range(2029, LAST_YEAR, 7), LAST_YEAR - 2, LAST_YEAR - 1})


PASSWORD = "a page password 1"


def signed_in(app, ctx, name, role):
    add_user(ctx, name, [role], [], ["62"], password=PASSWORD)
    client = app.test_client()
    form = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    assert client.post("/login", data={"name": name, "password": PASSWORD, "csrf_token": csrf}).status_code == 302
    return client


@pytest.fixture
def admin_page(app, ctx):
    return signed_in(app, ctx, "admin-page", "admin")


@pytest.fixture
def supervisor_page(app, ctx):
    return signed_in(app, ctx, "supervisor-page", "supervisor")


def move_to(clock, text: str) -> datetime:
    moment = datetime.fromisoformat(text).replace(tzinfo=CHINA)
    clock.advance(moment - clock.now())
    return moment


def test_r5_1_a_guizhou_application_in_december_of_any_year_counts_into_the_next_provisionally(api, clock):
    official = set(api.get("/api/health").get_json()["calendar"]["official_years"])
    for seq, year in enumerate(SAMPLED, start=1):
        move_to(clock, f"{year}-12-10 10:00")
        started = api.start(sample_application(clock.now(), region="guizhou", seq=seq))
        assert started.status_code == 201, (year, started.get_json())
        view = api.get(f"/api/process-instances/{started.get_json()['id']}", "portal").get_json()
        assert view["promised_by"].startswith(f"{year + 1}-01-") and view["promised_by_provisional"] is True, year
        provisional_everywhere_it_should_be(view, official)
        health = api.get("/api/health").get_json()
        assert year + 1 in health["calendar"]["provisional_years"] and health["status"] == "ok", year
        assert health["calendar"]["uncovered_years"] == ([year + 2] if year + 2 > LAST_YEAR else []), year


def test_r5_1_the_admins_see_a_year_with_mid_autumn_on_national_day(admin_page):
    """2028's link on the admins' page (it answered a raw English 503 before): its grid, with the block."""
    assert "2028年" in admin_page.get("/admin").get_data(as_text=True)
    page = admin_page.get("/admin/calendar/2028")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert "国庆节、中秋节：2028年10月1日至2028年10月5日，共5天" in text and "预计" in text


def test_r5_1_a_year_that_cannot_be_computed_is_refused_in_chinese_and_never_listed_usable(api, clock, app, ctx):
    move_to(clock, f"{LAST_YEAR}-12-10 10:00")
    admin_page = signed_in(app, ctx, "admin-page", "admin")  # signed in now: a session ends when idle
    supervisor_page = signed_in(app, ctx, "supervisor-page", "supervisor")
    gansu = api.start(sample_application(clock.now(), seq=1))  # 3 working days: still in the year
    assert gansu.status_code == 201, gansu.get_json()
    guizhou = api.start(sample_application(clock.now(), region="guizhou", seq=2))
    assert guizhou.status_code == 503 and guizhou.mimetype == "application/problem+json"
    detail = guizhou.get_json()["detail"]
    assert (
        f"{LAST_YEAR + 1}年" in detail
        and "超出农历和节气的推算范围" in detail
        and "国务院放假安排通知尚未载入" in detail
    )
    health = api.get("/api/health").get_json()
    assert health["status"] == "degraded" and health["calendar"]["uncovered_years"] == [LAST_YEAR + 1, LAST_YEAR + 2]
    assert health["calendar"]["provisional_years"] == [LAST_YEAR - 1, LAST_YEAR]
    levels = api.get("/api/metrics/service-levels", "supervisor").get_json()
    assert LAST_YEAR + 1 not in levels["provisional_years"] and LAST_YEAR + 1 in levels["uncovered_years"]
    oversight = supervisor_page.get("/oversight").get_data(as_text=True)
    assert f"{LAST_YEAR + 1}、{LAST_YEAR + 2}年尚未载入放假安排通知，且法定节假日无法推算" in oversight
    admin = admin_page.get("/admin").get_data(as_text=True)
    assert f"/admin/calendar/{LAST_YEAR + 1}" not in admin and "法定节假日无法推算" in admin
    page = admin_page.get(f"/admin/calendar/{LAST_YEAR + 1}")
    text = page.get_data(as_text=True)
    assert page.status_code == 503 and page.mimetype == "text/html"
    assert "无法计算工作日" in text and f"{LAST_YEAR + 1}年" in text and "<nav" in text  # the site's own layout
    assert "Service Unavailable" not in text and "{" not in text.split("<main", 1)[-1].split("</main>")[0]
