"""The policy of a deployment applied to one application: who may apply, what to bring, how long it takes.

The policy lives in the deployment's DMN files (``workflows/eligibility.dmn``, ``materials.dmn``,
``time_limits.dmn``), which business analysts edit; this module only evaluates the top decisions the process's
business rule tasks also use -- ``eligibility`` (every refusal: ``{"rule", "code", "message"}``), ``materials``
(one row per material and item) and ``time_limits`` (working days per step, the promised total, the closing
time) -- over the variables the process has: ``application``, ``facts`` (:mod:`forms.facts`) and ``region``.

A decision that cannot answer (a UNIQUE table with two matching rows, a region without time limits) is a
:class:`~engine.errors.PolicyError` naming the decision and rules. Due dates are counted on the working-day
calendar given; one counted through a year whose holiday notice is not loaded yet is provisional (R5.1).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from engine.calendar import WorkdayCalendar
from engine.clock import iso
from engine.dmn import DecisionError, evaluate_decision
from engine.errors import PolicyError
from engine.expressions import ExpressionError
from engine.expressions.juel_workdays import closing_time
from forms.newborn.facts import derive_facts
from forms.newborn.items import ITEMS_BY_CODE, chosen_map

ELIGIBILITY, MATERIALS, TIME_LIMITS = "eligibility", "materials", "time_limits"


def decision_variables(application: Mapping, now: datetime) -> dict[str, Any]:
    """What the decisions read, as the process holds it: the application, its facts and the region."""
    return {"application": application, "facts": derive_facts(application, now), "region": application["region"]}


def start_variables(application: Mapping, now: datetime) -> dict[str, Any]:
    """The variables an instance starts with: the decisions' variables, and ``chosen`` / ``channel`` that the
    process's gateways read."""
    return {
        **decision_variables(application, now),
        "chosen": chosen_map(application["items"]),
        "channel": application["channel"],
    }


def _decide(decisions: Mapping, decision_id: str, variables: Mapping, now: datetime):
    try:
        return evaluate_decision(decisions, decision_id, variables, now=now)
    except DecisionError as err:
        raise PolicyError(f"policy decision failed: {err}") from None


def refusals(decisions: Mapping, variables: Mapping, now: datetime) -> list[dict]:
    """Every reason the application is refused (empty: it may be accepted), in the tables' order."""
    value = _decide(decisions, ELIGIBILITY, variables, now).value or []
    if not isinstance(value, list) or not all(isinstance(entry, Mapping) for entry in value):
        raise PolicyError(f"decision {ELIGIBILITY!r} must give a list of refusals (rule, code, message)")
    return [{"rule": entry.get("rule"), "code": entry.get("code"), "message": entry.get("message")} for entry in value]


def materials(decisions: Mapping, variables: Mapping, now: datetime) -> list[dict]:
    """R4.1: each material once, with the chosen items it serves and the most copies any row asks for."""
    chosen = list(variables["application"]["items"])
    merged: dict[str, dict] = {}
    for row in _decide(decisions, MATERIALS, variables, now).result_list():
        code = row.get("code")
        if not code:
            raise PolicyError(f"decision {MATERIALS!r}: a matching row gives no material code")
        material = merged.setdefault(code, {"code": code, "name": row.get("name") or code, "copies": 0, "items": []})
        material["copies"] = max(material["copies"], row.get("copies") or 0)
        item = row.get("item")
        if item in chosen and item not in material["items"]:
            material["items"].append(item)
    for material in merged.values():
        material["items"].sort(key=chosen.index)
    return list(merged.values())


def time_limits(decisions: Mapping, variables: Mapping, now: datetime) -> dict:
    """R5: the region's working days per step (item codes, ``service_center``, ``feedback``), the promised
    total and the closing time (``"17:00"`` or null)."""
    try:
        limits = _decide(decisions, TIME_LIMITS, variables, now).single_result()
    except DecisionError as err:  # singleResult with two results
        raise PolicyError(f"policy decision failed: {err}") from None
    if not limits:
        raise PolicyError(f"decision {TIME_LIMITS!r} has no row for region {variables.get('region')!r}")
    return limits


def due_by(limits: Mapping, step: str, start: datetime, calendar: WorkdayCalendar) -> datetime | None:
    """When a step that starts at ``start`` is due: ``limits[step]`` working days later, by the closing time
    (None when the table gives the step no limit)."""
    days = limits.get(step)
    if days is None:
        return None
    try:
        return calendar.due_moment(start, int(days), closing_time(limits.get("closing_time")))
    except ExpressionError as err:
        raise PolicyError(f"decision {TIME_LIMITS!r}: {err.message}") from None


def promised_by(limits: Mapping, start: datetime, calendar: WorkdayCalendar) -> datetime | None:
    """When the whole application is promised done: the promised total of working days from ``start``."""
    return due_by(limits, "promised_total", start, calendar)


def check(decisions: Mapping, application: Mapping, now: datetime, calendar: WorkdayCalendar) -> dict:
    """The dry run of the portal (``POST /api/applications/check``): eligibility, materials, time limits."""
    variables = decision_variables(application, now)
    refused = refusals(decisions, variables, now)
    limits = time_limits(decisions, variables, now)
    promised = promised_by(limits, now, calendar)
    return {
        "eligible": not refused,
        "refusals": refused,
        "materials": materials(decisions, variables, now),
        "items": [
            {"code": code, "department": ITEMS_BY_CODE[code].department, "due_working_days": limits.get(code)}
            for code in application["items"]
        ],
        "promised_working_days": limits.get("promised_total"),
        "promised_by": iso(promised),
        "promised_by_provisional": bool(calendar.provisional_years(now, promised)),
    }
