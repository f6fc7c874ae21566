"""The policy tables over HTTP: the portal's dry run, refusals at start, working-day due dates, the progress
view's next steps, and analysts changing policy by deploying an edited DMN file (RULES §3-§6).

Every test runs on the service clock (``clock`` fixture, moved with ``move_to``); nothing sleeps.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from engine.clock import CHINA
from forms.newborn.application import validate_application
from handlers.newborn.samples import sample_application
from handlers.newborn.service import subject_key

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows" / "newborn"
PROBLEM = "application/problem+json"


def move_to(clock, text: str) -> datetime:
    """Set the service clock to ``text`` (China time)."""
    moment = datetime.fromisoformat(text).replace(tzinfo=CHINA)
    clock.advance(moment - clock.now())
    return moment


def dry_run(api, application, user="portal"):
    return api.post("/api/applications/check", user, json=application)


def deploy(api, files, user="analyst", force=False):
    data = {"files": [(io.BytesIO(content), name) for name, content in files]}
    return api.post(
        "/api/deployments" + ("?force=true" if force else ""), user, data=data, content_type="multipart/form-data"
    )


def nothing_started(api, ctx, application, now) -> bool:
    key = subject_key(validate_application(application, now=now))
    with ctx.uow() as uow:
        active = uow.instances.active_for_subject(key)
    queues = [api.get("/api/tasks", clerk).get_json()["total"] for clerk in ("midwifery", "service_center")]
    return active is None and queues == [0, 0]


# -- the dry run (CONTRACT: POST /api/applications/check) ------------------------------------------------------


def test_check_of_an_eligible_gansu_application(api, ctx, application, clock):
    """R4.1 materials once with their items, R5 time limits, the promised total (Gansu 3); nothing stored."""
    response = dry_run(api, application)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["eligible"] is True and body["refusals"] == []
    assert [(m["code"], m["copies"], m["items"]) for m in body["materials"]] == [
        ("parent_id_cards", 2, ["birth_certificate", "social_security_card"]),
        ("hukou_books", 3, ["hukou_registration", "social_security_card"]),
        ("marriage_certificate", 1, ["birth_certificate", "hukou_registration"]),
    ]
    assert body["items"][2] == {"code": "hukou_registration", "department": "police", "due_working_days": 1}
    assert body["promised_working_days"] == 3
    assert body["promised_by"] == "2026-11-30T23:59:59+08:00"  # Wednesday + 3 working days, over a weekend
    assert nothing_started(api, ctx, application, clock.now())


def test_check_of_a_guizhou_application_lists_every_exclusion(api, clock):
    """R3.8, R3.10, R3.12 at once; Guizhou's promised total is 23 working days by 17:00 (R5.2)."""
    application = sample_application(clock.now(), region="guizhou")
    application["newborn"]["given_name"] = ""
    application["marriage"]["status"] = "divorced"
    application["father"]["ethnicity"] = "布依族"
    body = dry_run(api, application).get_json()
    assert body["eligible"] is False
    assert [(r["rule"], r["code"]) for r in body["refusals"]] == [
        ("R3.10", "divorced_or_single_parent"),
        ("R3.12", "parents_different_ethnicity"),
        ("R3.8", "no_name"),
    ]
    assert all(r["message"] for r in body["refusals"])
    assert body["promised_working_days"] == 23 and body["promised_by"].endswith("T17:00:00+08:00")
    assert [m["code"] for m in body["materials"]][0] == "application_form"


def test_check_mixed_ethnicity_in_gansu_adds_the_letter(api, application):
    """R3.13: accepted, with the ethnicity confirmation letter for hukou registration."""
    application["father"]["ethnicity"] = "回族"
    body = dry_run(api, application).get_json()
    assert body["eligible"] is True
    assert {
        "code": "ethnicity_confirmation",
        "name": "民族成分确认书",
        "copies": 1,
        "items": ["hukou_registration"],
    } in body["materials"]


def test_check_validates_the_form_like_start(api, application):
    application["mother"]["id_number"] = "620102199203150029"
    response = dry_run(api, application)
    assert response.status_code == 422 and response.mimetype == PROBLEM
    assert "mother.id_number" in response.get_json()["errors"]
    assert dry_run(api, None).status_code == 422


def test_check_is_for_the_portal(api, application):
    assert dry_run(api, application, user="midwifery").status_code == 403


# -- starting (422 with refusals, nothing started) -------------------------------------------------------------


def test_an_ineligible_start_is_422_with_the_refusals_and_starts_nothing(api, ctx, application, clock):
    """R3.2/R3.4 (Gansu): the same refusals as the check, as the problem's ``refusals``."""
    application["marriage"]["status"] = "unmarried_cohabiting"
    application["newborn"]["born_at"] = (clock.now() - timedelta(days=40)).replace(microsecond=0).isoformat()
    response = api.start(application)
    assert response.status_code == 422 and response.mimetype == PROBLEM
    problem = response.get_json()
    assert [(r["rule"], r["code"]) for r in problem["refusals"]] == [
        ("R3.2", "not_in_wedlock"),
        ("R3.4", "declared_after_one_month"),
    ]
    assert problem["refusals"] == dry_run(api, application).get_json()["refusals"]
    assert nothing_started(api, ctx, application, clock.now())


def test_r6_2_next_year_insurance_outside_october_to_december_is_refused_at_start(api, clock):
    """R6.2 (Gansu): born in September, "次年" is refused before anything runs (not at enrolment)."""
    move_to(clock, "2026-09-23 10:00")
    application = sample_application(clock.now())
    application["medical_insurance"]["year"] = "current_and_next"
    response = api.start(application)
    assert response.status_code == 422
    assert [(r["rule"], r["code"]) for r in response.get_json()["refusals"]] == [("R6.2", "next_year_not_allowed")]
    application["medical_insurance"]["year"] = "current"
    assert api.start(application).status_code == 201


def test_the_process_itself_refuses_and_nothing_is_stored(api, ctx, application, clock, monkeypatch):
    """The policy lives in one place: the start runs the process, whose eligibility task ends it at 不予受理;
    the start answers 422 with the process's own refusals and nothing is stored (no Python pre-check: the
    dry run's code is not even reachable here)."""
    from handlers.newborn import policy

    def no_dry_run(*args, **kwargs):
        raise AssertionError("the start must not use the dry run")

    monkeypatch.setattr(policy, "check", no_dry_run)
    application["marriage"]["status"] = "divorced"
    response = api.start(application)
    assert response.status_code == 422 and response.mimetype == PROBLEM
    assert [(r["rule"], r["code"]) for r in response.get_json()["refusals"]] == [("R3.2", "not_in_wedlock")]
    assert nothing_started(api, ctx, application, clock.now())
    with ctx.reader() as uow:
        assert uow.instances.by_business_key is not None
        assert not uow.session.execute(text("SELECT count(*) FROM process_instances")).scalar()
        assert not uow.session.execute(text("SELECT count(*) FROM history_events")).scalar()


# -- working-day due dates (R5.1, R5.2, R5.3) --------------------------------------------------------------------


def open_step(api, instance_id):
    [step] = api.open_steps(instance_id)
    return step


@pytest.mark.parametrize(
    "now, expected",
    [
        ("2026-11-27 10:00", "2026-11-30T23:59:59+08:00"),  # Friday: 1 working day is Monday
        ("2026-09-30 10:00", "2026-10-08T23:59:59+08:00"),  # National Day: 1-7 October off
        ("2026-09-18 10:00", "2026-09-20T23:59:59+08:00"),  # Sunday 20 September is a make-up working day
        ("2025-12-31 10:00", "2026-01-04T23:59:59+08:00"),  # 2025 → 2026: 1-2 January off, Sunday 4th worked
    ],
)
def test_r5_1_gansu_birth_certificate_review_due_in_working_days(api, clock, now, expected):
    move_to(clock, now)
    body = api.start(sample_application(clock.now())).get_json()
    step = open_step(api, body["id"])
    assert step["activity_id"] == "birth_certificate_review" and step["due_at"] == expected
    [task] = api.get("/api/tasks", "midwifery").get_json()["items"]
    assert task["due_at"] == expected


def test_r5_1_hukou_review_due_after_the_national_day_holiday(api, clock):
    """The police step's limit counts from the day it starts: approved 30 September → due 8 October."""
    move_to(clock, "2026-09-29 10:00")
    body = api.start(sample_application(clock.now())).get_json()
    move_to(clock, "2026-09-30 15:00")
    assert api.approve(open_step(api, body["id"])["task_id"], "midwifery").status_code == 200
    step = open_step(api, body["id"])
    assert step["activity_id"] == "hukou_review" and step["due_at"] == "2026-10-08T23:59:59+08:00"


def test_r5_2_guizhou_window_intake_due_by_17_00_and_flagged_overdue_after(api, ctx, clock):
    """Guizhou: intake is immediate, so due by 17:00 of the office day; an application after 17:00 on a Friday
    is due on Monday by 17:00. Past the due moment the boundary timer reports it (R5.3)."""
    move_to(clock, "2026-11-27 18:00")
    body = api.start(sample_application(clock.now(), region="guizhou", channel="window")).get_json()
    step = open_step(api, body["id"])
    assert (step["activity_id"], step["due_at"]) == ("window_intake", "2026-11-30T17:00:00+08:00")
    move_to(clock, "2026-11-30 16:59")
    api.worker.run_until_idle()
    assert open_step(api, body["id"])["overdue"] is False
    move_to(clock, "2026-11-30 17:01")
    api.worker.run_until_idle()
    assert open_step(api, body["id"])["overdue"] is True
    with ctx.uow() as uow:
        kinds = [(e.kind, e.activity_id) for e in uow.history.for_instance(body["id"])]
    assert ("timer_fired", "window_intake_overdue") in kinds
    assert ("service_task_completed", "window_intake_report_overdue") in kinds


# -- the applicant's progress (R2.7, R2.8) -------------------------------------------------------------------------


def test_progress_shows_every_item_with_due_date_and_next_step(api, application, clock):
    body = api.start(application).get_json()
    progress = api.get(f"/api/applications/{body['business_key']}/progress", "portal").get_json()
    assert progress["promised_by"] == "2026-11-30T23:59:59+08:00"
    items = {i["code"]: i for i in progress["items"]}
    assert all(i["due_at"] for i in items.values())  # every item, not only those with a user task
    assert items["birth_certificate"]["status"] == "in_progress"
    assert items["birth_certificate"]["due_at"] == "2026-11-26T23:59:59+08:00"
    assert "助产机构正在办理，应于2026年11月26日前办结" in items["birth_certificate"]["next_step"]
    assert items["hukou_registration"]["status"] == "pending"
    assert items["hukou_registration"]["due_at"] == progress["promised_by"]
    assert items["vaccination_certificate"]["status"] == "done"  # a service task, done at once

    assert api.approve(open_step(api, body["id"])["task_id"], "midwifery").status_code == 200
    move_to(clock, "2026-11-26 09:00")
    assert api.approve(open_step(api, body["id"])["task_id"], "police").status_code == 200
    progress = api.get(f"/api/applications/{body['business_key']}/progress", "portal").get_json()
    items = {i["code"]: i for i in progress["items"]}
    hukou = items["hukou_registration"]
    assert hukou["due_at"] == "2026-11-26T23:59:59+08:00"  # started 25 November, 1 working day
    # R2.8 Gansu: visit the police station with the originals within 3 working days of the approval
    assert "2026-12-01前" in hukou["next_step"] and "派出所" in hukou["next_step"] and "原件" in hukou["next_step"]
    assert any("2026-12-01" in (n.get("due") or "") for n in progress["next_steps"])
    card = items["social_security_card"]
    assert card["status"] == "done" and card["due_at"] == "2026-11-27T23:59:59+08:00"  # started 26 November


def test_progress_marks_an_item_overdue(api, application, clock):
    body = api.start(application).get_json()
    move_to(clock, "2026-11-27 09:00")  # the birth certificate was due by the end of 26 November
    items = {
        i["code"]: i
        for i in api.get(f"/api/applications/{body['business_key']}/progress", "portal").get_json()["items"]
    }
    assert items["birth_certificate"]["overdue"] is True and items["hukou_registration"]["overdue"] is False


# -- analysts change policy by deploying a DMN file (no code change) ----------------------------------------------


def edited(name: str, old: str, new: str) -> bytes:
    text = (WORKFLOWS / name).read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    return text.replace(old, new).encode("utf-8")


def test_a_changed_number_in_the_time_limits_table_changes_due_dates(api, clock):
    """R5: Gansu hukou registration 1 → 2 working days in time_limits.dmn, deployed: the check's items and the
    police step's due date follow."""
    cell = '<outputEntry id="LiteralExpression_gansu_hukou_registration">\n          <text>{}</text>'
    content = edited("time_limits.dmn", cell.format(1), cell.format(2))
    response = deploy(api, [("time_limits.dmn", content)])
    assert response.status_code == 201, response.get_json()
    application = sample_application(clock.now())
    items = {i["code"]: i["due_working_days"] for i in dry_run(api, application).get_json()["items"]}
    assert items["hukou_registration"] == 2 and items["birth_certificate"] == 1
    body = api.start(application).get_json()
    assert body["definition"]["version"] == 1  # no BPMN changed: version 1 runs with the new table (issue 24)
    assert api.approve(open_step(api, body["id"])["task_id"], "midwifery").status_code == 200
    step = open_step(api, body["id"])
    assert (step["activity_id"], step["due_at"]) == ("hukou_review", "2026-11-27T23:59:59+08:00")


def test_a_new_refusal_row_refuses(api, clock):
    """A row added to the naming table for Gansu (as an analyst would in the Modeler) refuses a Gansu
    application without a name at check and at start."""
    start = '<rule id="DecisionRule_guizhou_no_name">'
    text = (WORKFLOWS / "eligibility.dmn").read_text(encoding="utf-8")
    begin = text.index(start)
    row = text[begin : text.index("</rule>", begin) + len("</rule>")]
    gansu_row = (
        row.replace("guizhou_no_name", "gansu_no_name")
        .replace('"guizhou"', '"gansu"')
        .replace("R3.8 贵州暂不纳入情形1", "甘肃：新生儿须已取名")
    )
    content = edited("eligibility.dmn", row, row + "\n      " + gansu_row)
    assert deploy(api, [("eligibility.dmn", content)]).status_code == 201
    application = sample_application(clock.now())
    application["newborn"]["given_name"] = ""
    assert [r["code"] for r in dry_run(api, application).get_json()["refusals"]] == ["no_name"]
    response = api.start(application)
    assert response.status_code == 422 and [r["code"] for r in response.get_json()["refusals"]] == ["no_name"]


def test_a_unique_table_with_two_matching_rows_is_a_problem(api, application):
    """Two Gansu rows in the UNIQUE time-limit table: the dry run of the deployment on the Gansu sample
    refuses it; forced anyway, the check answers a problem naming both rules."""
    text = (WORKFLOWS / "time_limits.dmn").read_text(encoding="utf-8")
    begin = text.index('<rule id="DecisionRule_gansu">')
    row = text[begin : text.index("</rule>", begin) + len("</rule>")]
    again = row.replace("_gansu", "_gansu_again").replace('id="DecisionRule_gansu"', 'id="DecisionRule_gansu_again"')
    files = [("time_limits.dmn", edited("time_limits.dmn", row, row + "\n      " + again))]
    refused = deploy(api, files)
    assert refused.status_code == 422
    [problem] = refused.get_json()["problems"]
    assert problem["file"] == "samples/gansu.json" and "DecisionRule_gansu_again" in problem["message"]
    forced = deploy(api, files, force=True)
    assert forced.status_code == 201
    assert [p["file"] for p in forced.get_json()["definitions"][0]["forced_over"]] == ["samples/gansu.json"]
    listed = api.get("/api/process-definitions", "analyst").get_json()
    # a table changed, no BPMN: version 1 runs with the forced tables now, and says so (issue 24)
    assert [d["version"] for d in listed] == [1] and listed[0]["forced_over"]
    response = dry_run(api, application)
    assert response.status_code == 422 and response.mimetype == PROBLEM
    detail = response.get_json()["detail"]
    assert "time_limits" in detail and "DecisionRule_gansu" in detail and "DecisionRule_gansu_again" in detail
