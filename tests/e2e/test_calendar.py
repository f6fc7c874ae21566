"""The working-day calendar as operated data (R5.1): a year without its State Council notice never stops the
service; its dates are provisional (预计) everywhere; loading the notice moves every open due date, timer and
promised date counted through it, with a history entry; bad notices are refused and change nothing.

``tests/fixtures/calendar_2027.json`` is an invented 2027 notice: 1-4 January off (Monday 4 January is the
extra day off) and Saturday 9 January worked, among others.
"""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout
from datetime import datetime

import pytest

from api import create_app
from engine.bootstrap import build_context
from engine.cli import main
from engine.clock import CHINA, Clock
from engine.usecases.accounts import add_user
from engine.worker import Worker
from handlers.newborn.samples import sample_application
from tests.support.calendars import NOTICE_2027

NOTICE = json.loads(NOTICE_2027.read_text(encoding="utf-8"))
CLERKS = {"midwifery": "midwifery", "police": "police", "service_center": "service_center"}


def move_to(clock, text: str) -> datetime:
    moment = datetime.fromisoformat(text).replace(tzinfo=CHINA)
    clock.advance(moment - clock.now())
    return moment


def import_2027(api, user="admin", body=None):
    return api.call("PUT", "/api/calendar/2027", user, json=NOTICE if body is None else body)


def history(ctx, instance_id):
    with ctx.reader() as uow:
        return [(e.kind, e.reason, e.detail) for e in uow.history.for_instance(instance_id)]


def instance(api, instance_id, user="portal"):
    return api.get(f"/api/process-instances/{instance_id}", user).get_json()


def provisional_everywhere_it_should_be(view, official_years):
    """Every date of an instance view is provisional exactly when it falls in a year without a notice."""

    def expected(moment):
        return datetime.fromisoformat(moment).year not in official_years

    for item in view["items"]:
        assert item["provisional"] is expected(item["due_at"]), item
    for step in view["open_steps"]:
        assert step["provisional"] is expected(step["due_at"]), step
    assert view["promised_by_provisional"] is expected(view["promised_by"])


# -- today's real date ---------------------------------------------------------------------------------------


def test_r5_1_on_the_real_date_applications_start_and_the_dry_run_answers(database_url, registry):
    """No clock pinned: in December 2026 Guizhou's 23 working days reach 2027, which has no notice yet."""
    ctx = build_context(database_url, clock=Clock(), registry=registry)
    client = create_app({"TESTING": True, "SECRET_KEY": "tests"}, context=ctx).test_client()
    worker = Worker(ctx, name="real-date")
    token = add_user(ctx, "portal", roles=["portal"], groups=[], jurisdictions=["62", "52"])
    headers = {"Authorization": f"Bearer {token}"}
    official = set(client.get("/api/health").get_json()["calendar"]["official_years"])
    for region in ("gansu", "guizhou"):
        application = sample_application(ctx.clock.now(), region=region)
        check = client.post("/api/applications/check", json=application, headers=headers)
        assert check.status_code == 200, check.get_json()
        promised = check.get_json()["promised_by"]
        assert check.get_json()["promised_by_provisional"] is (datetime.fromisoformat(promised).year not in official)
        started = client.post(
            "/api/process-definitions/newborn_birth/start",
            headers=headers,
            json={"variables": {"application": application}},
        )
        assert started.status_code == 201, started.get_json()
        worker.run_until_idle()
        view = client.get(f"/api/process-instances/{started.get_json()['id']}", headers=headers).get_json()
        provisional_everywhere_it_should_be(view, official)


# -- provisional, then official ------------------------------------------------------------------------------


def test_r5_1_provisional_dates_are_marked_in_every_view(api, clock):
    """Guizhou on 24 December 2026: 23 working days end in 2027 -- 预计 in the views, the progress texts, the
    dry run, the clerk's queue and the health check."""
    move_to(clock, "2026-12-24 10:00")
    application = sample_application(clock.now(), region="guizhou")
    assert api.post("/api/applications/check", "portal", json=application).get_json()["promised_by_provisional"]
    body = api.start(application).get_json()
    view = instance(api, body["id"])
    assert view["promised_by"].startswith("2027-") and view["promised_by_provisional"] is True
    progress = api.get(f"/api/applications/{body['business_key']}/progress", "portal").get_json()
    assert progress["promised_by_provisional"] is True and "（预计）前全部办结" in progress["message"]
    assert any(i["provisional"] and "（预计）" in i["next_step"] for i in progress["items"])
    health = api.get("/api/health").get_json()
    assert health["status"] == "ok" and 2027 in health["calendar"]["provisional_years"]
    assert 2026 in health["calendar"]["official_years"]
    levels = api.get("/api/metrics/service-levels", "supervisor").get_json()
    assert 2027 in levels["provisional_years"]


def test_r5_1_loading_the_2027_notice_moves_open_due_dates_and_re_arms_the_timer(api, ctx, clock):
    move_to(clock, "2026-12-30 10:00")  # Wednesday
    body = api.start(sample_application(clock.now())).get_json()
    view = instance(api, body["id"])
    # 3 working days: Thu 31 Dec, (Fri 1 Jan statutory, weekend), Mon 4, Tue 5 January -- provisional
    assert view["promised_by"] == "2027-01-05T23:59:59+08:00" and view["promised_by_provisional"] is True
    [step] = view["open_steps"]
    assert step["due_at"] == "2026-12-31T23:59:59+08:00" and step["provisional"] is False
    move_to(clock, "2026-12-31 10:00")
    assert api.post(f"/api/tasks/{step['task_id']}/claim", "midwifery").status_code == 200
    assert api.approve(step["task_id"], "midwifery").status_code == 200
    [hukou] = instance(api, body["id"])["open_steps"]
    assert hukou["activity_id"] == "hukou_review"
    assert hukou["due_at"] == "2027-01-04T23:59:59+08:00" and hukou["provisional"] is True
    queue = api.get("/api/tasks", "police").get_json()["items"]
    assert [(t["due_at"], t["provisional"]) for t in queue] == [("2027-01-04T23:59:59+08:00", True)]

    response = import_2027(api)
    assert response.status_code == 200, response.get_json()
    loaded = response.get_json()
    assert loaded["outcome"] == "loaded" and loaded["status"] == "official" and loaded["recounted"] == 1
    assert loaded["source"]["number"] == "国办发明电〔2026〕99号" and loaded["source"]["loaded_by"] == "admin"

    view = instance(api, body["id"])
    [hukou] = view["open_steps"]
    assert hukou["due_at"] == "2027-01-05T23:59:59+08:00" and hukou["provisional"] is False  # 4 Jan now off
    assert view["promised_by"] == "2027-01-06T23:59:59+08:00" and view["promised_by_provisional"] is False
    provisional_everywhere_it_should_be(view, {2026, 2027})
    [entry] = [e for e in history(ctx, body["id"]) if e[0] == "deadlines_recounted"]
    assert "承诺办结时限由2027年1月5日（预计）调整为2027年1月6日" in entry[1]
    assert "“出生登记审核”办结时限由2027年1月4日（预计）调整为2027年1月5日" in entry[1]
    assert entry[1].endswith(
        "依据国务院办公厅关于2027年部分节假日安排的通知（测试用，日期为虚构）（国办发明电〔2026〕99号）"
    )
    assert entry[2]["years"] == [2027]

    again = import_2027(api).get_json()  # the same notice again changes nothing
    assert again["outcome"] == "unchanged" and again["recounted"] == 0
    assert len([e for e in history(ctx, body["id"]) if e[0] == "deadlines_recounted"]) == 1
    assert [i["outcome"] for i in again["imports"]] == ["loaded", "unchanged"]

    # the overdue timer fires at the new moment, not at the old one (end of Monday 4 January)
    move_to(clock, "2027-01-05 10:00")
    api.worker.run_until_idle()
    assert ("timer_fired", None) not in [(k, None) for k, *_ in history(ctx, body["id"])]
    assert instance(api, body["id"])["open_steps"][0]["overdue"] is False
    move_to(clock, "2027-01-06 00:00:30")
    api.worker.run_until_idle()
    assert "timer_fired" in [k for k, *_ in history(ctx, body["id"])]
    assert instance(api, body["id"])["open_steps"][0]["overdue"] is True


def next_visit(progress):
    visits = [n for n in progress["next_steps"] if n["text"].startswith("出生登记已办结")]
    assert len({(n["due"], n["text"]) for n in visits}) == 1, visits
    return visits[0]


def test_r2_8_the_police_visit_date_told_to_the_applicant_moves_too(api, ctx, clock):
    """R2.8 (Gansu): registered on Thursday 31 December, the visit is due within 3 working days -- Mon 4, Tue 5,
    Wed 6 January provisionally; with the notice (4 January off) Tue 5, Wed 6, Thu 7."""
    move_to(clock, "2026-12-30 10:00")
    body = api.start(sample_application(clock.now())).get_json()
    move_to(clock, "2026-12-31 10:00")
    for _ in range(2):  # the birth certificate review, then the hukou review
        [step] = instance(api, body["id"])["open_steps"]
        assert api.post(f"/api/tasks/{step['task_id']}/claim", CLERKS[step["group"]]).status_code == 200
        assert api.approve(step["task_id"], CLERKS[step["group"]]).status_code == 200
    progress = api.get(f"/api/applications/{body['business_key']}/progress", "portal").get_json()
    visit = next_visit(progress)
    assert visit["due"] == "2027-01-06" and visit["provisional"] is True and "2027-01-06（预计）前" in visit["text"]
    assert import_2027(api).get_json()["recounted"] == 1
    progress = api.get(f"/api/applications/{body['business_key']}/progress", "portal").get_json()
    visit = next_visit(progress)
    assert visit["due"] == "2027-01-07" and visit["provisional"] is False
    assert "请于2027-01-07前" in visit["text"] and "预计" not in visit["text"]
    hukou = [i for i in instance(api, body["id"], "police")["items"] if i["code"] == "hukou_registration"][0]
    assert hukou["result"]["visit"]["due"] == "2027-01-07"
    [entry] = [e for e in history(ctx, body["id"]) if e[0] == "deadlines_recounted"]
    assert "告知申请人的办理期限由2027年1月6日（预计）调整为2027年1月7日" in entry[1]


def test_r5_1_a_completed_application_keeps_what_it_recorded(api, ctx, clock):
    move_to(clock, "2026-12-30 10:00")
    body = api.start(sample_application(clock.now())).get_json()
    api.walk_to_end(body["id"])
    before = instance(api, body["id"])
    assert before["state"] == "completed" and before["promised_by_provisional"] is True
    assert import_2027(api).get_json()["recounted"] == 0
    after = instance(api, body["id"])
    assert after["promised_by"] == before["promised_by"] and after["items"] == before["items"]
    assert "deadlines_recounted" not in [k for k, *_ in history(ctx, body["id"])]


def test_r5_1_an_application_saved_on_an_older_calendar_is_caught_up_by_the_worker(
    api, ctx, database_url, clock, registry
):
    """Another process counted with a calendar from before the import (its cache not yet refreshed): the
    worker's reconciliation counts that application again."""
    move_to(clock, "2026-12-30 10:00")
    other = build_context(database_url, clock=clock, registry=registry)
    other.calendar._ttl = 3600  # this process does not look again during the test
    assert not other.calendar.current().is_official(2027)
    assert import_2027(api).status_code == 200
    client = create_app({"TESTING": True, "SECRET_KEY": "tests"}, context=other).test_client()
    started = client.post(
        "/api/process-definitions/newborn_birth/start",
        headers={"Authorization": f"Bearer {api.tokens['portal']}"},
        json={"variables": {"application": sample_application(clock.now())}},
    )
    assert started.status_code == 201
    instance_id = started.get_json()["id"]
    assert instance(api, instance_id)["promised_by"] == "2027-01-05T23:59:59+08:00"  # the stale count
    moved = Worker(ctx, name="reconciler").calendar_round()
    assert moved == 1
    view = instance(api, instance_id)
    assert view["promised_by"] == "2027-01-06T23:59:59+08:00" and view["promised_by_provisional"] is False
    with ctx.reader() as uow:
        assert set(uow.counted.for_instance(instance_id).values()) == {
            ctx.calendar.current().version(2026),
            ctx.calendar.current().version(2027),
        }


# -- refused imports -----------------------------------------------------------------------------------------


def changed(notice, **change):
    return {**notice, **change}


@pytest.mark.parametrize(
    "body, reason",
    [
        (changed(NOTICE, holidays=[{"name": "元旦", "days": ["2026-12-31", "2027-01-01"]}]), "not in 2027"),
        (changed(NOTICE, workdays=["2027-01-06"]), "Wednesday"),
        (changed(NOTICE, workdays=["2027-01-02"]), "both a day off"),
        (changed(NOTICE, year=2028), "not 2027"),
        (changed(NOTICE, holidays=[{"name": "春节", "days": ["2027-02-05", "2027-02-07"]}]), "contiguous"),
    ],
)
def test_r5_1_a_bad_notice_is_refused_with_the_reason_and_nothing_changes(api, body, reason):
    response = import_2027(api, body=body)
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert reason in response.get_data(as_text=True)
    year = api.get("/api/calendar/2027", "midwifery").get_json()
    assert year["status"] == "provisional" and year["imports"] == []


def test_r5_1_broken_json_and_a_clerks_token_are_refused(api):
    response = api.call("PUT", "/api/calendar/2027", "admin", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert import_2027(api, user="midwifery").status_code == 403
    assert api.get("/api/calendar/2027", "portal").get_json()["status"] == "provisional"
    assert api.get("/api/calendar/20x7", "portal").status_code == 404


def test_r5_1_every_role_reads_a_year(api):
    year = api.get("/api/calendar/2026", "portal").get_json()
    assert year["status"] == "official" and year["source"]["origin"] == "package"
    assert year["source"]["title"].startswith("chinesecalendar ")
    assert "2026-01-04" in year["workdays"] and year["imports"][0]["outcome"] == "loaded"
    provisional = api.get("/api/calendar/2027", "supervisor").get_json()
    assert provisional["provisional"] is True and provisional["workdays"] == []
    assert [b["name"] for b in provisional["holidays"]] == [
        "元旦",
        "春节",
        "清明节",
        "劳动节",
        "端午节",
        "中秋节",
        "国庆节",
    ]
    listed = api.get("/api/calendar", "analyst").get_json()
    assert 2026 in listed["official_years"] and 2027 in listed["provisional_years"]


# -- the command line ----------------------------------------------------------------------------------------


def run_cli(*argv):
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def test_r5_1_an_operator_imports_and_shows_a_year(api, database_url, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", database_url)
    code, out, _ = run_cli("calendar", "show", "2027")
    assert code == 0 and "预计" in out and " 1*" in out and "+" not in out.split("* 放假")[0]
    bad = tmp_path / "2027.json"
    bad.write_text(json.dumps(changed(NOTICE, workdays=["2027-01-06"])), encoding="utf-8")
    code, _, err = run_cli("calendar", "import", str(bad))
    assert code == 1 and "Wednesday" in err and "nothing changed" in err
    bad.write_text("{", encoding="utf-8")
    assert run_cli("calendar", "import", str(bad))[0] == 1
    code, out, _ = run_cli("calendar", "import", str(NOTICE_2027), "--by", "operator-1")
    assert code == 0 and "2027: loaded" in out
    assert run_cli("calendar", "import", str(NOTICE_2027))[1].startswith("2027: unchanged")
    code, out, _ = run_cli("calendar", "show", "2027")
    assert code == 0 and "正式" in out and "国办发明电〔2026〕99号" in out
    assert " 9+" in out and " 4*" in out and "调休上班：2027-01-09" in out
    code, out, _ = run_cli("calendar", "list")
    assert code == 0 and "2027  official" in out and "2028  provisional" in out
    assert api.get("/api/calendar/2027", "portal").get_json()["source"]["loaded_by"] == "operator-1"
