"""The process uses the policy tables through business rule tasks (no database): time limits, eligibility with
its ``end_refused`` path, materials, the police station, and working-day due dates on user tasks and their
overdue timers (R3, R4.1, R5.1-R5.3)."""

from __future__ import annotations

from datetime import datetime

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow

from engine.bpmn.script_engine import JuelScriptEngine
from engine.clock import CHINA, Clock
from engine.projection import summarize
from engine.runtime import (
    advance,
    due_at,
    ready_external_tasks,
    ready_review_tasks,
    set_start_variables,
    waiting_timers,
)
from forms.newborn.application import validate_application
from handlers.newborn.policy import start_variables
from handlers.newborn.samples import sample_application
from handlers.newborn.service import NEWBORN
from tests.support.calendars import FIXED_CALENDARS, PACKAGE_CALENDAR

from .test_engine_bpmn import specs  # noqa: F401 - the module-scoped fixture


def summary_of(workflow):
    """The stored summary of a workflow of the newborn service (the engine's part and the service's)."""
    from datetime import datetime, timezone

    now = datetime(2026, 11, 25, 2, tzinfo=timezone.utc)
    return summarize(workflow, NEWBORN, {}, now, now, PACKAGE_CALENDAR)


def started(specs, application, now):
    engine = JuelScriptEngine(Clock(now - datetime.now(CHINA)), FIXED_CALENDARS)
    workflow = BpmnWorkflow(*specs, script_engine=engine)
    set_start_variables(workflow, start_variables(validate_application(application, now=now), now))
    advance(workflow)
    return workflow


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=CHINA)


def test_r3_an_ineligible_application_ends_refused(specs):
    """The start check refuses first; if a refused application reaches the process anyway (e.g. started on
    an older version's check), the eligibility task sends it to the end event 不予受理 (outcome refused)."""
    now = at("2026-11-25 10:00")
    application = sample_application(now, region="guizhou")
    application["newborn"]["given_name"] = ""
    workflow = started(specs, application, now)
    assert workflow.completed
    assert not ready_review_tasks(workflow) and not ready_external_tasks(workflow)
    summary = summary_of(workflow)
    assert summary["outcome"] == "refused"
    assert [(r["rule"], r["code"]) for r in summary["refusals"]] == [("R3.8", "no_name")]
    assert {item["status"] for item in summary["items"]} == {"stopped"}


def test_business_rule_tasks_give_limits_materials_and_station(specs):
    now = at("2026-11-25 10:00")
    application = sample_application(now)
    application["father"]["ethnicity"] = "回族"
    workflow = started(specs, application, now)
    [dispatch] = ready_external_tasks(workflow)
    data = dispatch.data
    assert data["refusals"] == []
    assert data["limits"]["hukou_registration"] == 1 and data["limits"]["promised_total"] == 3
    assert {
        "code": "ethnicity_confirmation",
        "name": "民族成分确认书",
        "copies": 1,
        "item": "hukou_registration",
    } in data["materials"]  # R3.13
    assert data["station_rule"] == {"parent": "father", "rule": "R3.4"}
    assert summary_of(workflow)["outcome"] is None


def test_r5_2_window_intake_due_today_by_17_00_in_guizhou(specs):
    """The service-centre limit is 0 (immediate): due by the end of today's office day; its overdue timer
    fires at exactly that moment (timeDate, not a duration)."""
    now = at("2026-11-25 10:00")
    workflow = started(specs, sample_application(now, region="guizhou", channel="window"), now)
    [intake] = ready_review_tasks(workflow)
    assert due_at(intake, now, PACKAGE_CALENDAR) == at("2026-11-25 17:00")
    assert [moment for _, moment in waiting_timers(workflow)] == [at("2026-11-25 17:00")]


def test_r5_1_gansu_window_intake_on_a_saturday_is_due_monday(specs):
    now = at("2026-11-28 10:00")
    workflow = started(specs, sample_application(now, channel="window"), now)
    [intake] = ready_review_tasks(workflow)
    assert due_at(intake, now, PACKAGE_CALENDAR) == at("2026-11-30 23:59:59")
    assert [moment for _, moment in waiting_timers(workflow)] == [at("2026-11-30 23:59:59")]
