"""The newborn birth "one thing" (新生儿出生“一件事”) as the engine sees it: one :class:`engine.service.Service`
(found through the ``onething.services`` entry point ``newborn``).

It owns the process ``newborn_birth`` (``workflows/newborn``), the seven departments as candidate groups,
the clerks' review forms, the department handlers, the application as its start form, its items and due
dates in the instance summary and views, the applicant's progress texts and the policy's dry run.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from pathlib import Path

from marshmallow import ValidationError

from engine.errors import InvalidInput
from engine.service import Demo, Departments, Retention, SampleRequest, Service, Started
from forms.errors import flatten_errors
from forms.layout import option_labels
from forms.newborn.application import ApplicationSchema, validate_application
from forms.newborn.items import DEPARTMENTS, ITEMS, ITEMS_BY_CODE
from forms.newborn.material_codes import MATERIALS
from forms.newborn.reviews import TASK_FORMS

from . import policy, projection, register
from .samples import approval_for, sample_application
from .search import NewbornSearch, start_keys
from .views import STATUS_TEXT, NewbornViews

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


def subject_key(application: dict) -> str:
    """Identifies the newborn without storing the mother's ID: a hash of her ID and the birth time."""
    mother = application["mother"]
    text = f"{mother['id_type']}:{mother['id_number']}|{application['newborn']['born_at']}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def newborn_name(application: dict) -> str:
    """The newborn's name as lists show it (the surname alone while no given name is chosen)."""
    newborn = application["newborn"]
    return f"{newborn['surname']}{newborn.get('given_name') or ''}"


class ApplicationForm:
    """The start form: ``{"application": {...}}``, one active application per newborn."""

    schema = ApplicationSchema
    subject = "the same newborn: the mother's ID and the birth time"
    objects = frozenset({"application"})

    def read(self, variables, now: datetime) -> Started:
        raw = variables.get("application") if isinstance(variables, dict) else None
        application = validated_application(raw, now, "variables.application")
        return Started(
            variables=policy.start_variables(application, now),
            jurisdiction=application_jurisdiction(application),
            region=application["region"],
            subject_key=subject_key(application),
            detail={"items": application["items"], "channel": application["channel"]},
            search_keys=start_keys(application),
            applicant_name=application["applicant"]["name"],
            subject_name=newborn_name(application),
        )


class Projection:
    """Items, limits and due dates in the summary; counted again when a holiday notice is loaded."""

    project = staticmethod(projection.project)
    recount = staticmethod(projection.recount_due_dates)
    counted_spans = staticmethod(projection.counted_spans)


class PolicyDryRun:
    """The portal's dry run and the deployment's samples: eligibility, materials, time limits."""

    def check(self, decisions, request, now: datetime, calendar) -> dict:
        return policy.check(decisions, validated_application(request, now), now, calendar)

    def sample(self, document) -> SampleRequest:
        """An application, or ``{"as_of": "<ISO time>", "application": {...}}``, checked as at ``as_of``
        (default: two days after the birth), so that a sample stays a newborn's forever."""
        raw = document.get("application", document) if isinstance(document, dict) else None
        if not isinstance(raw, dict):
            raise ValueError("not an application (a JSON object)")
        if document.get("as_of"):
            as_of = datetime.fromisoformat(document["as_of"])
        else:
            as_of = datetime.fromisoformat(raw["newborn"]["born_at"]) + timedelta(days=2)
        if as_of.tzinfo is None:
            raise ValueError("as_of needs its offset (2026-11-25T10:00:00+08:00)")
        validated_application(raw, as_of)
        return SampleRequest(request=raw, as_of=as_of)


# What is kept of a finished application, and for how long (README "Retention"; PIPL Art. 19, GB/T 35273 §6.1)
RETENTION = Retention(
    archive_after_days=30,
    erase_after_days=180,
    kept_data=frozenset({"chosen", "limits", "refusals", "reviews", "results", "station_rule", "steps"}),
    personal_fields=frozenset(
        {
            "application.mother.name",
            "application.father.name",
            "application.applicant.name",
            "application.newborn.surname",
            "application.newborn.given_name",
            "application.newborn.born_at",
            "application.hukou.householder_name",
            "application.delivery.recipient_name",
            "application.maternity_reimbursement.account_holder",
            "application.marriage.certificate_number",
        }
    ),
    reasoning=(
        "The purpose -- the seven items delivered -- is achieved when the application ends; the "
        "departments keep their certificates and registrations in their own systems. The workflow state "
        "goes after 30 days (a month for the applicant's questions and a returned application filed "
        "again); personal values after 180 days, the six months within which a decision can be "
        "challenged in court (行政诉讼法 Art. 46), which also covers reconsideration (60 days)."
    ),
)


def labels() -> dict[str, str]:
    """Every code a person may meet in the newborn service's data, in Chinese: the application's options, the
    review forms' options (decisions), the items' statuses."""
    table = option_labels(ApplicationSchema())
    for key in TASK_FORMS.keys():
        for field in TASK_FORMS.get(key).describe()["fields"]:
            for option in field.get("options") or ():
                table.setdefault(option["id"], option["name"])
    for code, text in STATUS_TEXT.items():
        table.setdefault(code, text)
    return table


NEWBORN = Service(
    name="newborn",
    title="新生儿出生“一件事”",
    process_keys=frozenset({PROCESS}),
    workflows=WORKFLOWS,
    departments=Departments(
        groups=DEPARTMENTS,
        coordinators=frozenset({"service_center"}),
        materials=MATERIALS,
        items={code: item.name for code, item in ITEMS_BY_CODE.items()},
        item_groups={item.code: item.department for item in ITEMS},
    ),
    task_forms=TASK_FORMS,
    register_handlers=register,
    start_form=ApplicationForm(),
    views=NewbornViews(),
    projection=Projection(),
    dry_run=PolicyDryRun(),
    demo=Demo(
        process_key=PROCESS,
        jurisdiction="62",
        request=lambda now: {"application": sample_application(now, channel="window")},
        approval=approval_for,
        messages={
            "premium_paid": ("缴纳医保费", {"channel": "微信", "amount": 400}),
            "hukou_page_printed": ("到派出所打印户口页", {"police_station": "兰州市公安局城关分局庆阳路派出所"}),
        },
    ),
    business_key_prefix="NB",
    retention=RETENTION,
    search=NewbornSearch(),
    labels=labels(),
    subject_title="新生儿",
)
