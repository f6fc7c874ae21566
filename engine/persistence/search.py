"""Filtered, sorted and paged searches of instances, user tasks and what happened on them (Camunda's queries),
each one statement for the page and one for the count, with the caller's reach (who filed it, which
jurisdictions, which groups) part of the ``WHERE``: nothing out of reach is ever read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    String,
    case,
    cast,
    false,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import Session

from .models import (
    HistoryEvent,
    Job,
    MessageSubscription,
    ProcessDefinition,
    ProcessInstance,
    UserTask,
)

Sorting = tuple[tuple[str, bool], ...]  # (column name, ascending), first first


@dataclass(frozen=True)
class Reach:
    """Whose instances a caller may read: those it filed (``starter``) and those in its ``jurisdictions``
    (division-code prefixes); neither: none."""

    starter: str | None = None
    jurisdictions: tuple[str, ...] = ()

    def where(self, instances=ProcessInstance):
        found = []
        if self.starter is not None:
            found.append(instances.started_by == self.starter)
        found += [instances.jurisdiction.startswith(prefix) for prefix in self.jurisdictions]
        return or_(*found) if found else false()


@dataclass(frozen=True)
class InstanceCriteria:
    reach: Reach
    ids: tuple[str, ...] | None = None
    business_key: str | None = None
    business_key_like: str | None = None
    definition_keys: tuple[str, ...] | None = None
    definition_id: int | None = None
    deployment_id: int | None = None
    states: tuple[str, ...] | None = None
    started_after: datetime | None = None
    started_before: datetime | None = None
    finished_after: datetime | None = None
    finished_before: datetime | None = None


INSTANCE_SORTS: dict[str, Any] = {
    "instanceId": ProcessInstance.id,
    "definitionKey": ProcessDefinition.key,
    "definitionId": ProcessInstance.definition_id,
    "businessKey": ProcessInstance.business_key,
    "startTime": ProcessInstance.created_at,
    "endTime": ProcessInstance.ended_at,
    "definitionVersion": ProcessDefinition.version,
}


@dataclass(frozen=True)
class TaskCriteria:
    reach: Reach
    groups: tuple[str, ...] | None = None  # None: any group
    open_only: bool = True
    ids: tuple[str, ...] | None = None
    instance_id: str | None = None
    business_key: str | None = None
    business_key_like: str | None = None
    definition_key: str | None = None
    definition_id: int | None = None
    activity_id: str | None = None
    assignee: str | None = None
    unassigned: bool = False
    assigned: bool = False
    due_before: datetime | None = None
    due_after: datetime | None = None
    created_before: datetime | None = None
    created_after: datetime | None = None
    finished_before: datetime | None = None
    finished_after: datetime | None = None
    finished: bool | None = None


TASK_SORTS: dict[str, Any] = {
    "id": UserTask.id,
    "name": UserTask.name,
    "assignee": UserTask.assignee,
    "created": UserTask.created_at,
    "dueDate": UserTask.due_at,
    "instanceId": UserTask.instance_id,
    "processInstanceId": UserTask.instance_id,
    "taskDefinitionKey": UserTask.activity_id,
    "startTime": UserTask.created_at,
    "endTime": UserTask.completed_at,
    "taskId": UserTask.id,
    "taskName": UserTask.name,
    "duration": UserTask.completed_at,
}

# what the history records of activities other than user tasks, as Camunda's activity types
ACTIVITY_KINDS = {
    "service_task_completed": "serviceTask",
    "business_error": "serviceTask",
    "timer_fired": "intermediateTimer",
    "message_received": "intermediateMessageCatch",
}


def _page(session: Session, query, sorting, sorts: dict, default, offset: int, limit: int | None):
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    order = [sorts[name].asc() if ascending else sorts[name].desc() for name, ascending in sorting] or list(default)
    page = query.order_by(*order, *default).offset(offset)
    return page.limit(limit) if limit is not None else page, total


class Search:
    def __init__(self, session: Session) -> None:
        self.session = session

    # -- instances -------------------------------------------------------------------------------------

    def _instances(self, c: InstanceCriteria):
        query = (
            select(ProcessInstance)
            .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
            .where(c.reach.where())
        )
        for column, value in (
            (ProcessInstance.business_key, c.business_key),
            (ProcessInstance.definition_id, c.definition_id),
            (ProcessInstance.deployment_id, c.deployment_id),
        ):
            if value is not None:
                query = query.where(column == value)
        for column, values in (
            (ProcessInstance.id, c.ids),
            (ProcessDefinition.key, c.definition_keys),
            (ProcessInstance.state, c.states),
        ):
            if values is not None:
                query = query.where(column.in_(values))
        if c.business_key_like is not None:
            query = query.where(ProcessInstance.business_key.like(c.business_key_like))
        for moment, after, before in (
            (ProcessInstance.created_at, c.started_after, c.started_before),
            (ProcessInstance.ended_at, c.finished_after, c.finished_before),
        ):
            if after is not None:
                query = query.where(moment >= after)
            if before is not None:
                query = query.where(moment <= before)
        return query

    def instances(
        self, criteria: InstanceCriteria, sorting: Sorting, offset: int, limit: int | None
    ) -> tuple[list[ProcessInstance], int]:
        query, total = _page(
            self.session,
            self._instances(criteria),
            sorting,
            INSTANCE_SORTS,
            (ProcessInstance.created_at, ProcessInstance.id),
            offset,
            limit,
        )
        return list(self.session.scalars(query)), total

    def instance_ids(self, criteria: InstanceCriteria, sorting: Sorting, limit: int) -> list[str]:
        """Ids of the first ``limit`` instances matching, in order (for filters read off each instance)."""
        query, _ = _page(
            self.session,
            self._instances(criteria),
            sorting,
            INSTANCE_SORTS,
            (ProcessInstance.created_at, ProcessInstance.id),
            0,
            limit,
        )
        return list(self.session.scalars(query.with_only_columns(ProcessInstance.id)))

    # -- user tasks ------------------------------------------------------------------------------------

    def _tasks(self, c: TaskCriteria):
        query = (
            select(UserTask)
            .join(ProcessInstance, ProcessInstance.id == UserTask.instance_id)
            .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
            .where(c.reach.where())
        )
        if c.groups is not None:
            query = query.where(UserTask.candidate_group.in_(c.groups))
        if c.open_only or c.finished is False:
            query = query.where(UserTask.completed_at.is_(None))
        if c.finished:
            query = query.where(UserTask.completed_at.is_not(None))
        for column, value in (
            (UserTask.instance_id, c.instance_id),
            (UserTask.business_key, c.business_key),
            (ProcessDefinition.key, c.definition_key),
            (ProcessDefinition.id, c.definition_id),
            (UserTask.activity_id, c.activity_id),
            (UserTask.assignee, c.assignee),
        ):
            if value is not None:
                query = query.where(column == value)
        if c.ids is not None:
            query = query.where(UserTask.id.in_(c.ids))
        if c.business_key_like is not None:
            query = query.where(UserTask.business_key.like(c.business_key_like))
        if c.unassigned:
            query = query.where(UserTask.assignee.is_(None))
        if c.assigned:
            query = query.where(UserTask.assignee.is_not(None))
        for moment, after, before in (
            (UserTask.due_at, c.due_after, c.due_before),
            (UserTask.created_at, c.created_after, c.created_before),
            (UserTask.completed_at, c.finished_after, c.finished_before),
        ):
            if after is not None:
                query = query.where(moment > after)
            if before is not None:
                query = query.where(moment < before)
        return query

    def tasks(
        self, criteria: TaskCriteria, sorting: Sorting, offset: int, limit: int | None
    ) -> tuple[list[tuple[UserTask, int]], int]:
        """One page of (task, the version its instance runs), and how many match."""
        query, total = _page(
            self.session, self._tasks(criteria), sorting, TASK_SORTS, (UserTask.created_at, UserTask.id), offset, limit
        )
        rows = self.session.execute(query.add_columns(ProcessInstance.definition_id))
        return [(task, definition) for task, definition in rows], total

    # -- what happened ---------------------------------------------------------------------------------

    def activities(
        self,
        reach: Reach,
        instance_id: str | None,
        activity_id: str | None,
        activity_type: str | None,
        finished: bool | None,
        sorting: Sorting,
        offset: int,
        limit: int | None,
    ) -> tuple[list, int]:
        """Activity instances: every user task (from its row: created, completed, by whom) and every other
        activity the history recorded (a service task done or refused, a timer fired, a message received:
        at that moment), of instances in reach."""
        in_reach = select(ProcessInstance.id).where(reach.where())
        tasks = select(
            UserTask.id.label("id"),
            UserTask.instance_id.label("instance_id"),
            UserTask.activity_id.label("activity_id"),
            UserTask.name.label("activity_name"),
            literal("userTask", String).label("activity_type"),
            UserTask.created_at.label("started"),
            UserTask.completed_at.label("ended"),
            UserTask.assignee.label("assignee"),
            UserTask.id.label("task_id"),
            (UserTask.outcome == "cancelled").label("canceled"),
        ).where(UserTask.instance_id.in_(in_reach))
        kinds = case(*((HistoryEvent.kind == kind, literal(name, String)) for kind, name in ACTIVITY_KINDS.items()))
        events = select(
            (literal("h") + cast(HistoryEvent.id, String)).label("id"),
            HistoryEvent.instance_id.label("instance_id"),
            HistoryEvent.activity_id.label("activity_id"),
            HistoryEvent.activity_name.label("activity_name"),
            kinds.label("activity_type"),
            HistoryEvent.at.label("started"),
            HistoryEvent.at.label("ended"),
            cast(literal(None), String).label("assignee"),
            cast(literal(None), String).label("task_id"),
            (HistoryEvent.kind == "business_error").label("canceled"),
        ).where(HistoryEvent.kind.in_(tuple(ACTIVITY_KINDS)), HistoryEvent.instance_id.in_(in_reach))
        both = union_all(tasks, events).subquery()
        query = select(both, ProcessInstance.definition_id).join(
            ProcessInstance, ProcessInstance.id == both.c.instance_id
        )
        for column, value in (
            (both.c.instance_id, instance_id),
            (both.c.activity_id, activity_id),
            (both.c.activity_type, activity_type),
        ):
            if value is not None:
                query = query.where(column == value)
        if finished is not None:
            query = query.where(both.c.ended.is_not(None) if finished else both.c.ended.is_(None))
        sorts = {
            "activityInstanceId": both.c.id,
            "instanceId": both.c.instance_id,
            "activityId": both.c.activity_id,
            "activityName": both.c.activity_name,
            "activityType": both.c.activity_type,
            "startTime": both.c.started,
            "endTime": both.c.ended,
        }
        page, total = _page(self.session, query, sorting, sorts, (both.c.started, both.c.id), offset, limit)
        return list(self.session.execute(page)), total

    # -- where instances are now ------------------------------------------------------------------------

    def waiting_at(self, definition_ids: list[int]) -> list[tuple[str, str, int]]:
        """(activity id, what waits there, how many) for the active instances of these versions: open user
        tasks (``task``), service tasks and timers (``job``), message waits (``message``), incidents
        (``incident``)."""
        active = select(ProcessInstance.id).where(
            ProcessInstance.definition_id.in_(definition_ids), ProcessInstance.state == "active"
        )
        found: list[tuple[str, str, int]] = []
        for column, table, what, extra in (
            (UserTask.activity_id, UserTask, "task", UserTask.completed_at.is_(None)),
            (Job.activity_id, Job, "job", Job.state != "incident"),
            (Job.activity_id, Job, "incident", Job.state == "incident"),
            (MessageSubscription.activity_id, MessageSubscription, "message", true()),
        ):
            rows = self.session.execute(
                select(column, func.count()).where(table.instance_id.in_(active), extra).group_by(column)
            )
            found += [(activity, what, count) for activity, count in rows]
        return found

    def instance_counts(self, definition_ids: list[int]) -> dict[int, tuple[int, int]]:
        """Per version: (active instances, active instances with an incident)."""
        with_incident = select(Job.instance_id).where(Job.state == "incident")
        rows = self.session.execute(
            select(
                ProcessInstance.definition_id, func.count(), func.count().filter(ProcessInstance.id.in_(with_incident))
            )
            .where(ProcessInstance.definition_id.in_(definition_ids), ProcessInstance.state == "active")
            .group_by(ProcessInstance.definition_id)
        )
        return {definition: (count, incidents) for definition, count, incidents in rows}

    def incident_counts(self, definition_ids: list[int]) -> dict[int, int]:
        """Per version: how many incidents its active instances have."""
        rows = self.session.execute(
            select(ProcessInstance.definition_id, func.count())
            .join(Job, Job.instance_id == ProcessInstance.id)
            .where(
                ProcessInstance.definition_id.in_(definition_ids),
                ProcessInstance.state == "active",
                Job.state == "incident",
            )
            .group_by(ProcessInstance.definition_id)
        )
        return dict(rows.all())
