"""User tasks as Camunda's clients ask for them: a clerk finds exactly the tasks its workplace queue shows
(open tasks of its groups in its jurisdictions), narrowed by Camunda's filters and sorted, paged by the
database; a task's form as typed variables. Claiming, completing and reading a task's data are the
workplace's own use cases (:mod:`engine.usecases.tasks`)."""

from __future__ import annotations

from ..context import EngineContext
from ..persistence.search import Reach, Sorting, TaskCriteria
from ..users import Principal
from .access import check_instance_visible, check_task_workable
from .tasks import task_dict

__all__ = ["Reach", "TaskCriteria", "find_tasks", "form_fields", "get_task", "queue_criteria"]


def queue_criteria(principal: Principal, group: str | None = None, **filters) -> TaskCriteria:
    """The clerk's queue (open tasks of its groups -- of ``group`` only, when one of them -- in its
    jurisdictions), with Camunda's filters."""
    groups = tuple(sorted(principal.groups if group is None else principal.groups & {group}))
    return TaskCriteria(
        reach=Reach(jurisdictions=tuple(principal.jurisdictions)), groups=groups, open_only=True, **filters
    )


def _with_definition(ctx: EngineContext, uow, task, definition_id: int, now) -> dict:
    definition = ctx.definition(uow, definition_id)
    return {
        **task_dict(task, now),
        "definition": {"id": definition.id, "key": definition.key, "version": definition.version},
    }


def find_tasks(
    ctx: EngineContext, criteria: TaskCriteria, sorting: Sorting = (), first: int = 0, limit: int | None = None
) -> tuple[list[dict], int]:
    """One page of the tasks matching (each with its instance's process version), and how many match."""
    now = ctx.clock.now()
    if criteria.groups == () or not criteria.reach.jurisdictions and criteria.reach.starter is None:
        return [], 0
    with ctx.reader() as uow:
        rows, total = uow.search.tasks(criteria, sorting, first, limit)
        return [_with_definition(ctx, uow, task, definition, now) for task, definition in rows], total


def get_task(ctx: EngineContext, principal: Principal, task_id: str) -> dict:
    """A task of the clerk's groups in its jurisdictions (404 / 403 otherwise), without its data."""
    now = ctx.clock.now()
    with ctx.reader() as uow:
        task = check_task_workable(principal, uow.tasks.get(task_id))
        instance = check_instance_visible(principal, uow.instances.get(task.instance_id))
        return _with_definition(ctx, uow, task, instance.definition_id, now)


def form_fields(ctx: EngineContext, principal: Principal, task_id: str) -> list[dict]:
    """The fields of the task's form, as the workplace's form describes them (``id``, ``label``, ``type``,
    ``required``, ``options``, ``constraints``)."""
    with ctx.reader() as uow:
        task = check_task_workable(principal, uow.tasks.get(task_id))
        return ctx.services.task_forms.get(task.form_key or "").describe()["fields"]
