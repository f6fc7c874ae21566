"""The neutral facts the policy tables read, derived from a validated application and "now".

The decision tables in ``workflows/*.dmn`` (eligibility, materials, the police station) read ``facts`` next to
``application``: dates and ages computed once, codes cut out of division numbers, comparisons between fields.
No policy is decided here -- whether province ``62`` is Gansu, whether one month after birth is too late or
whether different ethnicities need a letter is a row in a table, never a line in this module.

Every value is JSON (dates as ``YYYY-MM-DD``) so the facts can live in the process variables. A parent who is
not on the form (``father`` left out) has every fact ``null`` and ``given`` false. The sections of items the
applicant did not choose are ignored: ``insurance_year`` and ``settled_at_discharge`` are null unless
``medical_insurance`` / ``maternity_reimbursement`` is chosen.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone
from typing import Any

from forms.fields import OTHER_ID_RE, resident_id_problem

# China has kept UTC+8 without daylight saving since 1991; a fixed offset needs no tz database.
CHINA_OFFSET = timezone(timedelta(hours=8), "Asia/Shanghai")
PARENTS = ("mother", "father")


def local_day(moment: datetime) -> date:
    """The calendar day in China of an aware moment (a naive one is taken as China time)."""
    return moment.date() if moment.tzinfo is None else moment.astimezone(CHINA_OFFSET).date()


def _section(application: Mapping, key: str) -> Mapping:
    value = application.get(key)
    return value if isinstance(value, Mapping) else {}


def id_valid(id_type: str | None, number: str | None) -> bool | None:
    """Whether an ID number is well formed for its type (GB 11643 for a resident ID); null without an ID."""
    if not id_type or not number:
        return None
    if id_type == "resident_id":
        return resident_id_problem(number) is None
    return OTHER_ID_RE.fullmatch(number) is not None


def parent_facts(parent: Mapping | None) -> dict[str, Any]:
    """One parent's facts; every value null (and ``given`` false) when the parent is not on the form."""
    parent = parent if isinstance(parent, Mapping) else {}
    division = parent.get("hukou_division") or None
    return {
        "given": bool(parent),
        "id_type": parent.get("id_type"),
        "id_valid": id_valid(parent.get("id_type"), parent.get("id_number")),
        "nationality": parent.get("nationality"),
        "ethnicity": parent.get("ethnicity"),
        "hukou_division": division,
        "hukou_province": division[:2] if division else None,
        "hukou_kind": parent.get("hukou_kind"),
        "active_military": parent.get("active_military") if parent else None,
    }


def same(a: Any, b: Any) -> bool | None:
    """Whether two known values are equal; null when either is unknown."""
    return None if a is None or b is None else a == b


def derive_facts(application: Mapping, now: datetime) -> dict[str, Any]:
    """The facts of a validated application (``forms.application.validate_application``) at ``now``."""
    newborn = _section(application, "newborn")
    mother = parent_facts(application.get("mother"))
    father = parent_facts(application.get("father"))
    items = list(application.get("items") or ())
    today = local_day(now)
    born = local_day(datetime.fromisoformat(newborn["born_at"]))
    hukou = _section(application, "hukou")
    insurance = _section(application, "medical_insurance")
    maternity = _section(application, "maternity_reimbursement")
    mother_id = _section(application, "mother").get("id_number")
    return {
        "region": application.get("region"),
        "channel": application.get("channel"),
        "items": items,
        "application_date": today.isoformat(),
        "birth_date": born.isoformat(),
        "birth_year": born.year,
        "birth_month": born.month,
        "age_days": (today - born).days,
        "birth_province": (_section(newborn, "birth_place").get("province") or "").strip() or None,
        "name_given": bool((newborn.get("given_name") or "").strip()),
        "delivery_record_matches_mother": same(newborn.get("delivery_record_mother_id"), mother_id),
        "marriage_status": _section(application, "marriage").get("status"),
        "mother": mother,
        "father": father,
        "parents_same_ethnicity": same(mother["ethnicity"], father["ethnicity"]),
        "hukou_follows": hukou.get("follows"),
        "hukou_division": hukou.get("division_code"),
        "insurance_year": insurance.get("year") if "medical_insurance" in items else None,
        "settled_at_discharge": maternity.get("settled_at_discharge") if "maternity_reimbursement" in items else None,
    }
