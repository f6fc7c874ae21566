"""What happened, as Camunda's history API answers it: instances of every state with how they ended (completed;
returned, refused or cancelled with the reason), activity instances (user tasks from their rows, the other
activities the history recorded), user tasks open and done (with their outcome), and an instance's variables.

Reach as the ``/api``'s: the portal its own applications; staff theirs by jurisdiction; activities and tasks
are supervisors' and admins' (the ``/api`` history is theirs) -- and a clerk's own groups' tasks. Variables
are read as :func:`engine.usecases.instance_search.read_variables` reads them (recorded, masked for the portal).
"""

from __future__ import annotations

from datetime import datetime

from ..context import EngineContext
from ..errors import Forbidden, NotFound
from ..persistence.search import InstanceCriteria, Reach, Sorting, TaskCriteria
from ..users import Principal
from .access import check_instance_visible, reach_of
from .instance_search import instance_dict, read_variables
from .tasks import task_dict

__all__ = [
    "STATES",
    "InstanceCriteria",
    "Reach",
    "TaskCriteria",
    "activity_reach",
    "find_activities",
    "find_instances",
    "find_tasks",
    "instance_variables",
    "task_reach",
]

# our states → Camunda's historic process instance states
STATES = {
    "active": "ACTIVE",
    "completed": "COMPLETED",
    "cancelled": "EXTERNALLY_TERMINATED",
    "returned": "INTERNALLY_TERMINATED",
    "refused": "INTERNALLY_TERMINATED",
}


def find_instances(
    ctx: EngineContext, criteria: InstanceCriteria, sorting: Sorting = (), first: int = 0, limit: int | None = None
) -> tuple[list[dict], int]:
    """Instances of any state matching (reach included), one page, and how many match."""
    with ctx.reader() as uow:
        rows, total = uow.search.instances(criteria, sorting, first, limit)
        return [instance_dict(row, ctx.definition(uow, row.definition_id)) for row in rows], total


def activity_reach(principal: Principal) -> Reach:
    """Supervisors and admins read activities in their jurisdictions (others: Forbidden)."""
    if not principal.has_role("supervisor", "admin"):
        raise Forbidden("the history of activities is read by supervisors and admins")
    return Reach(jurisdictions=tuple(principal.jurisdictions))


def find_activities(
    ctx: EngineContext,
    reach: Reach,
    instance_id: str | None = None,
    activity_id: str | None = None,
    activity_type: str | None = None,
    finished: bool | None = None,
    sorting: Sorting = (),
    first: int = 0,
    limit: int | None = None,
) -> tuple[list[dict], int]:
    """Activity instances in reach: user tasks and the activities the history recorded, one page."""
    with ctx.reader() as uow:
        rows, total = uow.search.activities(
            reach, instance_id, activity_id, activity_type, finished, sorting, first, limit
        )
        found = []
        for row in rows:
            definition = ctx.definition(uow, row.definition_id)
            found.append(
                {
                    "id": row.id,
                    "instance_id": row.instance_id,
                    "activity_id": row.activity_id,
                    "activity_name": row.activity_name,
                    "activity_type": row.activity_type,
                    "started_at": row.started,
                    "ended_at": row.ended,
                    "assignee": row.assignee,
                    "task_id": row.task_id,
                    "canceled": bool(row.canceled),
                    "definition": {"id": definition.id, "key": definition.key, "version": definition.version},
                }
            )
        return found, total


def task_reach(principal: Principal) -> tuple[Reach, tuple[str, ...] | None]:
    """Supervisors and admins: every task in their jurisdictions; a clerk: its groups' there."""
    reach = Reach(jurisdictions=tuple(principal.jurisdictions))
    if principal.has_role("supervisor", "admin"):
        return reach, None
    if principal.has_role("clerk"):
        return reach, tuple(sorted(principal.groups))
    raise Forbidden("the history of tasks is read by clerks, supervisors and admins")


def find_tasks(
    ctx: EngineContext, criteria: TaskCriteria, sorting: Sorting = (), first: int = 0, limit: int | None = None
) -> tuple[list[dict], int]:
    """User tasks open and done (``outcome``: approve, return, cancelled), one page."""
    now = ctx.clock.now()
    if criteria.groups == () or not criteria.reach.jurisdictions:
        return [], 0
    with ctx.reader() as uow:
        rows, total = uow.search.tasks(criteria, sorting, first, limit)
        found = []
        for task, definition_id in rows:
            definition = ctx.definition(uow, definition_id)
            found.append(
                {
                    **task_dict(task, now),
                    "outcome": task.outcome,
                    "completed_by": task.completed_by,
                    "definition": {"id": definition.id, "key": definition.key, "version": definition.version},
                }
            )
        return found, total


def instance_variables(
    ctx: EngineContext, principal: Principal, instance_ids: tuple[str, ...], names: tuple[str, ...] | None = None
) -> list[dict]:
    """The variables of each instance (in reach; those out of reach are left out), as read now: one entry per
    (instance, name) with the instance's process version and start."""
    found = []
    for instance_id in instance_ids:
        try:
            values = read_variables(ctx, principal, instance_id, names)
        except (NotFound, Forbidden):
            continue
        with ctx.reader() as uow:
            instance = check_instance_visible(principal, uow.instances.get(instance_id))
            definition = ctx.definition(uow, instance.definition_id)
            created: datetime = instance.created_at
        for name, value in sorted(values.items()):
            found.append(
                {
                    "instance_id": instance_id,
                    "name": name,
                    "value": value,
                    "created_at": created,
                    "definition": {"id": definition.id, "key": definition.key, "version": definition.version},
                }
            )
    return found


def instance_reach(principal: Principal) -> Reach:
    return reach_of(principal)
