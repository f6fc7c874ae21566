"""How an instance is shown: the engine's part of the instance view (state, open steps, return, refusals,
notices) with the service's part (:meth:`engine.service.Views.instance`: e.g. a service's items and
promised date), and the applicant's progress view, which is the service's own."""

from __future__ import annotations

from datetime import datetime

from ..clock import iso
from ..context import DefinitionRef
from ..overdue import is_overdue
from ..persistence.models import ProcessInstance, UserTask
from ..service import Service
from ..states import state_text


def instance_view(
    instance: ProcessInstance,
    definition: DefinitionRef,
    service: Service,
    tasks: list[UserTask],
    now: datetime,
    mask: bool,
) -> dict:
    summary = instance.summary or {}
    open_steps = [
        {
            "task_id": t.id,
            "activity_id": t.activity_id,
            "name": t.name,
            "group": t.candidate_group,
            "assignee": t.assignee,
            "created_at": iso(t.created_at),
            "due_at": iso(t.due_at),
            "provisional": bool(t.due_provisional),
            "overdue": is_overdue(t.due_at, now, t.completed_at),
        }
        for t in tasks
        if t.completed_at is None
    ]
    return {
        "id": instance.id,
        "business_key": instance.business_key,
        "definition": {"key": definition.key, "version": definition.version},
        "state": instance.state,
        "region": instance.region,
        "created_at": iso(instance.created_at),
        "ended_at": iso(instance.ended_at),
        "items": [],
        "promised_by": None,
        "promised_by_provisional": False,
        **service.views.instance(summary, tasks, now, mask),
        "open_steps": open_steps,
        "returned": summary.get("returned"),
        "refusals": summary.get("refusals"),
        # the applicant's side sees the notices meant for the applicant; staff see every notice
        "notices": [n for n in summary.get("notices", []) if not mask or n.get("audience") == "applicant"],
    }


def progress_view(instance: ProcessInstance, service: Service, tasks: list[UserTask], now: datetime) -> dict:
    """The applicant's view: the service's, or the state and what waits when it has none."""
    own = service.views.progress(instance, tasks, now)
    if own is not None:
        return own
    summary = instance.summary or {}
    return {
        "business_key": instance.business_key,
        "state": instance.state,
        "state_text": state_text(instance.state),
        "message": f"{service.title}：{state_text(instance.state)}",
        "submitted_at": iso(instance.created_at),
        "completed_at": iso(instance.ended_at),
        "return_reason": (summary.get("returned") or {}).get("reason"),
        "refusals": summary.get("refusals"),
        "promised_by": None,
        "promised_by_provisional": False,
        "items": [],
        "next_steps": [n for n in summary.get("notices", []) if n.get("audience") == "applicant"],
    }
