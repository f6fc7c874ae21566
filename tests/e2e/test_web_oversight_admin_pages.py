"""The supervisors' and admins' pages through the test client (issue 22): filters narrow every table, the CSV
export (formulas defused, only tables naming people recorded), the rule that keeps an admin (the use case and
the command too), the calendar import's checks in Chinese."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO

import pytest

from engine.usecases import accounts
from engine.usecases.accounts import AccountChangeRefused, add_user
from engine.usecases.oversight import Scope, overdue_now
from engine.users import Principal
from handlers.newborn.samples import sample_application
from tests.e2e.test_web_pages import PASSWORD, sign_in, token


@pytest.fixture
def supervisor(app, ctx):
    """Signs a supervisor in (after the clock has moved: sessions end when idle)."""
    add_user(ctx, "sup-web", ["supervisor"], [], ["62"], password=PASSWORD)

    def signed_in():
        client = app.test_client()
        assert sign_in(client, "sup-web").status_code == 302
        return client

    return signed_in


@pytest.fixture
def admin(app, ctx):
    add_user(ctx, "admin-web", ["admin"], [], ["62"], password=PASSWORD)
    client = app.test_client()
    assert sign_in(client, "admin-web").status_code == 302
    return client


def late(api, clock, seq=1):
    body = api.start(sample_application(clock.now(), seq=seq)).get_json()
    clock.advance(timedelta(days=3))
    api.worker.run_until_idle()
    return body


def test_filters_narrow_the_tables_to_an_item_a_department_and_a_district(supervisor, api, clock):
    body = late(api, clock)
    supervisor = supervisor()
    text = supervisor.get("/oversight").get_data(as_text=True)
    assert body["business_key"] in text and "甘肃省兰州市城关区" in text
    for query in ("department=police", "item=hukou_registration", "district=6202", "since=2030-01-01"):
        page = supervisor.get(f"/oversight?{query}").get_data(as_text=True)
        assert "当前超时（0 件）" in page or query.startswith("since"), query
        if query.startswith("since"):  # the period counts service levels; what is late now stays
            assert "当前超时（1 件）" in page and "暂无数据" in page
    assert "当前超时（1 件）" in supervisor.get("/oversight?district=620102&item=birth_certificate").get_data(
        as_text=True
    )
    page = supervisor.get("/oversight?since=2026-13-01&until=yesterday").get_data(as_text=True)
    assert "起始日期应为日期" in page and "截止日期应为日期" in page


def test_a_district_outside_the_callers_jurisdictions_shows_nothing(api, clock, ctx):
    late(api, clock)
    gansu = Principal("s", frozenset({"supervisor"}), frozenset(), ("62",))
    lanzhou = Principal("s", frozenset({"supervisor"}), frozenset(), ("6201",))
    assert len(overdue_now(ctx, gansu, Scope(district="620102"))) == 1
    assert overdue_now(ctx, lanzhou, Scope(district="52")) == []
    assert len(overdue_now(ctx, lanzhou, Scope(district="62"))) == 1  # narrowed to the caller's 6201


def test_the_csv_defuses_formulas_and_records_only_tables_naming_people(supervisor, admin, api, clock, ctx):
    body = api.start(sample_application(clock.now(), seq=1)).get_json()
    [step] = api.open_steps(body["id"])
    with ctx.uow() as uow:  # completed by a clerk whose name a spreadsheet would take for a formula
        row = uow.tasks.get(step["task_id"])
        row.completed_at, row.completed_by, row.outcome = clock.now(), "=HYPERLINK(1)", "approve"
        uow.commit()
    supervisor = supervisor()
    text = supervisor.get("/oversight/clerks.csv").get_data().decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in text and "\n=HYPERLINK" not in text
    supervisor.get("/oversight/departments.csv?district=6201")
    supervisor.get("/oversight/overdue.csv?district=6201")
    assert supervisor.get("/oversight/people.csv").status_code == 404
    with ctx.reader() as uow:
        recorded = [(e.actor, e.detail["table"], e.detail["filters"]) for e in uow.audit.recent(10)]
    assert recorded == [("sup-web", "overdue", {"district": "6201"}), ("sup-web", "clerks", {})]
    listed = admin.get("/admin").get_data(as_text=True)  # the admins see them
    assert '当前超时的环节</td><td data-label="筛选">甘肃省兰州市</td>' in listed and "按人员" in listed


def test_the_last_admin_stays_whoever_asks(ctx, api, capsys):
    with pytest.raises(AccountChangeRefused) as refused:
        accounts.revoke(ctx, "admin")  # the command's way: nobody in particular asks
    assert refused.value.reason == "last_admin"
    with pytest.raises(AccountChangeRefused):
        accounts.change_access(ctx, "admin", ["supervisor"], [], ["62"])
    add_user(ctx, "admin-2", ["admin"], [], [])
    with pytest.raises(AccountChangeRefused) as refused:
        accounts.revoke(ctx, "admin-2", by="admin-2")
    assert refused.value.reason == "self"
    accounts.revoke(ctx, "admin", by="admin-2")
    assert accounts.authenticate(ctx, api.tokens["admin"]) is None
    assert accounts.enable(ctx, "admin") is True and accounts.enable(ctx, "admin") is False
    assert accounts.authenticate(ctx, api.tokens["admin"]) is not None  # its token works again


def test_an_admin_cannot_take_its_own_admin_role_nor_disable_itself(admin, ctx):
    page = admin.get("/admin/users/admin-web")
    done = admin.post(
        "/admin/users/admin-web",
        data={"roles": ["supervisor"], "jurisdictions": "62", "csrf_token": token(page)},
        follow_redirects=True,
    )
    assert "不能停用自己的账号，也不能取消自己的管理员角色" in done.get_data(as_text=True)
    done = admin.post("/admin/users/admin-web/disable", data={"confirmed": "yes", "csrf_token": token(page)})
    assert "不能停用自己的账号" in done.get_data(as_text=True)
    assert accounts.principal_of(ctx, "admin-web") is not None


def test_the_calendar_import_says_what_is_wrong_in_chinese(admin, ctx):
    page = admin.get("/admin/calendar/2027")

    def upload(content: bytes, name="n.json"):
        return admin.post(
            "/admin/calendar/2027/import",
            data={"csrf_token": token(page), "notice": (BytesIO(content), name)},
            content_type="multipart/form-data",
        )

    too_big = upload(b" " * (256 * 1024 + 1))
    assert too_big.status_code == 422 and "文件超过256 KiB" in too_big.get_data(as_text=True)
    assert "不是有效的 JSON" in upload(b"{not json").get_data(as_text=True)
    assert "不是 UTF-8" in upload("{}".encode("utf-16")).get_data(as_text=True)
    wrong_year = upload(b'{"year": 2028, "source": {"title": "t", "number": "n"}, "holidays": [], "workdays": []}')
    text = wrong_year.get_data(as_text=True)
    assert "该文件是2028年的，不是2027年的" in text and "应列出放假安排" in text and "is not" not in text
