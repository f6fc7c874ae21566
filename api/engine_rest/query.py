"""Camunda's query parameters: paging (``firstResult``, ``maxResults``), sorting (``sortBy`` with
``sortOrder``), booleans, moments, lists and the variable filter (``name_operator_value``), each refused as
Camunda refuses it: ``Cannot set query parameter '<name>' to value '<value>'`` (400)."""

from __future__ import annotations

from datetime import datetime

from flask import request

from engine.usecases.instance_search import OPERATORS, VariableTest

from .camunda import RestError, parse_camunda_time

MAX_LIST = 1000


def refused(name: str, value: str, why: str = "") -> RestError:
    return RestError(
        400,
        "InvalidRequestException",
        f"Cannot set query parameter '{name}' to value '{value}'" + (f": {why}" if why else ""),
    )


def text(name: str) -> str | None:
    value = request.args.get(name)
    return value if value not in (None, "") else None


def flag(name: str) -> bool | None:
    """``true``/``false`` (any case); None when absent."""
    value = text(name)
    if value is None:
        return None
    if value.lower() not in ("true", "false"):
        raise refused(name, value, "true or false")
    return value.lower() == "true"


def whole(name: str) -> int | None:
    value = text(name)
    if value is None:
        return None
    if not (value.isascii() and value.isdigit()) or len(value) > 9:
        raise refused(name, value, "a whole number")
    return int(value)


def moment(name: str) -> datetime | None:
    value = text(name)
    if value is None:
        return None
    try:
        return parse_camunda_time(value)
    except ValueError as err:
        raise refused(name, value, str(err)) from None


def listed(name: str) -> tuple[str, ...] | None:
    """A comma-separated list (Camunda's ``…In`` parameters)."""
    value = text(name)
    if value is None:
        return None
    found = tuple(part for part in value.split(",") if part)
    if len(found) > MAX_LIST:
        raise refused(name, value[:80] + "…", f"at most {MAX_LIST} values")
    return found


def sorting(allowed: tuple[str, ...]) -> tuple[tuple[str, bool], ...]:
    """``sortBy`` and ``sortOrder`` (both or neither, as Camunda requires)."""
    by, order = text("sortBy"), text("sortOrder")
    if by is None and order is None:
        return ()
    if by is None or order is None:
        raise RestError(
            400, "InvalidRequestException", "Only a single sorting parameter specified. sortBy and sortOrder required"
        )
    if by not in allowed:
        raise refused("sortBy", by, "one of " + ", ".join(allowed))
    if order not in ("asc", "desc"):
        raise refused("sortOrder", order, "asc or desc")
    return ((by, order == "asc"),)


def variable_tests(name: str = "variables") -> tuple[VariableTest, ...]:
    """``variables=name_operator_value,…`` (no ``_`` or ``,`` inside a name or value, as in Camunda)."""
    value = text(name)
    if value is None:
        return ()
    tests = []
    for expression in value.split(","):
        parts = expression.split("_")
        if len(parts) != 3:
            raise RestError(
                400, "InvalidRequestException", "variable query parameter has to have format KEY_OPERATOR_VALUE."
            )
        if parts[1] not in OPERATORS:
            raise RestError(400, "InvalidRequestException", f"Invalid variable comparator specified: {parts[1]}")
        tests.append(VariableTest(*parts))
    return tuple(tests)
