"""Instances as Camunda's clients ask for them: found by their filters (the database chooses and pages, within
the caller's reach), one instance, its variables and where it is now (its activity instances).

Variables are the workflow's data (:func:`engine.projection.process_variables`). Who reads them: the applicant's
portal its own applications' (personal data masked, as in its views), a department that handles the
application (a task of one of its groups, or a coordinator), supervisors and admins in their jurisdictions;
every read by staff is recorded in the history (``personal_data_read``), as a task's data is. A filter on
variables (Camunda's ``name_op_value``) is read off each candidate's variables, so it reads at most
:data:`MAX_SCANNED` candidates; never on a variable holding personal data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.task import TaskState

from ..context import EngineContext
from ..errors import Forbidden, InvalidInput
from ..persistence.models import ProcessInstance
from ..persistence.search import InstanceCriteria, Reach, Sorting
from ..privacy import mask_personal
from ..projection import process_variables
from ..runtime import tasks_in
from ..users import Principal
from .access import check_instance_visible, reach_of

MAX_SCANNED = 1000
OPERATORS = ("eq", "neq", "gt", "gteq", "lt", "lteq", "like")

__all__ = [
    "InstanceCriteria",
    "Reach",
    "VariableTest",
    "activity_tree",
    "find_instances",
    "get_instance",
    "reach_of",
    "read_variables",
]


@dataclass(frozen=True)
class VariableTest:
    """Camunda's ``name_operator_value``: ``eq``, ``neq``, ``gt``, ``gteq``, ``lt``, ``lteq``, ``like`` (``%``
    any text, ``_`` one character). A number, ``true``/``false`` is compared as one with a variable that is
    one; otherwise as text."""

    name: str
    operator: str
    value: str

    def matches(self, variables: dict) -> bool:
        if self.name not in variables or isinstance(variables[self.name], (dict, list)):
            return False
        actual = variables[self.name]
        if self.operator == "like":
            return isinstance(actual, str) and _like(self.value).fullmatch(actual) is not None
        expected = _like_typed(actual, self.value)
        if expected is _INCOMPARABLE:
            return self.operator == "neq"
        if self.operator in ("eq", "neq"):
            return (actual == expected) == (self.operator == "eq")
        if actual is None or isinstance(actual, bool):
            return False
        return {
            "gt": actual > expected,
            "gteq": actual >= expected,
            "lt": actual < expected,
            "lteq": actual <= expected,
        }[self.operator]


_INCOMPARABLE = object()


def _like_typed(actual: Any, text: str) -> Any:
    """``text`` as a value of ``actual``'s kind, or _INCOMPARABLE."""
    if isinstance(actual, bool):
        return text == "true" if text in ("true", "false") else _INCOMPARABLE
    if isinstance(actual, (int, float)):
        try:
            return float(text)
        except ValueError:
            return _INCOMPARABLE
    if actual is None:
        return None if text == "null" else _INCOMPARABLE
    return text


def _like(pattern: str) -> re.Pattern:
    return re.compile("".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern), re.DOTALL)


def instance_dict(instance: ProcessInstance, definition) -> dict:
    return {
        "id": instance.id,
        "business_key": instance.business_key,
        "state": instance.state,
        "definition": {
            "id": definition.id,
            "key": definition.key,
            "version": definition.version,
            "name": definition.name,
        },
        "deployment_id": instance.deployment_id,
        "started_by": instance.started_by,
        "created_at": instance.created_at,
        "ended_at": instance.ended_at,
        "end_reason": instance.end_reason,
    }


def find_instances(
    ctx: EngineContext,
    principal: Principal,
    criteria: InstanceCriteria,
    variables: tuple[VariableTest, ...] = (),
    sorting: Sorting = (),
    first: int = 0,
    limit: int | None = None,
) -> tuple[list[dict], int]:
    """One page of the instances in the caller's reach matching ``criteria`` and ``variables``, and how many
    match."""
    with ctx.reader() as uow:
        if not variables:
            rows, total = uow.search.instances(criteria, sorting, first, limit)
            return [instance_dict(row, ctx.definition(uow, row.definition_id)) for row in rows], total
        personal = ctx.services.personal_keys()
        for test in variables:
            if any(key in test.name for key in personal):
                why = f"variable {test.name!r} holds personal data: find the application by its business key"
                raise InvalidInput("a filter on personal data is not allowed", {"variables": [why]})
        candidates = uow.search.instance_ids(criteria, sorting, MAX_SCANNED + 1)
        if len(candidates) > MAX_SCANNED:
            why = (
                f"a filter on variables reads each instance: narrow the query to at most {MAX_SCANNED} "
                f"instances (processDefinitionKey, businessKeyLike…)"
            )
            raise InvalidInput("too many instances to filter by variables", {"variables": [why]})
        matching = []
        for instance_id in candidates:
            instance = uow.instances.get(instance_id)
            if instance is None:
                continue
            found = process_variables(ctx.workflows.load(uow, instance))
            if all(test.matches(found) for test in variables):
                matching.append(instance)
        page = matching[first : None if limit is None else first + limit]
        return [instance_dict(row, ctx.definition(uow, row.definition_id)) for row in page], len(matching)


def get_instance(ctx: EngineContext, principal: Principal, instance_id: str) -> dict:
    """One instance in the caller's reach (404 otherwise)."""
    with ctx.reader() as uow:
        instance = check_instance_visible(principal, uow.instances.get(instance_id))
        return instance_dict(instance, ctx.definition(uow, instance.definition_id))


def _check_reader(
    ctx: EngineContext, uow, principal: Principal, instance: ProcessInstance | None
) -> tuple[ProcessInstance, bool]:
    """The instance if the caller may read its variables (else Forbidden; out of reach: NotFound), and whether
    it reads them masked (the applicant's portal)."""
    instance = check_instance_visible(principal, instance)
    if principal.has_role("supervisor", "admin") and principal.covers(instance.jurisdiction):
        return instance, False
    if principal.has_role("clerk") and principal.covers(instance.jurisdiction):
        handling = {task.candidate_group for task in uow.tasks.for_instance(instance.id)} | set(
            ctx.service_of(uow, instance).departments.coordinators
        )
        if principal.groups & handling:
            return instance, False
    if principal.has_role("portal") and instance.started_by == principal.name:
        return instance, True
    raise Forbidden(
        "only the applicant, the departments handling the application, supervisors and admins may read its variables"
    )


def read_variables(
    ctx: EngineContext, principal: Principal, instance_id: str, names: tuple[str, ...] | None = None
) -> dict:
    """The instance's variables (only ``names``, when given); staff's reading is recorded."""
    now = ctx.clock.now()
    with ctx.uow() as uow:
        instance, masked = _check_reader(ctx, uow, principal, uow.instances.get(instance_id))
        found = process_variables(ctx.workflows.load(uow, instance))
        if names is not None:
            found = {name: found[name] for name in names if name in found}
        if masked:
            return mask_personal(found, ctx.service_of(uow, instance).views.personal_keys)
        if found:
            ctx.workflows.record(
                uow,
                instance.id,
                principal.name,
                "personal_data_read",
                at=now,
                detail={"variables": sorted(found), "via": "engine-rest"},
            )
            uow.commit()
        return found


def activity_tree(ctx: EngineContext, principal: Principal, instance_id: str) -> dict:
    """Where an active instance is now: the activities waiting or ready (user tasks, service tasks, timers,
    messages, subprocesses), each with its incidents."""
    with ctx.reader() as uow:
        instance = check_instance_visible(principal, uow.instances.get(instance_id))
        definition = ctx.definition(uow, instance.definition_id)
        incidents: dict[str, list[str]] = {}
        for job in uow.jobs.incidents_of(instance.id):
            incidents.setdefault(job.task_id, []).append(job.id)
        children = []
        if instance.state == "active":
            workflow = ctx.workflows.load(uow, instance)
            for task in tasks_in(workflow, TaskState.READY | TaskState.WAITING | TaskState.STARTED):
                spec = task.task_spec
                if not _is_activity(spec):
                    continue
                children.append(
                    {
                        "id": str(task.id),
                        "activity_id": spec.bpmn_id,
                        "name": spec.bpmn_name,
                        "type": activity_type(spec),
                        "incidents": incidents.get(str(task.id), []),
                    }
                )
        return {"instance": instance_dict(instance, definition), "activities": children}


_TYPES = (
    ("UserTask", "userTask"),
    ("ExternalTask", "serviceTask"),
    ("DecisionTask", "businessRuleTask"),
    ("ScriptTask", "scriptTask"),
    ("CallActivity", "callActivity"),
    ("SubWorkflowTask", "subProcess"),
    ("ManualTask", "manualTask"),
    ("ExclusiveGateway", "exclusiveGateway"),
    ("InclusiveGateway", "inclusiveGateway"),
    ("ParallelGateway", "parallelGateway"),
    ("EventBasedGateway", "eventBasedGateway"),
    ("StartEvent", "startEvent"),
)
_EVENTS = (
    ("Message", "Message"),
    ("Timer", "Timer"),
    ("Clock", "Timer"),
    ("Error", "Error"),
    ("Signal", "Signal"),
    ("Escalation", "Escalation"),
    ("Terminate", "Terminate"),
)


def activity_type(spec) -> str:
    """Camunda's activity type of a task spec: ``userTask``, ``serviceTask``, ``intermediateTimer``…"""
    classes = {cls.__name__ for cls in type(spec).__mro__}
    event = type(getattr(spec, "event_definition", None)).__name__
    kind = next((name for marker, name in _EVENTS if marker in event), "")
    if "BoundaryEvent" in classes:
        return f"boundary{kind or 'Event'}"
    if "IntermediateCatchEvent" in classes:
        return {
            "Message": "intermediateMessageCatch",
            "Timer": "intermediateTimer",
            "Signal": "intermediateSignalCatch",
        }.get(kind, "intermediateCatchEvent")
    if "IntermediateThrowEvent" in classes:
        return f"intermediate{kind}ThrowEvent" if kind else "intermediateNoneThrowEvent"
    if "EndEvent" in classes:
        return f"{kind.lower()}EndEvent" if kind else "noneEndEvent"
    return next((name for marker, name in _TYPES if marker in classes), "task")


def _is_activity(spec) -> bool:
    """An activity an instance waits in (a task, a catch event, a subprocess), not a gateway, a boundary event
    or the engine's own bookkeeping."""
    if getattr(spec, "bpmn_id", None) is None:
        return False
    kind = activity_type(spec)
    return (
        kind.endswith("Task")
        or kind.startswith("intermediate")
        and "Catch" in kind
        or kind in ("intermediateTimer", "subProcess", "callActivity")
    )
