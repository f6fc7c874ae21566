"""``/task``: a clerk's open tasks -- exactly those of its workplace queue (its groups, its jurisdictions) --
found, counted and read; claimed and given back (for itself only); completed or its form submitted with typed
variables checked by the same task form as the workplace (400 naming every field's problem); its form as typed
variables; its data, read as the workplace's task page reads it (recorded). No rendered HTML form: the form is
the service's, described by ``form-variables``."""

from __future__ import annotations

from flask import jsonify

from engine.errors import NotFound
from engine.usecases import instance_search, task_search, tasks

from ..guard import context
from . import query, variables
from .auth import require
from .blueprint import blp, failing_as, json_body, page_args
from .camunda import RestError, task_dto

CLERKS = ("clerk",)
SORTS = ("dueDate", "created", "name", "assignee", "id", "instanceId", "processInstanceId", "taskDefinitionKey")
FORM_TYPES = {"string": "String", "long": "Long", "boolean": "Boolean", "date": "Date", "enum": "String"}


def _criteria(principal) -> task_search.TaskCriteria:
    definition = query.text("processDefinitionId")
    return task_search.queue_criteria(
        principal,
        group=query.text("candidateGroup"),
        ids=query.listed("taskIdIn") or ((query.text("taskId"),) if query.text("taskId") else None),
        instance_id=query.text("processInstanceId"),
        business_key=query.text("processInstanceBusinessKey"),
        business_key_like=query.text("processInstanceBusinessKeyLike"),
        definition_key=query.text("processDefinitionKey"),
        definition_id=_number(definition.rpartition(":")[2]) if definition else None,
        activity_id=query.text("taskDefinitionKey"),
        assignee=query.text("assignee"),
        unassigned=bool(query.flag("unassigned")),
        assigned=bool(query.flag("assigned")),
        due_before=query.moment("dueBefore"),
        due_after=query.moment("dueAfter"),
        created_before=query.moment("createdBefore"),
        created_after=query.moment("createdAfter"),
    )


def _number(text: str) -> int:
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else -1


def _found(principal, first: int, limit: int | None):
    return task_search.find_tasks(context(), _criteria(principal), query.sorting(SORTS), first, limit)


@blp.get("/task")
@require(*CLERKS)
def task_list(principal):
    """The clerk's open tasks (its queue), by Camunda's filters, one page."""
    rows, _ = _found(principal, *page_args())
    return jsonify([task_dto(row) for row in rows])


@blp.get("/task/count")
@require(*CLERKS)
def task_count(principal):
    """How many of the clerk's open tasks match."""
    _, total = _found(principal, 0, 0)
    return jsonify({"count": total})


def _task(principal, task_id: str) -> dict:
    try:
        return task_search.get_task(context(), principal, task_id)
    except NotFound:
        raise RestError(404, "InvalidRequestException", f"No matching task with id {task_id}") from None


@blp.get("/task/<task_id>")
@require(*CLERKS)
def task_get(principal, task_id):
    """One task of the clerk's groups and jurisdictions (another group's: 403)."""
    return jsonify(task_dto(_task(principal, task_id)))


@blp.post("/task/<task_id>/claim")
@require(*CLERKS)
def task_claim(principal, task_id):
    """Take the task (``userId`` is the caller: a clerk claims for itself)."""
    user = json_body().get("userId")
    if user not in (None, principal.name):
        raise RestError(
            403,
            "AuthorizationException",
            f"{principal.name} cannot claim task {task_id} for {user!r}: a clerk claims tasks for itself",
        )
    _task(principal, task_id)
    tasks.claim(context(), principal, task_id)
    return "", 204


@blp.post("/task/<task_id>/unclaim")
@require(*CLERKS)
def task_unclaim(principal, task_id):
    """Give the task back to the queue."""
    _task(principal, task_id)
    tasks.unclaim(context(), principal, task_id)
    return "", 204


def _complete(principal, task_id: str, what: str):
    body = json_body()
    found = _task(principal, task_id)
    with failing_as(f"{what} {task_id}"):
        values, _ = variables.read(body.get("variables"))
        tasks.complete(context(), principal, task_id, values)
    if not body.get("withVariablesInReturn"):
        return "", 204
    return jsonify(
        variables.typed_all(instance_search.read_variables(context(), principal, found["process_instance_id"]))
    )


@blp.post("/task/<task_id>/complete")
@require(*CLERKS)
def task_complete(principal, task_id):
    """Complete the task with its form's fields as typed variables; the process runs on."""
    return _complete(principal, task_id, "Cannot complete task")


@blp.post("/task/<task_id>/submit-form")
@require(*CLERKS)
def task_submit_form(principal, task_id):
    """Submit the task's form (as ``complete``)."""
    return _complete(principal, task_id, "Cannot submit task form")


@blp.get("/task/<task_id>/form")
@require(*CLERKS)
def task_form(principal, task_id):
    """The task's form key (the service's form; its fields: ``form-variables``)."""
    return jsonify({"key": _task(principal, task_id)["form_key"], "contextPath": None, "camundaFormRef": None})


@blp.get("/task/<task_id>/form-variables")
@require(*CLERKS)
def task_form_variables(principal, task_id):
    """The form's fields as typed variables with no value yet; ``valueInfo`` says what each takes (label,
    required, options, constraints: what the server checks)."""
    _task(principal, task_id)
    wanted = query.listed("variableNames")
    fields = task_search.form_fields(context(), principal, task_id)
    return jsonify(
        {
            field["id"]: {
                "type": FORM_TYPES.get(field["type"], "String"),
                "value": None,
                "valueInfo": {
                    "label": field["label"],
                    "required": field["required"],
                    "options": field.get("options"),
                    "constraints": field["constraints"],
                },
            }
            for field in fields
            if wanted is None or field["id"] in wanted
        }
    )


@blp.get("/task/<task_id>/variables")
@require(*CLERKS)
def task_variables(principal, task_id):
    """What the clerk sees of the application for this task (the workplace task page's data); the reading is
    recorded in the application's history."""
    _task(principal, task_id)
    return jsonify(variables.typed_all(tasks.get_task(context(), principal, task_id)["data"]))


@blp.get("/task/<task_id>/rendered-form")
@require(*CLERKS)
def task_rendered_form(principal, task_id):
    """Refused: no HTML form is rendered here."""
    form_key = _task(principal, task_id)["form_key"]
    raise RestError(
        404,
        "InvalidRequestException",
        f"No matching rendered form for task with the id {task_id} found: its form ({form_key}) is the "
        f"service's, not an HTML form -- read its fields with GET /task/{task_id}/form-variables and "
        f"submit them with POST /task/{task_id}/submit-form",
    )
