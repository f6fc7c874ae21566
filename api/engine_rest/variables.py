"""Camunda 7's typed variables, both ways: ``{"name": {"value", "type", "valueInfo"}}`` read into the plain
JSON values our processes hold, and plain values written back typed.

Reading follows Camunda's REST (``VariableValueDto.toTypedValue``): a type name case-insensitive; a primitive
value converted as its Jackson mapper would (a number or its text for ``Integer``, ``Long``, ``Short``,
``Double``; ``true``/``false`` or their text for ``Boolean``) or refused with Camunda's message, ``Cannot
convert value '<value>' of type '<type>' to java type <class>`` (an ``Integer`` beyond 32 bits, a ``Long``
beyond 64, a ``Date`` not written ``yyyy-MM-dd'T'HH:mm:ss.SSSZ``), followed by what is wrong; ``Json`` and
``Object`` (``serializationDataFormat`` ``application/json``) are JSON text, read with the request body's
limits; ``Null`` is null; an untyped value is taken as it is. ``Bytes``, ``File``, ``Xml`` and Java-serialized
objects are refused: our variables are JSON, materials are uploaded as materials. Dates become ISO 8601 text
(``2026-11-25T10:00:00+08:00``), as every date in our variables.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from engine import safejson

from .camunda import RestError, parse_camunda_time

INTEGER = range(-(2**31), 2**31)
LONG = range(-(2**63), 2**63)
SHORT = range(-(2**15), 2**15)
JAVA_TYPES = {
    "string": "java.lang.String",
    "boolean": "java.lang.Boolean",
    "short": "java.lang.Short",
    "integer": "java.lang.Integer",
    "long": "java.lang.Long",
    "double": "java.lang.Double",
    "date": "java.util.Date",
}
NAMES = {
    "string": "String",
    "boolean": "Boolean",
    "short": "Short",
    "integer": "Integer",
    "long": "Long",
    "double": "Double",
    "date": "Date",
    "json": "Json",
    "object": "Object",
    "null": "Null",
    "xml": "Xml",
    "bytes": "Bytes",
    "file": "File",
}
REFUSED = {
    "bytes": "binary values are not process variables here: upload a file as a material of the application "
    "(POST /api/process-instances/{id}/materials/{code})",
    "file": "files are not process variables here: upload a file as a material of the application "
    "(POST /api/process-instances/{id}/materials/{code})",
    "xml": "the processes here read JSON: send the value as Json",
}
_INTEGER_TEXT = re.compile(r"[+-]?\d{1,25}")
MAX_NAME = 255


class Refused(ValueError):
    """A value its type cannot hold: why, after Camunda's own message."""


def read(variables: Any) -> tuple[dict, dict[str, str]]:
    """Camunda's typed variables as plain values, and each one's type as sent (``String``, ``Json``… ``""``
    when untyped): ``({"x": 5}, {"x": "Integer"})``. RestError 400 with Camunda's message for a value its type
    cannot hold."""
    if variables is None:
        return {}, {}
    if not isinstance(variables, dict):
        raise RestError(400, "InvalidRequestException", "variables must be an object of {name: {value, type}}")
    values, kinds = {}, {}
    for name, variable in variables.items():
        if not name or len(name) > MAX_NAME:
            raise RestError(400, "InvalidRequestException", f"a variable name is text of 1 to {MAX_NAME} characters")
        if not isinstance(variable, dict):
            raise RestError(400, "InvalidRequestException", f"variable {name!r} must be an object with a value")
        values[name], kinds[name] = read_one(name, variable)
    return values, kinds


def read_one(name: str, variable: dict) -> tuple[Any, str]:
    """One typed variable as a plain value, and its type name as sent."""
    given = variable.get("type")
    value = variable.get("value")
    if given is None or given == "":
        return value, ""  # the body's text was checked already (api.body_limits)
    kind = str(given).lower()
    if kind not in NAMES:
        raise RestError(400, "RestException", f"Unsupported value type '{given}'")
    if kind in REFUSED:
        raise RestError(
            400, "InvalidRequestException", f"Unsupported value type '{given}' for variable '{name}': {REFUSED[kind]}"
        )
    if kind in ("json", "object") and value is not None and not isinstance(value, str):
        raise RestError(
            400,
            "InvalidRequestException",
            f"Must provide 'null' or String value for value of SerializableValue type '{given}'.",
        )
    try:
        return _convert(kind, value, variable.get("valueInfo")), NAMES[kind]
    except Refused as err:
        java = JAVA_TYPES.get(kind)
        head = (
            f"Cannot convert value '{_shown(value)}' of type '{given}' to java type {java}"
            if java
            else f"Cannot convert value '{_shown(value)}' of type '{given}'"
        )
        raise RestError(400, "InvalidRequestException", f"{head}: {err} (variable '{name}')") from None


def _shown(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."


def _convert(kind: str, value: Any, info: Any) -> Any:
    if value is None:
        return None
    if kind == "string":
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return str(value)
        if not isinstance(value, str):
            raise Refused("an object or a list is not text (send it as Json)")
        return value
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise Refused("a Boolean is true or false")
    if kind in ("short", "integer", "long"):
        return _whole(kind, value)
    if kind == "double":
        return _double(value)
    if kind == "date":
        return _date(value)
    if kind == "null":
        return None
    if kind == "object":
        data_format = (info or {}).get("serializationDataFormat") if isinstance(info, dict) else None
        if data_format != "application/json":
            raise Refused(
                f'only valueInfo.serializationDataFormat "application/json" is read here, not '
                f"{data_format!r} (a Java-serialized object cannot be)"
            )
    return _json(value)


def _whole(kind: str, value: Any) -> int:
    limits = {"short": SHORT, "integer": INTEGER, "long": LONG}[kind]
    if isinstance(value, bool):
        raise Refused("true or false is not a number")
    if isinstance(value, str) and _INTEGER_TEXT.fullmatch(value.strip()):
        value = int(value.strip())
    if not isinstance(value, int):
        raise Refused("not a whole number")
    if value not in limits:
        raise Refused(f"a {NAMES[kind]} is a whole number from {limits.start} to {limits.stop - 1}")
    return value


def _double(value: Any) -> float:
    if isinstance(value, bool):
        raise Refused("true or false is not a number")
    if isinstance(value, str):
        try:
            value = float(value) if len(value) <= safejson.MAX_NUMBER_CHARS else None
        except ValueError:
            value = None
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        raise Refused("not a finite number")
    return float(value)


def _date(value: Any) -> str:
    try:
        moment = parse_camunda_time(value)
    except ValueError as err:
        raise Refused(str(err)) from None
    return moment.isoformat(timespec="milliseconds" if moment.microsecond else "seconds")


def _json(value: str) -> Any:
    try:
        decoded = safejson.loads(value, "the Json value")  # the body's limits, for the text inside it too
    except ValueError as err:
        raise Refused(f"not JSON text ({err})") from None
    broken = safejson.unstorable_text(decoded)
    if broken:
        raise Refused(f"text that is not valid Unicode (a lone surrogate) or NUL at {', '.join(broken[:5])}")
    return decoded


def text_for_objects(kinds: dict[str, str], values: dict, objects: frozenset[str]) -> list[str]:
    """Why each variable the process reads as an object was sent as text (a String, or untyped text) instead."""
    found = []
    for name in sorted(objects & set(values)):
        if isinstance(values[name], str) and kinds.get(name) in ("String", ""):
            holds = "holds JSON text" if _is_json_object(values[name]) else "is text"
            found.append(
                f"variable '{name}' is a String that {holds}, but the process reads it as an object: send "
                f"it with type Json (the JSON text as its value) or Object with valueInfo "
                f"serializationDataFormat application/json"
            )
    return found


def _is_json_object(text: str) -> bool:
    try:
        return isinstance(safejson.loads(text), (dict, list))
    except ValueError:
        return False


def typed(value: Any) -> dict:
    """A plain value as a Camunda typed value: ``{"type", "value", "valueInfo"}``; objects and lists are
    ``Json`` (their JSON text), as Camunda answers them."""
    if value is None:
        return {"type": "Null", "value": None, "valueInfo": {}}
    if isinstance(value, bool):
        return {"type": "Boolean", "value": value, "valueInfo": {}}
    if isinstance(value, int):
        if value in INTEGER:
            return {"type": "Integer", "value": value, "valueInfo": {}}
        if value in LONG:
            return {"type": "Long", "value": value, "valueInfo": {}}
        return {"type": "String", "value": str(value), "valueInfo": {}}
    if isinstance(value, float):
        return {"type": "Double", "value": value, "valueInfo": {}}
    if isinstance(value, str):
        return {"type": "String", "value": value, "valueInfo": {}}
    return {"type": "Json", "value": json.dumps(value, ensure_ascii=False), "valueInfo": {}}


def typed_all(values: dict) -> dict:
    return {name: typed(value) for name, value in values.items()}
