"""The newborn birth "one thing" (新生儿出生“一件事”) as the engine sees it: one :class:`engine.service.Service`
(found through the ``onething.services`` entry point ``newborn``).

It owns the process ``newborn_birth`` (``workflows/newborn``), the seven departments as candidate groups,
the clerks' review forms, the department handlers, the application as its start form, its items and due
dates in the instance summary and views, the applicant's progress texts and the policy's dry run.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

from marshmallow import ValidationError

from engine.errors import InvalidInput
from engine.service import Service, Started
from forms.errors import flatten_errors
from forms.newborn.application import ApplicationSchema, validate_application
from forms.newborn.items import DEPARTMENTS, ITEMS_BY_CODE
from forms.newborn.material_codes import MATERIALS
from forms.newborn.reviews import TASK_FORMS

from . import policy, projection, register, views

PROCESS = "newborn_birth"  # CONTRACT.md: the process key of the newborn service
WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows" / "newborn"


def validated_application(raw, now: datetime, path: str = "application") -> dict:
    """The application normalized by its form, or InvalidInput with field paths (``mother.id_number``)."""
    if not isinstance(raw, dict):
        raise InvalidInput("申请表缺失", {path: ["必填项"]})
    try:
        return validate_application(raw, now=now)
    except ValidationError as err:
        raise InvalidInput("申请表填写有误", flatten_errors(err.messages)) from None


def application_jurisdiction(application: dict) -> str:
    """The division code the application belongs to: the hukou being registered, else the mother's."""
    hukou = application.get("hukou") or {}
    return hukou.get("division_code") or application["mother"]["hukou_division"]


def newborn_key(application: dict) -> str:
    """Identifies the newborn without storing the mother's ID: a hash of her ID and the birth time."""
    mother = application["mother"]
    text = f"{mother['id_type']}:{mother['id_number']}|{application['newborn']['born_at']}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def start(variables, now: datetime) -> Started:
    """The start request: ``{"application": {...}}``, one active application per newborn."""
    raw = variables.get("application") if isinstance(variables, dict) else None
    application = validated_application(raw, now, "variables.application")
    return Started(
        variables=policy.start_variables(application, now),
        jurisdiction=application_jurisdiction(application),
        region=application["region"],
        unique_key=newborn_key(application),
        detail={"items": application["items"], "channel": application["channel"]},
    )


def check(decisions, raw, now: datetime, calendar) -> dict:
    """The portal's dry run and the deployment's samples: eligibility, materials, time limits."""
    return policy.check(decisions, validated_application(raw, now), now, calendar)


NEWBORN = Service(
    name="newborn",
    title="新生儿出生“一件事”",
    process_keys=frozenset({PROCESS}),
    workflows=WORKFLOWS,
    groups=DEPARTMENTS,
    task_forms=TASK_FORMS,
    register_handlers=register,
    start=start,
    business_key_prefix="NB",
    project=projection.project,
    recount=projection.recount_due_dates,
    view=views.view,
    progress=views.progress,
    check=check,
    materials=MATERIALS,
    item_names={code: item.name for code, item in ITEMS_BY_CODE.items()},
    coordinators=frozenset({"service_center"}),
    start_schema=ApplicationSchema,
)
