"""Camunda 7's REST shapes (read from camunda-bpm-platform's OpenAPI templates and Camunda Modeler's client):
ids, times, the deployment and definition DTOs and the error body (typed variables: :mod:`.variables`).

Ids: a process definition is ``<key>:<version>:<our id>`` (no ``/``, ``?`` or ``#``: Camunda Modeler puts it
into the URL unencoded), a deployment its number. Times: ``2026-11-25T10:00:00.000+0800``.
"""

from __future__ import annotations

import re
from datetime import datetime

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


DATE_FORMAT = "yyyy-MM-dd'T'HH:mm:ss.SSSZ"
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{3})([+-])(\d{2})(\d{2})")


def parse_camunda_time(text: str) -> datetime:
    """A moment written as Camunda writes them (``2026-11-25T10:00:00.000+0800``); ValueError otherwise."""
    match = _DATE.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"a date is written {DATE_FORMAT}, e.g. 2026-11-25T10:00:00.000+0800")
    year, month, day, hour, minute, second, millis, sign, zone_h, zone_m = match.groups()
    try:
        return datetime.fromisoformat(f"{year}-{month}-{day}T{hour}:{minute}:{second}.{millis}{sign}{zone_h}:{zone_m}")
    except ValueError as err:
        raise ValueError(f"no such moment ({err})") from None


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


def decision_dto(decision: dict) -> dict:
    """Camunda's DecisionDefinitionDto of a decision version (``engine.usecases.deployments.decision_dict``)."""
    return {
        "id": definition_id(decision),
        "key": decision["key"],
        "category": "http://camunda.org/schema/1.0/dmn",
        "name": decision.get("name"),
        "version": decision["version"],
        "resource": decision.get("resource"),
        "deploymentId": str(decision["deployment_id"]),
        "decisionRequirementsDefinitionId": None,
        "decisionRequirementsDefinitionKey": None,
        "tenantId": None,
        "versionTag": None,
        "historyTimeToLive": None,
    }


def deployment_with_definitions(done: dict, base: str) -> dict:
    """What ``POST /deployment/create`` answers (``engine.usecases.deployments.deploy_resources``): the process
    versions of the BPMN files deployed (new ones, and an unchanged file's running version -- Camunda gives
    ``null`` for an unchanged re-deploy, and Camunda Modeler's Start then fails), the decision versions minted;
    and, ours, ``usedByProcessDefinitions``: every process version whose new instances run with this
    deployment's decisions (a deployment of tables only says there which versions will use them)."""
    deployed = {definition_id(d): definition_dto(d) for d in done["definitions"] if d["created"] or d["uploaded"]}
    return {
        **deployment_dto(done["deployment"], base),
        "deployedProcessDefinitions": deployed or None,
        "deployedCaseDefinitions": None,
        "deployedDecisionDefinitions": {definition_id(d): decision_dto(d) for d in done["decisions"]} or None,
        "deployedDecisionRequirementsDefinitions": None,
        "usedByProcessDefinitions": {definition_id(d): definition_dto(d) for d in done["definitions"]},
    }


def parse_problems(problems: list) -> RestError:
    """The deployment's problems as Camunda's ParseException: every file, line, element and message in
    ``message`` (the one field Camunda Modeler shows), and per file in ``details``."""
    parts, details = [], {}
    for problem in problems:
        where = problem.file + (f":{problem.line}" if problem.line else "")
        element = f" [{problem.element}]" if problem.element else ""
        parts.append(f"{where}{element}: {problem.message}")
        details.setdefault(problem.file or "deployment", {"errors": [], "warnings": []})["errors"].append(
            {
                "message": problem.message,
                "line": problem.line or 0,
                "column": 0,
                "mainElementId": problem.element,
                "elementIds": [problem.element] if problem.element else [],
            }
        )
    message = "ENGINE-09005 Could not parse BPMN process. Errors: " + " | ".join(parts)
    return RestError(400, "ParseException", message, details)


def instance_definition_id(instance: dict) -> str:
    return definition_id(instance["definition"])


def instance_dto(instance: dict, base: str) -> dict:
    """Camunda's ProcessInstanceDto of an instance (``instance_search.instance_dict``)."""
    return {
        "links": [{"method": "GET", "href": f"{base}/process-instance/{instance['id']}", "rel": "self"}],
        "id": instance["id"],
        "definitionId": instance_definition_id(instance),
        "definitionKey": instance["definition"]["key"],
        "businessKey": instance["business_key"],
        "caseInstanceId": None,
        "ended": instance["state"] != "active",
        "suspended": False,
        "tenantId": None,
    }


def camunda_time_of(text: str | None) -> str | None:
    """An ISO 8601 moment of ours (``2026-11-25T10:00:00+08:00``) as Camunda writes one."""
    return camunda_time(datetime.fromisoformat(text)) if text else None


def task_dto(task: dict) -> dict:
    """Camunda's TaskDto of a user task (``engine.usecases.task_search``'s dict)."""
    return {
        "id": task["id"],
        "name": task["name"],
        "assignee": task["assignee"],
        "owner": None,
        "created": camunda_time_of(task["created_at"]),
        "lastUpdated": None,
        "due": camunda_time_of(task["due_at"]),
        "followUp": None,
        "delegationState": None,
        "description": None,
        "executionId": task["process_instance_id"],
        "parentTaskId": None,
        "priority": 50,
        "processDefinitionId": definition_id(task["definition"]),
        "processInstanceId": task["process_instance_id"],
        "caseExecutionId": None,
        "caseDefinitionId": None,
        "caseInstanceId": None,
        "taskDefinitionKey": task["activity_id"],
        "suspended": False,
        "formKey": task["form_key"],
        "camundaFormRef": None,
        "tenantId": None,
    }
