"""Camunda 7's REST shapes (read from camunda-bpm-platform's OpenAPI templates and Camunda Modeler's client):
ids, times, the deployment and definition DTOs, the error body, and typed variables.

Ids: a process definition is ``<key>:<version>:<our id>`` (no ``/``, ``?`` or ``#``: Camunda Modeler puts it
into the URL unencoded), a deployment its number. Times: ``2026-11-25T10:00:00.000+0800``.
"""

from __future__ import annotations

import json
from datetime import datetime

from engine import safejson
from engine.clock import CHINA

VERSION = "7.21.0"  # the Camunda 7 REST API this facade answers as


class RestError(Exception):
    """An error in Camunda's shape: ``{"type", "message", "code"}`` (and ``details`` when given)."""

    def __init__(self, status: int, kind: str, message: str, details: dict | None = None) -> None:
        super().__init__(message)
        self.status, self.kind, self.message, self.details = status, kind, message, details

    def body(self) -> dict:
        found = {"type": self.kind, "message": self.message, "code": 0}
        if self.details is not None:
            found["details"] = self.details
        return found


def camunda_time(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    local = moment.astimezone(CHINA)
    return local.strftime("%Y-%m-%dT%H:%M:%S.") + f"{local.microsecond // 1000:03d}" + local.strftime("%z")


def definition_id(definition: dict) -> str:
    return f"{definition['key']}:{definition['version']}:{definition['id']}"


def parse_definition_id(text: str) -> tuple[str, int, int]:
    """``key:version:id`` → (key, version, id); a RestError (404) for anything else."""
    key, _, rest = text.rpartition(":")
    key, _, version = key.rpartition(":")
    if not (key and version.isascii() and version.isdigit() and rest.isascii() and rest.isdigit()):
        raise RestError(404, "RestException", f"No matching definition with id {text}")
    return key, int(version), int(rest)


def deployment_dto(deployment: dict, base: str) -> dict:
    return {
        "links": [{"method": "GET", "href": f"{base}/deployment/{deployment['id']}", "rel": "self"}],
        "id": str(deployment["id"]),
        "name": deployment.get("name"),
        "source": deployment.get("source"),
        "deploymentTime": camunda_time(deployment.get("deployed_at")),
        "tenantId": None,
    }


def definition_dto(definition: dict) -> dict:
    return {
        "id": definition_id(definition),
        "key": definition["key"],
        "category": "http://bpmn.io/schema/bpmn",
        "description": None,
        "name": definition.get("name"),
        "version": definition["version"],
        "resource": definition.get("resource"),
        "deploymentId": str(definition["deployment_id"]),
        "diagram": None,
        "suspended": False,
        "tenantId": None,
        "versionTag": None,
        "historyTimeToLive": None,
        "startableInTasklist": True,
    }


def deployment_with_definitions(deployment: dict, definitions: list[dict], base: str) -> dict:
    """What ``POST /deployment/create`` answers: always the map of process definitions (Camunda gives ``null``
    for an unchanged re-deploy, and Camunda Modeler's Start then fails)."""
    return {
        **deployment_dto(deployment, base),
        "deployedProcessDefinitions": {definition_id(d): definition_dto(d) for d in definitions},
        "deployedCaseDefinitions": None,
        "deployedDecisionDefinitions": None,
        "deployedDecisionRequirementsDefinitions": None,
    }


def parse_problems(problems: list) -> RestError:
    """The deployment's problems as Camunda's ParseException: every file, line, element and message in
    ``message`` (the one field Camunda Modeler shows), and per file in ``details``."""
    parts, details = [], {}
    for problem in problems:
        where = problem.file + (f":{problem.line}" if problem.line else "")
        element = f" [{problem.element}]" if problem.element else ""
        parts.append(f"{where}{element}: {problem.message}")
        details.setdefault(problem.file or "deployment", {"errors": [], "warnings": []})["errors"].append({
            "message": problem.message, "line": problem.line or 0, "column": 0,
            "mainElementId": problem.element, "elementIds": [problem.element] if problem.element else []})
    message = "ENGINE-09005 Could not parse BPMN process. Errors: " + " | ".join(parts)
    return RestError(400, "ParseException", message, details)


_TYPES = {"string", "integer", "long", "short", "double", "boolean", "json", "date", "null", ""}


def plain_variables(variables) -> dict:
    """Camunda's typed variables (``{"x": {"value": 5, "type": "Integer"}}``, ``Json`` values as JSON text read
    with the request body's limits, untyped ``{"value": ...}`` taken as they are) as plain values."""
    if variables is None:
        return {}
    if not isinstance(variables, dict):
        raise RestError(400, "InvalidRequestException", "variables must be an object of {name: {value, type}}")
    found = {}
    for name, variable in variables.items():
        if not isinstance(variable, dict):
            raise RestError(400, "InvalidRequestException", f"variable {name!r} must be an object with a value")
        kind = str(variable.get("type") or "").lower()
        value = variable.get("value")
        if kind not in _TYPES:
            raise RestError(400, "InvalidRequestException",
                            f"Cannot convert value of variable {name!r}: type {variable.get('type')!r} is not "
                            f"supported here (String, Integer, Long, Short, Double, Boolean, Json, Date, Null)")
        try:
            found[name] = _convert(kind, value)
        except (TypeError, ValueError) as err:
            raise RestError(400, "InvalidRequestException",
                            f"Cannot convert value {str(value)[:80]!r} of variable {name!r} to type "
                            f"{variable.get('type')}: {err}") from None
    return found


def _convert(kind: str, value):
    if kind == "json":
        if not isinstance(value, str):
            raise TypeError("a Json value is JSON text")
        decoded = safejson.loads(value, "the Json value")  # the body's limits, for the text inside it too
        broken = safejson.unstorable_text(decoded)
        if broken:
            raise ValueError(f"text that is not valid Unicode (a lone surrogate) or NUL at {', '.join(broken[:5])}")
        return decoded
    if kind in ("integer", "long", "short"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError("not a whole number")
        return value
    if kind == "double":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError("not a number")
        return float(value)
    if kind == "boolean":
        if not isinstance(value, bool):
            raise TypeError("not true or false")
        return value
    if kind in ("string", "date"):
        if not isinstance(value, str):
            raise TypeError("not text")
        return value
    if kind == "null":
        return None
    return value


INT32 = range(-(2**31), 2**31)


def typed_variables(data: dict) -> dict:
    """Plain process data as Camunda's typed variables: ``String``, ``Boolean``, ``Integer`` / ``Long``,
    ``Double``, ``Null``, and objects and lists as ``Json`` -- a JSON-encoded string, as Camunda sends one."""
    found = {}
    for name, value in data.items():
        if value is None:
            kind = "Null"
        elif isinstance(value, bool):
            kind = "Boolean"
        elif isinstance(value, int):
            kind = "Integer" if value in INT32 else "Long"
        elif isinstance(value, float):
            kind = "Double"
        elif isinstance(value, str):
            kind = "String"
        else:
            kind, value = "Json", json.dumps(value, ensure_ascii=False)
        found[name] = {"type": kind, "value": value, "valueInfo": {}}
    return found
