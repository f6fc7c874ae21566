"""``/history``: process instances of every state (how each ended: ``state`` and ``deleteReason`` -- returned,
refused or cancelled with the reason; ``outcome`` our own word for it), activity instances, user tasks (open
and done, ``outcome`` approve / return / cancelled) and variables. ``/history/incident`` is the incidents'
resource's."""

from __future__ import annotations

from datetime import datetime

from flask import jsonify

from engine.errors import Forbidden
from engine.usecases import history_search
from engine.usecases.instance_search import VariableTest

from ..guard import context
from . import query, variables
from .auth import require
from .blueprint import blp, page_args
from .camunda import RestError, camunda_time, camunda_time_of, definition_id
from .process_instance import number

VIEWERS = ("portal", "clerk", "supervisor", "admin")
INSTANCE_SORTS = (
    "instanceId",
    "definitionId",
    "definitionKey",
    "businessKey",
    "startTime",
    "endTime",
    "definitionVersion",
)
ACTIVITY_SORTS = (
    "activityInstanceId",
    "instanceId",
    "activityId",
    "activityName",
    "activityType",
    "startTime",
    "endTime",
)
TASK_SORTS = (
    "taskId",
    "taskName",
    "assignee",
    "processInstanceId",
    "taskDefinitionKey",
    "startTime",
    "endTime",
    "dueDate",
    "duration",
)


def _duration(start, end) -> int | None:
    return int((end - start).total_seconds() * 1000) if start and end else None


def _states() -> tuple[str, ...] | None:
    """The states Camunda's flags leave (none given: every state)."""
    wanted = set(history_search.STATES)
    for flag, states in (
        ("finished", {"completed", "cancelled", "returned", "refused"}),
        ("unfinished", {"active"}),
        ("active", {"active"}),
        ("completed", {"completed"}),
        ("externallyTerminated", {"cancelled"}),
        ("internallyTerminated", {"returned", "refused"}),
        ("suspended", set()),
    ):
        if query.flag(flag):
            wanted &= states
    return None if wanted == set(history_search.STATES) else tuple(sorted(wanted))


def _instance_criteria(principal) -> history_search.InstanceCriteria:
    keys = query.listed("processDefinitionKeyIn")
    key = query.text("processDefinitionKey")
    if key is not None:
        keys = (key,) if keys is None or key in keys else ()
    single = query.text("processInstanceId")
    ids = query.listed("processInstanceIds")
    if single is not None:
        ids = (single,) if ids is None or single in ids else ()
    definition = query.text("processDefinitionId")
    return history_search.InstanceCriteria(
        reach=history_search.instance_reach(principal),
        ids=ids,
        business_key=query.text("processInstanceBusinessKey"),
        business_key_like=query.text("processInstanceBusinessKeyLike"),
        definition_keys=keys,
        definition_id=number(definition.rpartition(":")[2]) if definition else None,
        states=_states(),
        started_after=query.moment("startedAfter"),
        started_before=query.moment("startedBefore"),
        finished_after=query.moment("finishedAfter"),
        finished_before=query.moment("finishedBefore"),
    )


def historic_instance_dto(instance: dict) -> dict:
    state = instance["state"]
    reason = (
        None
        if state in ("active", "completed")
        else f"{state}: {instance['end_reason']}"
        if instance["end_reason"]
        else state
    )
    return {
        "id": instance["id"],
        "rootProcessInstanceId": instance["id"],
        "superProcessInstanceId": None,
        "superCaseInstanceId": None,
        "caseInstanceId": None,
        "processDefinitionName": instance["definition"].get("name"),
        "processDefinitionKey": instance["definition"]["key"],
        "processDefinitionVersion": instance["definition"]["version"],
        "processDefinitionId": definition_id(instance["definition"]),
        "businessKey": instance["business_key"],
        "startTime": camunda_time(instance["created_at"]),
        "endTime": camunda_time(instance["ended_at"]),
        "removalTime": None,
        "durationInMillis": _duration(instance["created_at"], instance["ended_at"]),
        "startUserId": instance["started_by"],
        "startActivityId": None,
        "deleteReason": reason,
        "tenantId": None,
        "state": history_search.STATES.get(state, "ACTIVE"),
        "outcome": state,
    }


def _instances(principal, first, limit):
    return history_search.find_instances(
        context(), _instance_criteria(principal), query.sorting(INSTANCE_SORTS), first, limit
    )


@blp.get("/history/process-instance")
@require(*VIEWERS)
def history_instance_list(principal):
    """Instances of every state in the caller's reach, by Camunda's filters, one page."""
    rows, _ = _instances(principal, *page_args())
    return jsonify([historic_instance_dto(row) for row in rows])


@blp.get("/history/process-instance/count")
@require(*VIEWERS)
def history_instance_count(principal):
    """How many instances of every state in the caller's reach match."""
    return jsonify({"count": _instances(principal, 0, 0)[1]})


@blp.get("/history/process-instance/<instance_id>")
@require(*VIEWERS)
def history_instance_get(principal, instance_id):
    """One instance of any state, with how it ended."""
    rows, _ = history_search.find_instances(
        context(), history_search.InstanceCriteria(reach=history_search.instance_reach(principal), ids=(instance_id,))
    )
    if not rows:
        raise RestError(
            404, "InvalidRequestException", f"Historic process instance with id {instance_id} does not exist"
        )
    return jsonify(historic_instance_dto(rows[0]))


def _refused(err: Forbidden) -> RestError:
    return RestError(403, "AuthorizationException", str(err))


def _activities(principal, first, limit):
    try:
        reach = history_search.activity_reach(principal)
    except Forbidden as err:
        raise _refused(err) from None
    finished = True if query.flag("finished") else False if query.flag("unfinished") else None
    return history_search.find_activities(
        context(),
        reach,
        instance_id=query.text("processInstanceId"),
        activity_id=query.text("activityId"),
        activity_type=query.text("activityType"),
        finished=finished,
        sorting=query.sorting(ACTIVITY_SORTS),
        first=first,
        limit=limit,
    )


def activity_dto(row: dict) -> dict:
    return {
        "id": row["id"],
        "parentActivityInstanceId": row["instance_id"],
        "activityId": row["activity_id"],
        "activityName": row["activity_name"],
        "activityType": row["activity_type"],
        "processDefinitionKey": row["definition"]["key"],
        "processDefinitionId": definition_id(row["definition"]),
        "processInstanceId": row["instance_id"],
        "executionId": row["instance_id"],
        "taskId": row["task_id"],
        "calledProcessInstanceId": None,
        "calledCaseInstanceId": None,
        "assignee": row["assignee"],
        "startTime": camunda_time(row["started_at"]),
        "endTime": camunda_time(row["ended_at"]),
        "durationInMillis": _duration(row["started_at"], row["ended_at"]),
        "canceled": row["canceled"],
        "completeScope": False,
        "tenantId": None,
        "removalTime": None,
        "rootProcessInstanceId": row["instance_id"],
    }


@blp.get("/history/activity-instance")
@require("supervisor", "admin")
def history_activity_list(principal):
    """Activity instances (user tasks; service tasks, timers and messages as the history recorded them)."""
    rows, _ = _activities(principal, *page_args())
    return jsonify([activity_dto(row) for row in rows])


@blp.get("/history/activity-instance/count")
@require("supervisor", "admin")
def history_activity_count(principal):
    return jsonify({"count": _activities(principal, 0, 0)[1]})


def _tasks(principal, first, limit):
    try:
        reach, groups = history_search.task_reach(principal)
    except Forbidden as err:
        raise _refused(err) from None
    definition = query.text("processDefinitionId")
    finished = True if query.flag("finished") else False if query.flag("unfinished") else None
    criteria = history_search.TaskCriteria(
        reach=reach,
        groups=groups,
        open_only=False,
        finished=finished,
        ids=(query.text("taskId"),) if query.text("taskId") else None,
        instance_id=query.text("processInstanceId"),
        business_key=query.text("processInstanceBusinessKey"),
        business_key_like=query.text("processInstanceBusinessKeyLike"),
        definition_key=query.text("processDefinitionKey"),
        definition_id=number(definition.rpartition(":")[2]) if definition else None,
        activity_id=query.text("taskDefinitionKey"),
        assignee=query.text("taskAssignee"),
        unassigned=bool(query.flag("unassigned")),
        assigned=bool(query.flag("assigned")),
        due_before=query.moment("taskDueDateBefore"),
        due_after=query.moment("taskDueDateAfter"),
        created_before=query.moment("startedBefore"),
        created_after=query.moment("startedAfter"),
        finished_before=query.moment("finishedBefore"),
        finished_after=query.moment("finishedAfter"),
    )
    return history_search.find_tasks(context(), criteria, query.sorting(TASK_SORTS), first, limit)


def historic_task_dto(task: dict) -> dict:
    outcome = task["outcome"]
    reason = None if task["completed_at"] is None else "deleted" if outcome == "cancelled" else "completed"
    created, ended = camunda_time_of(task["created_at"]), camunda_time_of(task["completed_at"])
    return {
        "id": task["id"],
        "processDefinitionKey": task["definition"]["key"],
        "processDefinitionId": definition_id(task["definition"]),
        "processInstanceId": task["process_instance_id"],
        "executionId": task["process_instance_id"],
        "caseDefinitionKey": None,
        "caseDefinitionId": None,
        "caseInstanceId": None,
        "caseExecutionId": None,
        "activityInstanceId": task["id"],
        "name": task["name"],
        "description": None,
        "deleteReason": reason,
        "owner": None,
        "assignee": task["assignee"],
        "startTime": created,
        "endTime": ended,
        "duration": _duration_of(task["created_at"], task["completed_at"]),
        "taskDefinitionKey": task["activity_id"],
        "priority": 50,
        "due": camunda_time_of(task["due_at"]),
        "parentTaskId": None,
        "followUp": None,
        "tenantId": None,
        "removalTime": None,
        "rootProcessInstanceId": task["process_instance_id"],
        "outcome": outcome,
        "completedBy": task["completed_by"],
    }


def _duration_of(start: str | None, end: str | None) -> int | None:
    return _duration(datetime.fromisoformat(start), datetime.fromisoformat(end)) if start and end else None


@blp.get("/history/task")
@require("clerk", "supervisor", "admin")
def history_task_list(principal):
    """User tasks open and done (a clerk: its groups'), with their outcome."""
    rows, _ = _tasks(principal, *page_args())
    return jsonify([historic_task_dto(row) for row in rows])


@blp.get("/history/task/count")
@require("clerk", "supervisor", "admin")
def history_task_count(principal):
    return jsonify({"count": _tasks(principal, 0, 0)[1]})


def _variables(principal, first, limit) -> tuple[list[dict], int]:
    ids = query.listed("processInstanceIdIn")
    single = query.text("processInstanceId")
    if single is not None:
        ids = (single,) if ids is None or single in ids else ()
    if ids is None:
        raise RestError(
            400,
            "InvalidRequestException",
            "give processInstanceId (or processInstanceIdIn): variables are read from each instance",
        )
    if len(ids) > 100:
        raise RestError(400, "InvalidRequestException", "processInstanceIdIn: at most 100 instances at once")
    name, like = query.text("variableName"), query.text("variableNameLike")
    rows = history_search.instance_variables(context(), principal, ids, (name,) if name else None)
    if like is not None:
        rows = [row for row in rows if VariableTest("n", "like", like).matches({"n": row["name"]})]
    return rows[first : None if limit is None else first + limit], len(rows)


def historic_variable_dto(row: dict) -> dict:
    return {
        "id": f"{row['instance_id']}:{row['name']}",
        "name": row["name"],
        **variables.typed(row["value"]),
        "processDefinitionKey": row["definition"]["key"],
        "processDefinitionId": definition_id(row["definition"]),
        "processInstanceId": row["instance_id"],
        "executionId": row["instance_id"],
        "activityInstanceId": row["instance_id"],
        "caseDefinitionKey": None,
        "caseDefinitionId": None,
        "caseInstanceId": None,
        "caseExecutionId": None,
        "taskId": None,
        "errorMessage": None,
        "tenantId": None,
        "state": "CREATED",
        "createTime": camunda_time(row["created_at"]),
        "removalTime": None,
        "rootProcessInstanceId": row["instance_id"],
    }


@blp.get("/history/variable-instance")
@require(*VIEWERS)
def history_variable_list(principal):
    """The variables of the instances named (``processInstanceId`` / ``processInstanceIdIn``), as they are now;
    read as ``/process-instance/{id}/variables`` reads them (staff's reading recorded)."""
    rows, _ = _variables(principal, *page_args())
    return jsonify([historic_variable_dto(row) for row in rows])


@blp.get("/history/variable-instance/count")
@require(*VIEWERS)
def history_variable_count(principal):
    return jsonify({"count": _variables(principal, 0, None)[1]})
