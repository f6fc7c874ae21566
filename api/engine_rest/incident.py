"""``/incident``: the incidents -- steps that failed every attempt, or that a department refused with a business
error nothing in the diagram catches -- as Camunda 7 describes them: ``failedExternalTask`` for a step external
workers run, ``failedJob`` for one the in-process worker runs (and timers). Resolving one is an admin's retry
(the workplace, ``POST /api/incidents/{id}/retry``) or, for an external task, ``PUT
/external-task/{id}/retries``."""

from __future__ import annotations

from datetime import datetime

from flask import jsonify, request

from engine.usecases import incidents

from ..guard import context
from .auth import require
from .blueprint import blp, page_args
from .camunda import RestError, camunda_time, definition_id

READERS = ("admin", "supervisor", "analyst")
TYPES = {"failedExternalTask": True, "failedJob": False}


def incident_dto(incident: dict) -> dict:
    return {
        "id": incident["id"],
        "processDefinitionId": definition_id(incident["definition"]),
        "processInstanceId": incident["process_instance_id"],
        "executionId": None,
        "incidentTimestamp": camunda_time(datetime.fromisoformat(incident["updated_at"])),
        "incidentType": "failedExternalTask" if incident["external"] else "failedJob",
        "activityId": incident["activity_id"],
        "failedActivityId": incident["activity_id"],
        "causeIncidentId": incident["id"],
        "rootCauseIncidentId": incident["id"],
        "configuration": incident["id"],
        "tenantId": None,
        "incidentMessage": incident["message"],
        "jobDefinitionId": None,
        "annotation": None,
    }


def _filters() -> dict:
    args = request.args
    kind = args.get("incidentType")
    if kind and kind not in TYPES:
        raise RestError(
            400, "InvalidRequestException", f"incidentType {kind!r} is none of {', '.join(TYPES)} (the only kinds here)"
        )
    return {
        "job_id": args.get("incidentId") or None,
        "instance_id": args.get("processInstanceId") or None,
        "activity_id": args.get("activityId") or args.get("failedActivityId") or None,
        "external": TYPES[kind] if kind else None,
    }


@blp.get("/incident")
@require(*READERS)
def incident_list(principal):
    first, limit = page_args()
    found, _ = incidents.find_incidents(context(), principal, first=first, limit=limit, **_filters())
    return jsonify([incident_dto(incident) for incident in found])


@blp.get("/incident/count")
@require(*READERS)
def incident_count(principal):
    _, total = incidents.find_incidents(context(), principal, first=0, limit=0, **_filters())
    return jsonify({"count": total})


@blp.get("/incident/<incident_id>")
@require(*READERS)
def incident_get(principal, incident_id):
    found, _ = incidents.find_incidents(context(), principal, job_id=incident_id[:36], first=0, limit=1)
    if not found or found[0]["id"] != incident_id:
        raise RestError(404, "NotFoundException", f"Incident with id {incident_id} does not exist")
    return jsonify(incident_dto(found[0]))
