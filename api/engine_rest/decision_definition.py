"""``/decision-definition``: the decision versions deployed (list, count, by id or key), their DMN XML, and
``evaluate`` with typed variables by the evaluator business rule tasks use -- an analyst tries a table from
Camunda Modeler or curl. A decision version's id is ``<key>:<version>:<our id>``, as a process version's."""

from __future__ import annotations

from flask import jsonify

from engine.errors import NotFound
from engine.usecases import decisions

from ..guard import context
from . import query, variables
from .auth import DEPLOYERS, READERS, require
from .blueprint import blp, failing_as, json_body, page_args
from .camunda import RestError, decision_dto, parse_definition_id


def _listed(first: int, limit: int | None):
    deployment = query.text("deploymentId")
    return decisions.find_decisions(
        context(),
        query.text("key"),
        bool(query.flag("latestVersion")),
        int(deployment)
        if deployment and deployment.isascii() and deployment.isdigit() and len(deployment) < 10
        else (-1 if deployment else None),
        first,
        limit,
    )


@blp.get("/decision-definition")
@require(*READERS)
def decision_list(principal):
    """Decision versions by key and version (``key``, ``latestVersion``, ``deploymentId``), one page."""
    return jsonify([decision_dto(d) for d in _listed(*page_args())[0]])


@blp.get("/decision-definition/count")
@require(*READERS)
def decision_count(principal):
    return jsonify({"count": _listed(0, 0)[1]})


def _by_id(text: str) -> dict:
    try:
        key, version, number = parse_definition_id(text)
        return decisions.decision_by_id(context(), number, key, version)
    except (RestError, NotFound):
        raise RestError(404, "InvalidRequestException", f"No matching decision definition with id {text}") from None


def _by_key(key: str) -> dict:
    try:
        return decisions.latest_decision(context(), key)
    except NotFound:
        raise RestError(
            404, "InvalidRequestException", f"No matching decision definition with key: {key} and no tenant-id"
        ) from None


@blp.get("/decision-definition/key/<key>")
@require(*READERS)
def decision_by_key(principal, key):
    """The latest version of a decision."""
    return jsonify(decision_dto(_by_key(key)))


@blp.get("/decision-definition/<decision_id>")
@require(*READERS)
def decision_get(principal, decision_id):
    return jsonify(decision_dto(_by_id(decision_id)))


def _xml(decision: dict):
    _, content = decisions.decision_xml(context(), decision["id"])
    return jsonify({"id": decision_dto(decision)["id"], "dmnXml": content.decode("utf-8")})


@blp.get("/decision-definition/key/<key>/xml")
@require(*READERS)
def decision_xml_by_key(principal, key):
    """The DMN file of a decision's latest version, as deployed."""
    return _xml(_by_key(key))


@blp.get("/decision-definition/<decision_id>/xml")
@require(*READERS)
def decision_xml(principal, decision_id):
    return _xml(_by_id(decision_id))


def _evaluate(decision: dict):
    with failing_as(f"Cannot evaluate decision {decision_dto(decision)['id']}"):
        values, _ = variables.read(json_body().get("variables"))
        results = decisions.evaluate(context(), decision["id"], values)
    return jsonify([variables.typed_all(result) for result in results])


@blp.post("/decision-definition/key/<key>/evaluate")
@require(*DEPLOYERS)
def decision_evaluate_by_key(principal, key):
    """Evaluate the latest version on typed variables: one map of typed outputs per matched rule."""
    return _evaluate(_by_key(key))


@blp.post("/decision-definition/<decision_id>/evaluate")
@require(*DEPLOYERS)
def decision_evaluate(principal, decision_id):
    return _evaluate(_by_id(decision_id))
