"""How far an application and a queue have come, in a few indexed reads and without loading any workflow: what
a page waiting for a change (:mod:`engine.usecases.watch`) compares with what it saw.

* An application's revision moves with everything its instance view shows: each save of its workflow (the
  instance row's own revision: state, steps, waits, summary), a step of it claimed, given back or given to a
  colleague (who holds its open tasks), an incident of it made or retried.
* A queue's revision moves when a task of its groups in its jurisdictions is created, completed or cancelled,
  claimed or given back, or gets a follow-up date (who holds one instead of another is told by the queue's own
  signal, :func:`engine.notify.tasks_channel`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Iterable

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import Session

from .models import Job, ProcessInstance, UserTask


@dataclass(frozen=True)
class InstanceRevision:
    """An instance's revision (``<row revision>.<digest of who holds its open tasks and its incidents>``)
    and its state."""

    instance_id: str
    business_key: str
    revision: str
    state: str
    started_by: str  # who may see it (:func:`engine.usecases.access.may_see`)
    jurisdiction: str


def _digest(parts: Iterable[object]) -> str:
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:12]


def _of_instance_statement():
    """The instance's row revision, state and who may see it, with who holds its open tasks and which of its
    jobs are incidents (aggregated): built once, run with ``instance_id``."""
    holders = (
        select(func.aggregate_strings(UserTask.id + "=" + func.coalesce(UserTask.assignee, ""), ","))
        .where(UserTask.instance_id == ProcessInstance.id, UserTask.completed_at.is_(None))
        .scalar_subquery()
    )
    incidents = (
        select(func.aggregate_strings(Job.id, ","))
        .where(Job.instance_id == ProcessInstance.id, Job.state == "incident")
        .scalar_subquery()
    )
    return select(
        ProcessInstance.business_key,
        ProcessInstance.revision,
        ProcessInstance.state,
        ProcessInstance.started_by,
        ProcessInstance.jurisdiction,
        holders,
        incidents,
    ).where(ProcessInstance.id == bindparam("instance_id"))


_OF_INSTANCE = _of_instance_statement()


class Revisions:
    def __init__(self, session: Session) -> None:
        self.session = session

    def of_instance(self, instance_id: str) -> InstanceRevision | None:
        """The instance's revision now (None: there is no such instance), in one statement (made once)."""
        row = self.session.connection().execute(_OF_INSTANCE, {"instance_id": instance_id}).first()
        if row is None:
            return None
        key, revision, state, started_by, jurisdiction, held, failed = row
        # sorted here: the database may aggregate in any order
        digest = _digest([state, *sorted((held or "").split(",")), "|", *sorted((failed or "").split(","))])
        return InstanceRevision(instance_id, key, f"{revision}.{digest}", state, started_by, jurisdiction)

    def instance_id_of(self, business_key: str) -> str | None:
        """The id of the instance of ``business_key`` (None: none)."""
        return self.session.scalar(select(ProcessInstance.id).where(ProcessInstance.business_key == business_key))

    def of_queue(self, groups: Iterable[str], jurisdictions: Iterable[str]) -> str:
        """The revision of the open tasks of ``groups`` in ``jurisdictions`` (division-code prefixes)."""
        groups, prefixes = sorted(groups), list(jurisdictions)
        if not groups or not prefixes:
            return "0"
        row = self.session.execute(
            select(
                func.count(),
                func.count(UserTask.assignee),
                func.count(UserTask.follow_up_on),
                func.max(UserTask.created_at),
            ).where(
                UserTask.completed_at.is_(None),
                UserTask.candidate_group.in_(groups),
                or_(*[UserTask.jurisdiction.startswith(prefix) for prefix in prefixes]),
            )
        ).one()
        return _digest(row)
