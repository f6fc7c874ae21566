"""``GET /engine-rest/openapi.json``: the facade's own OpenAPI 3 document, made from the routes it serves --
every path and method, its summary (the view's docstring), its path parameters and who may call it -- so it
lists exactly what is answered (Camunda's own document lists far more than this facade serves)."""

from __future__ import annotations

import re

from flask import current_app, jsonify

from .blueprint import blp
from .camunda import VERSION

ERROR = {
    "type": "object",
    "properties": {"type": {"type": "string"}, "message": {"type": "string"}, "code": {"type": "integer"}},
}
IGNORED_METHODS = {"HEAD", "OPTIONS"}


def _operation(rule, method: str) -> dict:
    view = current_app.view_functions[rule.endpoint]
    doc = (view.__doc__ or "").strip()
    summary, _, description = doc.partition("\n")
    roles = getattr(view, "_roles", None)
    operation: dict = {
        "operationId": f"{rule.endpoint.rpartition('.')[2]}",
        "summary": " ".join(summary.split()) or rule.endpoint.rpartition(".")[2].replace("_", " "),
        "parameters": [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in re.findall(r"<(?:[^:>]+:)?([^>]+)>", rule.rule)
        ],
        "responses": {
            "default": {
                "description": "Camunda 7's shape; an error is {type, message, code}",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            }
        },
    }
    if description.strip():
        operation["description"] = " ".join(description.split())
    if roles is not None:
        operation["security"] = [{"basic": []}, {"bearer": []}]
        operation["x-roles"] = list(roles)
        operation["responses"]["401"] = {"description": "no credentials, or credentials that do not match"}
        operation["responses"]["403"] = {"description": f"for {', '.join(roles)} only"}
    return operation


def served_rules(prefix: str):
    """The facade's rules (its preflight and catch-all excepted)."""
    for rule in current_app.url_map.iter_rules():
        if rule.endpoint.startswith(f"{blp.name}.") and rule.endpoint != f"{blp.name}.preflight":
            yield rule


def document() -> dict:
    prefix = current_app.config["ENGINE_REST_PATH"]
    paths: dict = {}
    for rule in served_rules(prefix):
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule[len(prefix) :] or "/")
        for method in sorted((rule.methods or set()) - IGNORED_METHODS):
            paths.setdefault(path, {})[method.lower()] = _operation(rule, method)
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "onething engine-rest",
            "version": VERSION,
            "description": "The part of Camunda 7's REST API this service answers, in Camunda's shapes, "
            "with the same roles, groups and jurisdictions as /api.",
        },
        "servers": [{"url": prefix}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": {"Error": ERROR},
            "securitySchemes": {
                "basic": {"type": "http", "scheme": "basic", "description": "a person's name and password"},
                "bearer": {"type": "http", "scheme": "bearer", "description": "a token from `onething user add`"},
            },
        },
    }


@blp.get("/openapi.json")
def openapi_document():
    """This document: every path and method the facade serves."""
    return jsonify(document())
