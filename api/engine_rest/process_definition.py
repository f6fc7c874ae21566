"""``/process-definition``: list, count, get by id or key, the BPMN XML, the diagram (SVG), statistics (running
instances and incidents per activity, per version), and start (Camunda Modeler's Start button). Versions are
chosen and paged by the database (:func:`engine.usecases.deployments.find_definitions`)."""

from __future__ import annotations

from flask import jsonify, request

from engine.errors import NotFound
from engine.usecases import deployments, instances, statistics

from ..guard import context
from ..security_headers import svg_response
from . import query, variables
from .auth import READERS, STARTERS, require
from .blueprint import base, blp, failing_as, json_body, page_args
from .camunda import RestError, definition_dto, parse_definition_id


def _listed() -> tuple[list[dict], int]:
    first, limit = page_args()
    return deployments.find_definitions(
        context(), request.args.get("key"), request.args.get("latestVersion", "").lower() == "true", first, limit
    )


def _by_id(text: str) -> dict:
    key, version, number = parse_definition_id(text)
    try:
        return deployments.definition_by_id(context(), number, key, version)
    except NotFound:
        raise RestError(404, "RestException", f"No matching definition with id {text}") from None


def _latest_of(key: str) -> dict:
    found, _ = deployments.find_definitions(context(), key, latest_only=True)
    if not found:
        raise RestError(404, "RestException", f"No matching process definition with key: {key} and no tenant-id")
    return found[0]


@blp.get("/process-definition")
@require(*READERS, "portal")
def definition_list(principal):
    return jsonify([definition_dto(d) for d in _listed()[0]])


@blp.get("/process-definition/count")
@require(*READERS, "portal")
def definition_count(principal):
    return jsonify({"count": _listed()[1]})


@blp.get("/process-definition/key/<key>")
@require(*READERS, "portal")
def definition_by_key(principal, key):
    return jsonify(definition_dto(_latest_of(key)))


@blp.get("/process-definition/<definition_id>")
@require(*READERS, "portal")
def definition_get(principal, definition_id):
    return jsonify(definition_dto(_by_id(definition_id)))


def _xml(definition: dict):
    _, content = deployments.definition_xml(context(), definition["key"], definition["version"])
    return jsonify({"id": definition_dto(definition)["id"], "bpmn20Xml": content.decode("utf-8")})


@blp.get("/process-definition/key/<key>/xml")
@require(*READERS)
def definition_xml_by_key(principal, key):
    return _xml(_latest_of(key))


@blp.get("/process-definition/<definition_id>/xml")
@require(*READERS)
def definition_xml(principal, definition_id):
    return _xml(_by_id(definition_id))


def _start(principal, definition: dict):
    body = json_body()
    with failing_as(f"Cannot instantiate process definition {definition_dto(definition)['id']}"):
        values, kinds = variables.read(body.get("variables"))
        as_text = variables.text_for_objects(kinds, values, instances.object_variables(context(), definition["key"]))
        if as_text:
            raise RestError(400, "InvalidRequestException", "; ".join(as_text))
        started = instances.start(
            context(),
            principal,
            definition["key"],
            values,
            business_key=body.get("businessKey"),
            version=definition["version"],
            idempotency_key=request.headers.get("Idempotency-Key"),
        )
    return jsonify(
        {
            "links": [{"method": "GET", "href": f"{base()}/process-instance/{started['id']}", "rel": "self"}],
            "id": started["id"],
            "definitionId": definition_dto(definition)["id"],
            "businessKey": started["business_key"],
            "caseInstanceId": None,
            "tenantId": None,
            "ended": started["state"] != "active",
            "suspended": False,
        }
    )


@blp.post("/process-definition/key/<key>/start")
@require(*STARTERS)
def start_by_key(principal, key):
    return _start(principal, _latest_of(key))


@blp.post("/process-definition/<definition_id>/start")
@require(*STARTERS)
def start_by_id(principal, definition_id):
    return _start(principal, _by_id(definition_id))


def _activity_statistics(definition: dict):
    rows = statistics.activity_statistics(context(), definition["id"])
    with_incidents = query.flag("incidents") or query.text("incidentsForType") == "failedJob"
    return jsonify(
        [
            {
                "@class": "org.camunda.bpm.engine.rest.dto.repository.ActivityStatisticsResultDto",
                "id": row["activity_id"],
                "instances": row["instances"],
                "failedJobs": row["incidents"] if query.flag("failedJobs") else 0,
                "incidents": [{"incidentType": "failedJob", "incidentCount": row["incidents"]}]
                if with_incidents and row["incidents"]
                else [],
            }
            for row in rows
        ]
    )


@blp.get("/process-definition/<definition_id>/statistics")
@require(*READERS)
def definition_activity_statistics(principal, definition_id):
    """Running instances per activity of a version (``failedJobs=true``, ``incidents=true``: their incidents --
    service tasks whose attempts ran out)."""
    return _activity_statistics(_by_id(definition_id))


@blp.get("/process-definition/key/<key>/statistics")
@require(*READERS)
def definition_activity_statistics_by_key(principal, key):
    """The same for the latest version of ``key``."""
    return _activity_statistics(_latest_of(key))


@blp.get("/process-definition/statistics")
@require(*READERS)
def definition_statistics(principal):
    """Running instances and incidents per process version."""
    found, _ = deployments.find_definitions(context())
    counts = statistics.definition_statistics(context(), [d["id"] for d in found])
    with_incidents = query.flag("incidents") or query.text("incidentsForType") == "failedJob"
    return jsonify(
        [
            {
                "@class": "org.camunda.bpm.engine.rest.dto.repository.ProcessDefinitionStatisticsResultDto",
                "id": definition_dto(d)["id"],
                "instances": counts[d["id"]]["instances"],
                "failedJobs": counts[d["id"]]["incidents"] if query.flag("failedJobs") else 0,
                "definition": definition_dto(d),
                "incidents": [{"incidentType": "failedJob", "incidentCount": counts[d["id"]]["incidents"]}]
                if with_incidents and counts[d["id"]]["incidents"]
                else [],
            }
            for d in found
        ]
    )


def _diagram(definition: dict):
    return svg_response(deployments.definition_diagram(context(), definition["key"], definition["version"]))


@blp.get("/process-definition/<definition_id>/diagram")
@require(*READERS)
def definition_diagram(principal, definition_id):
    """The version's diagram, drawn from its BPMN file as SVG (an image: nothing in it runs)."""
    return _diagram(_by_id(definition_id))


@blp.get("/process-definition/key/<key>/diagram")
@require(*READERS)
def definition_diagram_by_key(principal, key):
    return _diagram(_latest_of(key))
