"""R5.1: every load of a year recounts what it touches -- a year made official, an official year replaced by
another notice or amended -- and the worker's reconciliation converges on the dates a recount from scratch
gives, also while loads race with traffic (the last load wins).

Each application notes the years its open dates were counted through and the version of each year's days
(``uow.counted``); the oracle here is a recount from scratch (:func:`recount_instance` moves nothing) and a
"twin": an application filed at the same moment after the load, counted from the start on the new days.
"""

from __future__ import annotations

import copy
import json
import threading
from datetime import datetime

from alembic import command
from sqlalchemy.orm import Session

from api import create_app
from engine.bootstrap import build_context
from engine.calendar import package_notices, parse_notice
from engine.clock import CHINA
from engine.persistence import migrations
from engine.persistence.database import make_engine
from engine.persistence.models import CalendarImport, CalendarYear
from engine.usecases.calendar import recount_instance
from engine.worker import Worker
from handlers.newborn.samples import approval_for, sample_application
from tests.e2e.conftest import CLERK_OF, Api
from tests.support.calendars import NOTICE_2027

NOTICE = json.loads(NOTICE_2027.read_text(encoding="utf-8"))
# A supplementary notice for 2027 (invented): 1-8 January off, and no make-up Saturday on the 9th.
SUPPLEMENT = copy.deepcopy(NOTICE)
SUPPLEMENT["source"] = {
    "title": "国务院办公厅关于2027年部分节假日安排的补充通知（测试用，日期为虚构）",
    "number": "国办发明电〔2026〕100号",
}
SUPPLEMENT["holidays"][0]["days"] = [f"2027-01-0{d}" for d in range(1, 9)]
SUPPLEMENT["workdays"] = [d for d in NOTICE["workdays"] if d != "2027-01-09"]


def move_to(clock, text: str) -> datetime:
    moment = datetime.fromisoformat(text).replace(tzinfo=CHINA)
    clock.advance(moment - clock.now())
    return moment


def load(api, notice):
    response = api.call("PUT", f"/api/calendar/{notice['year']}", "admin", json=notice)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def history(ctx, instance_id, kind="deadlines_recounted"):
    with ctx.reader() as uow:
        return [(e.reason, e.detail) for e in uow.history.for_instance(instance_id) if e.kind == kind]


def advance_to_hukou_done(api, instance_id, seq):
    """Approve the birth certificate review and the hukou review: the police then tell the applicant the
    visit deadline (R2.8), counted in working days."""
    for n in range(2):
        [step] = api.open_steps(instance_id)
        clerk = CLERK_OF[step["group"]]
        assert api.post(f"/api/tasks/{step['task_id']}/claim", clerk).status_code == 200
        assert api.approve(step["task_id"], clerk, seq=seq * 10 + n).status_code == 200


def dates_of(api, ctx, instance_id) -> dict:
    """Every date an application was counted on: promised, items, open steps, timers, the police visit."""
    view = api.get(f"/api/process-instances/{instance_id}", "portal").get_json()
    assert "items" in view, view
    with ctx.reader() as uow:
        timers = sorted(
            (job.activity_id, job.due_at.isoformat())
            for job in uow.jobs.for_instance(instance_id)
            if job.kind == "timer"
        )
    visits = [
        i["result"]["visit"]
        for i in view["items"]
        if i["code"] == "hukou_registration" and (i.get("result") or {}).get("visit")
    ]
    return {
        "promised_by": (view["promised_by"], view["promised_by_provisional"]),
        "items": sorted((i["code"], i["due_at"], i["provisional"]) for i in view["items"]),
        "steps": sorted((s["activity_id"], s["due_at"], s["provisional"]) for s in view["open_steps"]),
        "timers": timers,
        "visit": [(v["due"], v["provisional"]) for v in visits],
    }


def counted_on_the_current_calendar(ctx, instance_id) -> bool:
    calendar = ctx.calendar.current()
    with ctx.reader() as uow:
        counted = uow.counted.for_instance(instance_id)
    return bool(counted) and all(version == calendar.version(year) for year, version in counted.items())


def test_r5_1_replacing_the_official_2027_moves_every_active_application_as_a_recount_from_scratch(api, ctx, clock):
    """The issue's case: with 2027 official, a supplementary notice answered recounted=0 and left promised
    dates on 5 January where a recount from scratch gave the 12th."""
    move_to(clock, "2026-12-30 10:00")  # Wednesday
    assert load(api, NOTICE)["outcome"] == "loaded"
    gansu = api.start(sample_application(clock.now(), seq=1)).get_json()["id"]
    visited = api.start(sample_application(clock.now(), seq=2)).get_json()["id"]
    advance_to_hukou_done(api, visited, seq=2)
    guizhou = api.start(sample_application(clock.now(), region="guizhou", seq=3)).get_json()["id"]
    originals = [gansu, visited, guizhou]
    before = {i: dates_of(api, ctx, i) for i in originals}
    assert before[gansu]["promised_by"] == ("2027-01-06T23:59:59+08:00", False)  # Thu 31, Tue 5, Wed 6
    assert before[visited]["visit"] == [("2027-01-06", False)]

    loaded = load(api, SUPPLEMENT)
    assert loaded["outcome"] == "replaced" and loaded["recounted"] == 3

    after = {i: dates_of(api, ctx, i) for i in originals}
    assert after[gansu]["promised_by"] == ("2027-01-12T23:59:59+08:00", False)  # Thu 31, Mon 11, Tue 12
    assert after[visited]["visit"] == [("2027-01-12", False)]
    for instance_id in originals:
        assert after[instance_id] != before[instance_id]
        assert recount_instance(ctx, instance_id) is False  # a recount from scratch moves nothing more
        assert counted_on_the_current_calendar(ctx, instance_id)
    # twins filed now are counted from the start on the supplement: the same dates
    twin_gansu = api.start(sample_application(clock.now(), seq=11)).get_json()["id"]
    twin_visited = api.start(sample_application(clock.now(), seq=12)).get_json()["id"]
    advance_to_hukou_done(api, twin_visited, seq=12)
    twin_guizhou = api.start(sample_application(clock.now(), region="guizhou", seq=13)).get_json()["id"]
    for original, twin in ((gansu, twin_gansu), (visited, twin_visited), (guizhou, twin_guizhou)):
        assert dates_of(api, ctx, twin) == after[original]

    [(reason, detail)] = history(ctx, gansu)
    assert reason.startswith("承诺办结时限由2027年1月6日调整为2027年1月12日") and "预计" not in reason
    assert reason.endswith(
        "依据国务院办公厅关于2027年部分节假日安排的补充通知（测试用，日期为虚构）（国办发明电〔2026〕100号）"
    )
    assert detail["years"] == [2027]
    [(reason, _)] = history(ctx, visited)
    assert "告知申请人的办理期限由2027年1月6日调整为2027年1月12日" in reason
    # loading the first notice again moves them back: the last load wins
    assert load(api, NOTICE)["recounted"] == 6
    assert dates_of(api, ctx, gansu) == before[gansu] and dates_of(api, ctx, guizhou) == before[guizhou]


def test_r5_1_amending_the_official_2026_moves_applications_and_the_worker_catches_up_stale_ones(
    api, ctx, clock, database_url, registry
):
    """An amendment of the official 2026 (31 December off) moves dates counted through it -- also of an
    application another process counted a moment later on the days before the amendment."""
    move_to(clock, "2026-12-28 10:00")  # Monday
    first = api.start(sample_application(clock.now(), seq=1)).get_json()["id"]
    assert dates_of(api, ctx, first)["promised_by"] == ("2026-12-31T23:59:59+08:00", False)
    other = build_context(database_url, clock=clock, registry=registry)
    other.calendar._ttl = 3600  # this process does not look again during the test
    assert not other.calendar.current().notice(2026).blocks[-1].days[-1].isoformat().endswith("12-31")

    amended = package_notices()
    [notice_2026] = [n for n in amended if n.year == 2026]
    body = notice_2026.to_json()
    body["source"] = {
        "title": "国务院办公厅关于2026年岁末放假的通知（测试用，日期为虚构）",
        "number": "国办发明电〔2026〕101号",
    }
    body["holidays"].append({"name": "岁末", "days": ["2026-12-31"]})
    loaded = load(api, body)
    assert loaded["outcome"] == "replaced" and loaded["recounted"] == 1
    # Tue 29, Wed 30, (Thu 31 now off, 1 January, weekend) Mon 4 January -- counted through 2027: 预计
    assert dates_of(api, ctx, first)["promised_by"] == ("2027-01-04T23:59:59+08:00", True)
    [(reason, detail)] = history(ctx, first)
    assert reason.startswith("承诺办结时限由2026年12月31日调整为2027年1月4日（预计）")
    assert "国办发明电〔2026〕101号" in reason and detail["years"] == [2026]

    client = create_app({"TESTING": True, "SECRET_KEY": "tests"}, context=other).test_client()
    started = client.post(
        "/api/process-definitions/newborn_birth/start",
        headers={"Authorization": f"Bearer {api.tokens['portal']}"},
        json={"variables": {"application": sample_application(clock.now(), seq=2)}},
    )
    assert started.status_code == 201
    stale = started.get_json()["id"]
    api.worker.run_until_idle()  # its service tasks: this worker counts on the amended days, the rest stays
    assert dates_of(api, ctx, stale)["promised_by"] == ("2026-12-31T23:59:59+08:00", False)  # the old days
    assert not counted_on_the_current_calendar(ctx, stale)
    assert Worker(ctx, name="reconciler").calendar_round() == 1
    assert dates_of(api, ctx, stale) == dates_of(api, ctx, first)
    assert counted_on_the_current_calendar(ctx, stale)


def test_r5_1_a_calendar_that_changes_during_a_step_is_caught_up(api, ctx, clock, database_url, registry):
    """A worker whose calendar was a few seconds old registers a birth (the police visit counted on the
    first notice) and sees the supplement loaded by another process before it saves: its dates are of two
    calendars, so the application is counted again -- the visit moves with the rest."""
    move_to(clock, "2026-12-30 10:00")
    assert load(api, NOTICE)["outcome"] == "loaded"
    stale_ctx = build_context(database_url, clock=clock, registry=registry)
    stale_ctx.calendar._ttl = 3600
    assert stale_ctx.calendar.current().notice(2027).number == "国办发明电〔2026〕99号"
    instance_id = api.start(sample_application(clock.now(), seq=1)).get_json()["id"]
    for n in (1, 2):  # the birth certificate review, then the hukou review -- its registration not yet run
        [step] = api.open_steps(instance_id)
        clerk = CLERK_OF[step["group"]]
        assert api.post(f"/api/tasks/{step['task_id']}/claim", clerk).status_code == 200
        form_key = api.get(f"/api/tasks/{step['task_id']}", clerk).get_json()["form_key"]
        assert (
            api.call(
                "POST",
                f"/api/tasks/{step['task_id']}/complete",
                clerk,
                drain=n == 1,
                json={"variables": approval_for(form_key, n)},
            ).status_code
            == 200
        )
    assert load(api, SUPPLEMENT)["recounted"] == 1  # the promised date moves; the visit is not counted yet

    def probe(point, **info):  # the stale worker's cache expires between the registration and the save
        if point == "after_handler" and info["activity_id"] == "register_hukou":
            stale_ctx.calendar.invalidate()

    Worker(stale_ctx, name="stale", probe=probe).run_until_idle()
    assert dates_of(api, ctx, instance_id)["visit"] == [("2027-01-06", False)]  # counted on the first notice
    assert not counted_on_the_current_calendar(ctx, instance_id)
    assert Worker(ctx, name="reconciler").calendar_round() == 1
    assert dates_of(api, ctx, instance_id)["visit"] == [("2027-01-12", False)]
    assert counted_on_the_current_calendar(ctx, instance_id) and recount_instance(ctx, instance_id) is False
    assert "告知申请人的办理期限由2027年1月6日调整为2027年1月12日" in history(ctx, instance_id)[-1][0]


def test_r5_1_alternating_loads_under_traffic_end_with_every_application_counted_on_the_last(
    api, app, ctx, clock, database_url, registry
):
    """Two notices for 2027 loaded in turn while applications are filed and approved in other threads -- one
    of them another process, whose calendar is up to five seconds old: once the worker has reconciled,
    every active application is counted on the notice loaded last."""
    move_to(clock, "2026-12-30 10:00")
    other = build_context(database_url, clock=clock, registry=registry)  # another process: its own cache
    other_app = create_app({"TESTING": True, "SECRET_KEY": "tests"}, context=other)
    errors: list = []
    started_ids: list[str] = []
    lanes_done = threading.Semaphore(0)
    loads: list[str] = []

    def loader():
        client = Api(app.test_client(), api.tokens, api.worker)
        try:
            finished = 0
            while finished < 2 or loads[-1] != SUPPLEMENT["source"]["number"]:
                notice = NOTICE if len(loads) % 2 == 0 else SUPPLEMENT
                load(client, notice)
                loads.append(notice["source"]["number"])
                finished += lanes_done.acquire(timeout=0.05)
        except Exception as err:  # reported by the test thread
            errors.append(err)

    def traffic(lane: int, flask_app, lane_ctx):
        client = Api(flask_app.test_client(), api.tokens, Worker(lane_ctx, name=f"traffic-{lane}"))
        try:
            for n in range(8):
                seq = lane * 50 + n
                region = "guizhou" if n % 3 == 2 else "gansu"
                started = client.start(sample_application(clock.now(), region=region, seq=seq))
                assert started.status_code == 201, started.get_json()
                started_ids.append(started.get_json()["id"])
                if region != "gansu":
                    continue
                for step in client.open_steps(started.get_json()["id"]):  # Gansu's clerks approve
                    clerk = CLERK_OF[step["group"]]
                    claimed = client.post(f"/api/tasks/{step['task_id']}/claim", clerk)
                    if claimed.status_code == 200:  # a recount may have saved the application meanwhile
                        assert client.approve(step["task_id"], clerk, seq=seq).status_code in (200, 409)
                    else:
                        assert claimed.status_code == 409, claimed.get_json()
        except Exception as err:
            errors.append(err)
        finally:
            lanes_done.release()

    threads = [
        threading.Thread(target=loader),
        threading.Thread(target=traffic, args=(1, app, ctx)),
        threading.Thread(target=traffic, args=(2, other_app, other)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors
    assert len(loads) >= 4 and loads[-1] == "国办发明电〔2026〕100号"
    api.worker.run_until_idle()
    Worker(ctx, name="reconciler").calendar_round()

    assert api.get("/api/calendar/2027", "admin").get_json()["source"]["number"] == "国办发明电〔2026〕100号"
    assert len(started_ids) == 16
    promised: dict[str, set] = {}
    for instance_id in started_ids:
        view = api.get(f"/api/process-instances/{instance_id}", "portal").get_json()
        assert view["state"] == "active", view["state"]
        assert counted_on_the_current_calendar(ctx, instance_id), instance_id
        assert recount_instance(ctx, instance_id) is False, instance_id  # as a recount from scratch
        promised.setdefault(view["region"], set()).add((view["promised_by"], view["promised_by_provisional"]))
    # filed the same day, all counted on the last notice: one promised date per region, a twin's
    assert promised["gansu"] == {("2027-01-12T23:59:59+08:00", False)}
    twin = api.start(sample_application(clock.now(), region="guizhou", seq=400)).get_json()["id"]
    assert promised["guizhou"] == {dates_of(api, ctx, twin)["promised_by"]}


def test_r5_1_applications_counted_before_the_upgrade_are_counted_again_once(api, ctx, clock, database_url):
    """At the upgrade nobody knows which days an active application was counted on: migration 0007c marks it
    unknown and the worker's first reconciliation counts it from scratch -- here on a 2027 notice that a
    release before it stored without counting anything again."""
    move_to(clock, "2026-12-30 10:00")
    instance_id = api.start(sample_application(clock.now(), seq=1)).get_json()["id"]
    assert dates_of(api, ctx, instance_id)["promised_by"] == ("2027-01-05T23:59:59+08:00", True)
    notice = parse_notice(NOTICE)
    engine = make_engine(database_url)
    try:
        before_0007c = migrations.scripts().get_revision("0007c_counted_years").down_revision
        with engine.begin() as connection:
            command.downgrade(migrations.config(connection), before_0007c)
        with Session(engine) as session:  # the old release's import, without its recount
            session.add(
                CalendarYear(
                    year=2027,
                    origin="notice",
                    title=notice.title,
                    number=notice.number,
                    days=notice.days_json(),
                    fingerprint=notice.fingerprint,
                    loaded_at=clock.now(),
                    loaded_by="admin",
                )
            )
            session.add(
                CalendarImport(
                    year=2027,
                    at=clock.now(),
                    by="admin",
                    origin="notice",
                    title=notice.title,
                    number=notice.number,
                    fingerprint=notice.fingerprint,
                    outcome="loaded",
                    detail={},
                )
            )
            session.commit()
        with engine.begin() as connection:
            migrations.upgrade(connection)
    finally:
        engine.dispose()
    with ctx.reader() as uow:
        assert uow.counted.for_instance(instance_id) == {2026: "unknown", 2027: "unknown"}
    assert Worker(ctx, name="after-upgrade").calendar_round() == 1
    assert dates_of(api, ctx, instance_id)["promised_by"] == ("2027-01-06T23:59:59+08:00", False)
    assert counted_on_the_current_calendar(ctx, instance_id) and recount_instance(ctx, instance_id) is False
