"""``/process-instance``: running instances found, counted and read (with their variables and activity
instances), deleted (cancelled with a reason, as the portal's cancel), and ``/message`` correlated to the
instance waiting for it. Reach as in ``/api``: the portal its own applications, staff theirs by jurisdiction.
Modifying an instance's tokens is not offered (refused, saying so)."""

from __future__ import annotations

from flask import jsonify

from engine.errors import NotFound
from engine.usecases import instance_search, instances, messages

from ..guard import context
from . import query, variables
from .auth import require
from .blueprint import base, blp, failing_as, json_body, page_args
from .camunda import RestError, instance_definition_id, instance_dto

VIEWERS = ("portal", "clerk", "supervisor", "admin")
SORTS = ("instanceId", "definitionKey", "definitionId", "businessKey")


def _criteria(principal) -> instance_search.InstanceCriteria:
    query.flag("active")  # every running instance is active here: the filter changes nothing
    states = () if query.flag("suspended") else ("active",)  # nothing is ever suspended; ended ones are history
    keys = query.listed("processDefinitionKeyIn")
    key = query.text("processDefinitionKey")
    if key is not None:
        keys = (key,) if keys is None or key in keys else ()
    definition, deployment = query.text("processDefinitionId"), query.text("deploymentId")
    return instance_search.InstanceCriteria(
        reach=instance_search.reach_of(principal),
        ids=query.listed("processInstanceIds"),
        business_key=query.text("businessKey"),
        business_key_like=query.text("businessKeyLike"),
        definition_keys=keys,
        definition_id=number(definition.rpartition(":")[2]) if definition else None,
        deployment_id=number(deployment) if deployment else None,
        states=states,
    )


def number(text: str) -> int:
    """An id of ours in a parameter; -1 (nothing matches) for anything else."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else -1


def _found(principal, first: int, limit: int | None):
    return instance_search.find_instances(
        context(), principal, _criteria(principal), query.variable_tests(), query.sorting(SORTS), first, limit
    )


@blp.get("/process-instance")
@require(*VIEWERS)
def instance_list(principal):
    """Running instances in the caller's reach, by the common filters, one page."""
    rows, _ = _found(principal, *page_args())
    return jsonify([instance_dto(row, base()) for row in rows])


@blp.get("/process-instance/count")
@require(*VIEWERS)
def instance_count(principal):
    """How many running instances in the caller's reach match."""
    _, total = _found(principal, 0, 0)
    return jsonify({"count": total})


def _instance(principal, instance_id: str) -> dict:
    try:
        found = instance_search.get_instance(context(), principal, instance_id)
    except NotFound:
        raise RestError(
            404, "InvalidRequestException", f"Process instance with id {instance_id} does not exist"
        ) from None
    return found


@blp.get("/process-instance/<instance_id>")
@require(*VIEWERS)
def instance_get(principal, instance_id):
    """One instance (an ended one too, answered ``ended``)."""
    return jsonify(instance_dto(_instance(principal, instance_id), base()))


@blp.delete("/process-instance/<instance_id>")
@require("portal", "admin")
def instance_delete(principal, instance_id):
    """Cancel a running instance, as the portal's cancel does (the reason, ``deleteReason``, in its history)."""
    fail = query.flag("failIfNotExists")
    try:
        found = instance_search.get_instance(context(), principal, instance_id)
    except NotFound:
        found = None
    if found is None or found["state"] != "active":
        if fail is False:
            return "", 204
        raise RestError(404, "InvalidRequestException", f"Process instance with id {instance_id} does not exist")
    reason = query.text("deleteReason") or f"经 engine-rest 撤销（{principal.name}）"
    with failing_as(f"Cannot delete process instance {instance_id}"):
        instances.cancel(context(), principal, instance_id, reason[:500])
    return "", 204


def _variables(principal, instance_id: str, names: tuple[str, ...] | None = None) -> dict:
    try:
        return instance_search.read_variables(context(), principal, instance_id, names)
    except NotFound:
        raise RestError(
            404, "InvalidRequestException", f"Process instance with id {instance_id} does not exist"
        ) from None


@blp.get("/process-instance/<instance_id>/variables")
@require(*VIEWERS)
def instance_variables(principal, instance_id):
    """Every variable of the instance, typed (objects as ``Json``); a staff reading is recorded."""
    return jsonify(variables.typed_all(_variables(principal, instance_id)))


@blp.get("/process-instance/<instance_id>/variables/<name>")
@require(*VIEWERS)
def instance_variable(principal, instance_id, name):
    """One variable of the instance, typed."""
    found = _variables(principal, instance_id, (name,))
    if name not in found:
        raise RestError(404, "InvalidRequestException", f"process instance variable with name {name} does not exist")
    return jsonify(variables.typed(found[name]))


@blp.get("/process-instance/<instance_id>/activity-instances")
@require(*VIEWERS)
def instance_activities(principal, instance_id):
    """Where the instance is now: its activity instances under the instance's own."""
    try:
        tree = instance_search.activity_tree(context(), principal, instance_id)
    except NotFound:
        raise RestError(
            404, "InvalidRequestException", f"Process instance with id {instance_id} does not exist"
        ) from None
    instance = tree["instance"]
    process_definition = instance_definition_id(instance)

    def node(activity_id, name, kind, node_id, parent, incidents, children=()):
        return {
            "id": node_id,
            "parentActivityInstanceId": parent,
            "activityId": activity_id,
            "activityType": kind,
            "processInstanceId": instance["id"],
            "processDefinitionId": process_definition,
            "childActivityInstances": list(children),
            "childTransitionInstances": [],
            "executionIds": [instance["id"]],
            "activityName": name,
            "name": name,
            "incidentIds": incidents,
            "incidents": [{"incidentType": "failedJob", "incidentCount": len(incidents)}] if incidents else [],
        }

    children = [
        node(a["activity_id"], a["name"], a["type"], a["id"], instance["id"], a["incidents"])
        for a in tree["activities"]
    ]
    return jsonify(node(process_definition, None, "processDefinition", instance["id"], None, [], children))


@blp.post("/process-instance/<instance_id>/modification")
@require(*VIEWERS, "analyst")
def instance_modification(principal, instance_id):
    """Refused: an instance's tokens are not moved by hand here."""
    raise RestError(
        400,
        "InvalidRequestException",
        f"Cannot modify process instance {instance_id}: moving an instance's tokens is not offered here "
        f"-- a running application goes on only by its own steps (tasks completed, messages, timers); "
        f"to stop it, DELETE /process-instance/{instance_id}",
    )


@blp.post("/message")
@require("portal", "clerk", "admin")
def message_correlate(principal):
    """Deliver a message to the instance (by ``businessKey``) waiting for it, as ``POST /api/messages``."""
    body = json_body()
    name, business_key = body.get("messageName"), body.get("businessKey")
    if not isinstance(name, str) or not name:
        raise RestError(400, "InvalidRequestException", "No message name supplied")
    if not isinstance(business_key, str) or not business_key:
        raise RestError(
            400,
            "InvalidRequestException",
            "a businessKey is needed: messages are correlated to the application by its business key",
        )
    with failing_as(f"Cannot correlate message '{name}'"):
        values, _ = variables.read(body.get("processVariables"))
        try:
            done = messages.correlate(context(), principal, name, business_key, values)
        except NotFound as err:
            raise RestError(400, "RestException", f"Cannot correlate message '{name}': {err}") from None
    if not body.get("resultEnabled"):
        return "", 204
    instance = instance_search.get_instance(context(), principal, done["process_instance_id"])
    result = {
        "resultType": "Execution",
        "execution": {
            "id": instance["id"],
            "processInstanceId": instance["id"],
            "ended": instance["state"] != "active",
            "tenantId": None,
        },
        "processInstance": None,
    }
    if body.get("variablesInResultEnabled"):
        result["variables"] = variables.typed_all(values)
    return jsonify([result])
