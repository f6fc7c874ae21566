"""``/external-task``: Camunda 7's external-task resource for the departments' own systems, written with Camunda's
stock clients (npm ``camunda-external-task-client-js``, PyPI ``camunda-external-task-client-python3``):
``fetchAndLock`` with long polling, ``complete``, ``failure``, ``bpmnError``, ``extendLock``, ``lock``,
``unlock``, the list, count and one task, its ``errorDetails``, and ``PUT …/retries`` (an admin resolving an
incident). What the stock clients need of the answers: ``Content-Type: application/json`` exactly (the npm
client reads no other), 204 for every answer without a body (the PyPI client counts nothing else as done),
``extensionProperties`` ``{}`` never ``null``, 400 for a lock another worker holds, 404 for a task gone."""

from __future__ import annotations

import logging
import threading
import time

from flask import Response, current_app, jsonify, request

from engine.errors import InvalidInput
from engine.usecases import external_tasks as tasks
from engine.usecases.external_tasks import FetchRequest, TopicRequest

from ..guard import context
from . import variables as typed_values
from .auth import require
from .blueprint import blp, page_args
from .camunda import RestError, camunda_time, definition_id

log = logging.getLogger(__name__)

WORKERS = ("worker",)
READERS = ("worker", "admin", "supervisor")
LONG_POLLS = "EXTERNAL_TASK_LONG_POLLS"  # app config: how many long polls may wait at once (None: any number)
WARN_EVERY_SECONDS = 60.0


def no_content() -> Response:
    """204 with no body and no Content-Type."""
    response = Response(status=204)
    response.headers.pop("Content-Type", None)
    return response


def _body() -> dict:
    body = request.get_json(silent=True)
    if body is None and request.get_data(cache=True).strip():
        raise RestError(400, "InvalidRequestException", "the body is not JSON")
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise RestError(400, "InvalidRequestException", "the body must be a JSON object")
    return body


def _text(body: dict, name: str, *, required: bool = False, limit: int = 100) -> str | None:
    value = body.get(name)
    if value is None or value == "":
        if required:
            raise RestError(400, "InvalidRequestException", f"{name} is required")
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise RestError(400, "InvalidRequestException", f"{name} must be text of at most {limit} characters")
    return value


def _required(body: dict, name: str, limit: int = 100) -> str:
    return _text(body, name, required=True, limit=limit) or ""


def _number(body: dict, name: str, *, default: int | None = None, low: int = 0, high: int = 2**31 - 1) -> int:
    value = body.get(name)
    if value is None:
        if default is None:
            raise RestError(400, "InvalidRequestException", f"{name} is required")
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise RestError(400, "InvalidRequestException", f"{name} must be a whole number from {low} to {high}")
    return value


def _names(value, name: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) and len(v) <= 255 for v in value):
        raise RestError(400, "InvalidRequestException", f"{name} must be a list of names")
    return tuple(value)


def _topic(entry) -> TopicRequest:
    if not isinstance(entry, dict):
        raise RestError(400, "InvalidRequestException", "each topic is an object with topicName and lockDuration")
    keys = _names(entry.get("processDefinitionKeyIn"), "processDefinitionKeyIn")
    if entry.get("processDefinitionKey") is not None:
        keys = (keys or ()) + (_text(entry, "processDefinitionKey", limit=255) or "",)
    ids = _names(entry.get("processDefinitionIdIn"), "processDefinitionIdIn")
    if entry.get("processDefinitionId") is not None:
        ids = (ids or ()) + (_text(entry, "processDefinitionId", limit=300) or "",)
    numbers = None
    if ids is not None:  # our definition ids: key:version:number
        numbers = tuple(
            int(text.rpartition(":")[2])
            for text in ids
            if text.rpartition(":")[2].isdigit() and len(text.rpartition(":")[2]) < 10
        )
    values = entry.get("processVariables")
    if values is not None and not isinstance(values, dict):
        raise RestError(400, "InvalidRequestException", "processVariables must be an object of name: value")
    tenants = entry.get("tenantIdIn")
    return TopicRequest(
        name=_required(entry, "topicName"),
        lock_ms=_number(entry, "lockDuration", low=1, high=tasks.MAX_LOCK_MS),
        variables=_names(entry.get("variables"), "variables"),
        business_key=_text(entry, "businessKey"),
        definition_keys=keys,
        definition_ids=numbers,
        process_variables=values or None,
        local_only=entry.get("localVariables") is True,
        matches_nothing=bool(tenants) or bool(entry.get("processDefinitionVersionTag")),
    )


class _LongPolls:
    """How many long polls of this process may wait at once: each holds one of waitress's threads."""

    def __init__(self, limit: int | None) -> None:
        self.slots = threading.BoundedSemaphore(limit) if limit else None
        self.warned = float("-inf")

    def take(self) -> bool:
        if self.slots is None:
            return True
        if self.slots.acquire(blocking=False):
            return True
        if time.monotonic() - self.warned > WARN_EVERY_SECONDS:
            self.warned = time.monotonic()
            log.warning(
                "more external workers wait for work than this process lets wait (%s): they are "
                "answered at once; raise ONETHING_THREADS or add API processes",
                LONG_POLLS,
            )
        return False

    def give(self) -> None:
        if self.slots is not None:
            self.slots.release()


def _long_polls() -> _LongPolls:
    found = current_app.extensions.get("onething_long_polls")
    if found is None:
        found = current_app.extensions.setdefault("onething_long_polls", _LongPolls(current_app.config.get(LONG_POLLS)))
    return found


def _client_alive():
    """Whether the client still waits for the answer (waitress tells, with ``channel_request_lookahead``)."""
    gone = request.environ.get("waitress.client_disconnected")
    return (lambda: not gone()) if callable(gone) else (lambda: True)


def task_dto(task: dict) -> dict:
    definition = task["definition"]
    dto = {
        "activityId": task["activity_id"],
        "activityInstanceId": f"{task['activity_id']}:{task['task_id']}",
        "errorMessage": task["error_message"],
        "executionId": task["task_id"],
        "id": task["id"],
        "lockExpirationTime": camunda_time(task["lock_expiration"]),
        "createTime": camunda_time(task["created_at"]),
        "processDefinitionId": definition_id(definition),
        "processDefinitionKey": definition["key"],
        "processDefinitionVersionTag": None,
        "processInstanceId": task["process_instance_id"],
        "tenantId": None,
        "retries": task["retries"],
        "suspended": False,
        "workerId": task["worker_id"],
        "priority": 0,
        "topicName": task["topic"],
        "businessKey": task["business_key"],
    }
    if "variables" in task:
        dto["variables"] = typed_values.typed_all(task["variables"])
        dto["extensionProperties"] = dict(task.get("extension_properties") or {})
    return dto


@blp.post("/external-task/fetchAndLock")
@require(*WORKERS)
def fetch_and_lock(principal):
    body = _body()
    topics = body.get("topics")
    if not isinstance(topics, list) or len(topics) > 100:
        raise RestError(400, "InvalidRequestException", "topics must be a list of {topicName, lockDuration}")
    wanted = FetchRequest(
        worker_id=_required(body, "workerId"),
        max_tasks=_number(body, "maxTasks", low=0, high=tasks.MAX_TASKS),
        topics=tuple(_topic(entry) for entry in topics),
        wait_ms=_number(body, "asyncResponseTimeout", default=0, high=tasks.MAX_WAIT_MS),
    )
    polls = _long_polls()
    waiting = wanted.wait_ms > 0 and polls.take()
    if not waiting:
        wanted = FetchRequest(wanted.worker_id, wanted.max_tasks, wanted.topics, 0)
    try:
        found = tasks.fetch_and_lock(context(), principal, wanted, alive=_client_alive())
    finally:
        if waiting:
            polls.give()
    return jsonify([task_dto(task) for task in found])


def _filters() -> dict:
    args = request.args
    found: dict = {}
    for name, key in (
        ("externalTaskId", "job_id"),
        ("topicName", "topic"),
        ("workerId", "worker"),
        ("processInstanceId", "instance_id"),
        ("businessKey", "business_key"),
    ):
        if args.get(name):
            found[key] = args[name]
    if args.get("locked", "").lower() == "true":
        found["locked"] = True
    elif args.get("notLocked", "").lower() == "true":
        found["locked"] = False
    if args.get("withRetriesLeft", "").lower() == "true":
        found["with_retries_left"] = True
    elif args.get("noRetriesLeft", "").lower() == "true":
        found["with_retries_left"] = False
    return found


@blp.get("/external-task")
@require(*READERS)
def external_task_list(principal):
    first, limit = page_args()
    found, _ = tasks.list_external_tasks(context(), principal, first=first, limit=limit, **_filters())
    return jsonify([task_dto(task) for task in found])


@blp.get("/external-task/count")
@require(*READERS)
def external_task_count(principal):
    _, total = tasks.list_external_tasks(context(), principal, first=0, limit=0, **_filters())
    return jsonify({"count": total})


@blp.get("/external-task/<task_id>")
@require(*READERS)
def external_task_get(principal, task_id):
    return jsonify(task_dto(tasks.get_external_task(context(), principal, task_id)))


@blp.get("/external-task/<task_id>/errorDetails")
@require(*READERS)
def external_task_error_details(principal, task_id):
    details = tasks.error_details(context(), principal, task_id)
    return Response(details or "", status=200, mimetype="text/plain")


def _variables(body: dict, name: str = "variables") -> dict:
    try:
        return typed_values.read(body.get(name))[0]
    except RestError:
        raise
    except InvalidInput as err:
        raise RestError(400, "InvalidRequestException", str(err)) from None


@blp.post("/external-task/<task_id>/complete")
@require(*WORKERS)
def external_task_complete(principal, task_id):
    body = _body()
    _variables(body, "localVariables")  # checked, and kept nowhere: a step's local variables end with it
    tasks.complete(context(), principal, task_id, _required(body, "workerId"), _variables(body))
    return no_content()


@blp.post("/external-task/<task_id>/failure")
@require(*WORKERS)
def external_task_failure(principal, task_id):
    body = _body()
    tasks.failure(
        context(),
        principal,
        task_id,
        _required(body, "workerId"),
        _text(body, "errorMessage", limit=2000),
        _text(body, "errorDetails", limit=100_000),
        retries=_number(body, "retries", default=0),
        retry_timeout_ms=_number(body, "retryTimeout", default=0, high=tasks.MAX_LOCK_MS),
    )
    return no_content()


@blp.post("/external-task/<task_id>/bpmnError")
@require(*WORKERS)
def external_task_bpmn_error(principal, task_id):
    body = _body()
    tasks.bpmn_error(
        context(),
        principal,
        task_id,
        _required(body, "workerId"),
        _required(body, "errorCode"),
        _text(body, "errorMessage", limit=2000),
        _variables(body),
    )
    return no_content()


@blp.post("/external-task/<task_id>/extendLock")
@require(*WORKERS)
def external_task_extend_lock(principal, task_id):
    body = _body()
    tasks.extend_lock(
        context(),
        principal,
        task_id,
        _required(body, "workerId"),
        _number(body, "newDuration", low=1, high=tasks.MAX_LOCK_MS),
    )
    return no_content()


@blp.post("/external-task/<task_id>/lock")
@require(*WORKERS)
def external_task_lock(principal, task_id):
    body = _body()
    tasks.lock(
        context(),
        principal,
        task_id,
        _required(body, "workerId"),
        _number(body, "lockDuration", low=1, high=tasks.MAX_LOCK_MS),
    )
    return no_content()


@blp.post("/external-task/<task_id>/unlock")
@require(*WORKERS, "admin")
def external_task_unlock(principal, task_id):
    tasks.unlock(context(), principal, task_id)
    return no_content()


@blp.put("/external-task/<task_id>/retries")
@require("admin")
def external_task_retries(principal, task_id):
    tasks.set_retries(context(), principal, task_id, _number(_body(), "retries", high=100))
    return no_content()
