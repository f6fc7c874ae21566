"""Decision definitions: the versions of the DMN decisions deployed (each minted by the deployment that changed
the file holding it), their XML, and a decision evaluated on variables by the same evaluator business rule tasks
use (:mod:`engine.dmn`), on the decisions of the deployment that minted it -- what an analyst tries from the
Modeler or curl before deploying it for the process."""

from __future__ import annotations

from ..business_rules import as_variable
from ..context import EngineContext
from ..dmn import DecisionError, evaluate_decision
from ..errors import InvalidInput, NotFound
from ..persistence.models import DecisionDefinition
from .deployments import decision_dict

__all__ = ["decision_by_id", "decision_xml", "evaluate", "find_decisions", "latest_decision"]


def find_decisions(
    ctx: EngineContext,
    key: str | None = None,
    latest_only: bool = False,
    deployment_id: int | None = None,
    first: int = 0,
    limit: int | None = None,
) -> tuple[list[dict], int]:
    """Decision versions of deployments not deleted, by key and version: one page, and how many match."""
    with ctx.reader() as uow:
        rows, total = uow.decisions.matching(key, latest_only, deployment_id, first, limit)
        return [decision_dict(row) for row in rows], total


def _by_id(uow, number: int, key: str, version: int) -> DecisionDefinition:
    found = uow.decisions.get(number)
    deployment = uow.definitions.deployment(found.deployment_id) if found is not None else None
    if (
        found is None
        or (found.key, found.version) != (key, version)
        or deployment is None
        or deployment.deleted_at is not None
    ):
        raise NotFound(f"No matching decision definition with id {key}:{version}:{number}")
    return found


def _latest(uow, key: str) -> DecisionDefinition:
    found = uow.decisions.latest(key)
    if found is None:
        raise NotFound(f"no matching decision definition with key: {key} and no tenant-id")
    return found


def decision_by_id(ctx: EngineContext, number: int, key: str, version: int) -> dict:
    with ctx.reader() as uow:
        return decision_dict(_by_id(uow, number, key, version))


def latest_decision(ctx: EngineContext, key: str) -> dict:
    with ctx.reader() as uow:
        return decision_dict(_latest(uow, key))


def decision_xml(ctx: EngineContext, number: int) -> tuple[dict, bytes]:
    """A decision version and its DMN file, byte for byte."""
    with ctx.reader() as uow:
        found = uow.decisions.get(number)
        if found is None:
            raise NotFound(f"No matching decision definition with id {number}")
        for f in uow.definitions.files(found.deployment_id):
            if f.filename == found.filename:
                return decision_dict(found), f.content
        raise NotFound("deployed file not found")


def evaluate(ctx: EngineContext, number: int, variables: dict) -> list[dict]:
    """The decision's result (every matched rule's outputs, the required decisions evaluated first), on the
    decisions of the deployment that minted it; InvalidInput saying why when it gives none."""
    with ctx.reader() as uow:
        found = uow.decisions.get(number)
        if found is None:
            raise NotFound(f"No matching decision definition with id {number}")
        key, decisions = found.key, ctx.parsed(uow, found.deployment_id).decisions
    try:
        result = evaluate_decision(decisions, key, variables, now=ctx.clock.now())
    except DecisionError as err:
        raise InvalidInput(f"decision {key!r} gives no result", {"variables": [str(err)]}) from None
    return [as_variable(entry) for entry in result.result_list()]


def decision_of(ctx: EngineContext, number: int | None, key: str, version: int | None) -> int:
    """The id of the version named (``key``'s latest when no version is given); NotFound otherwise."""
    with ctx.reader() as uow:
        if number is None or version is None:
            return _latest(uow, key).id
        return _by_id(uow, number, key, version).id
