"""The newborn service's decision tables, parsed once, and what the process would pass a handler from them."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path

from engine.dmn import DecisionSet, evaluate_decision, parse_dmn
from forms.newborn.facts import derive_facts

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows" / "newborn"


@lru_cache(maxsize=1)
def newborn_decisions() -> DecisionSet:
    decisions = DecisionSet()
    for path in sorted(WORKFLOWS.glob("*.dmn")):
        parse_dmn(path.read_bytes(), path.name, into=decisions)
    return decisions


def station_rule_of(application: dict, now: datetime) -> dict:
    """``police_station_rule`` over the application's facts, as the process's business rule task gives it."""
    facts = derive_facts(application, now)
    return evaluate_decision(newborn_decisions(), "police_station_rule", {"facts": facts}, now=now).single_result()
