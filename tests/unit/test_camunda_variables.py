"""Camunda 7's typed variables read and written as its REST API does (issue 24): every type converted or
refused with Camunda's message."""

from __future__ import annotations

import pytest

from api.engine_rest.camunda import RestError
from api.engine_rest.variables import read, text_for_objects, typed


def one(type_, value, info=None):
    values, kinds = read({"x": {"type": type_, "value": value, "valueInfo": info}})
    return values["x"], kinds["x"]


def refused(type_, value, info=None) -> str:
    with pytest.raises(RestError) as err:
        one(type_, value, info)
    assert err.value.status == 400
    return err.value.message


@pytest.mark.parametrize(
    "type_, value, expected",
    [
        ("Integer", 5, 5),
        ("integer", "-7", -7),
        ("Integer", 2**31 - 1, 2**31 - 1),
        ("Long", 2**63 - 1, 2**63 - 1),
        ("Short", -32768, -32768),
        ("Double", 1, 1.0),
        ("Double", "2.5", 2.5),
        ("Boolean", True, True),
        ("Boolean", "false", False),
        ("String", "text", "text"),
        ("String", 5, "5"),
        ("String", True, "true"),
        ("Null", "ignored", None),
        ("Json", '{"a": [1, 2]}', {"a": [1, 2]}),
        ("Json", None, None),
        ("Object", '{"a": 1}', {"a": 1}),
        ("Date", "2026-11-25T10:00:00.000+0800", "2026-11-25T10:00:00+08:00"),
        ("Date", "2026-11-25T10:00:00.250-0130", "2026-11-25T10:00:00.250-01:30"),
        (None, {"raw": 1}, {"raw": 1}),
    ],
)
def test_converted(type_, value, expected):
    info = (
        {"serializationDataFormat": "application/json", "objectTypeName": "java.util.HashMap"}
        if type_ == "Object"
        else None
    )
    assert one(type_, value, info)[0] == expected


@pytest.mark.parametrize(
    "type_, value, java",
    [
        ("Integer", 10**30, "java.lang.Integer"),
        ("Integer", 2**31, "java.lang.Integer"),
        ("Integer", 5.5, "java.lang.Integer"),
        ("Integer", True, "java.lang.Integer"),
        ("Long", 2**63, "java.lang.Long"),
        ("Short", 40000, "java.lang.Short"),
        ("Double", "many", "java.lang.Double"),
        ("Boolean", "yes", "java.lang.Boolean"),
        ("Date", "2026-11-25", "java.util.Date"),
        ("Date", "2026-11-25T10:00:00+08:00", "java.util.Date"),
        ("Date", "2026-02-30T10:00:00.000+0800", "java.util.Date"),
        ("String", {"a": 1}, "java.lang.String"),
    ],
)
def test_refused_with_camundas_message(type_, value, java):
    message = refused(type_, value)
    assert message.startswith("Cannot convert value '") and f"of type '{type_}' to java type {java}: " in message


def test_serializable_types_and_those_not_taken():
    assert (
        refused("Json", {"a": 1}) == "Must provide 'null' or String value for value of SerializableValue type 'Json'."
    )
    assert "not JSON text" in refused("Json", "{not json")
    assert "application/json" in refused(
        "Object", "rO0ABX", {"serializationDataFormat": "application/x-java-serialized-object"}
    )
    assert refused("Whatever", 1) == "Unsupported value type 'Whatever'"
    for kind in ("Bytes", "File", "Xml"):
        assert refused(kind, "x").startswith(f"Unsupported value type '{kind}'")
    assert "nested deeper than 64 levels" in refused("Json", "[" * 100 + "]" * 100)  # the body's own limits


def test_text_where_the_process_reads_an_object_is_named():
    values, kinds = read({"application": {"value": '{"a": 1}', "type": "String"}, "note": {"value": "x"}})
    [why] = text_for_objects(kinds, values, frozenset({"application"}))
    assert "'application' is a String that holds JSON text" in why and "type Json" in why
    values, kinds = read({"application": {"value": "hello"}})
    assert (
        "is text, but the process reads it as an object"
        in text_for_objects(kinds, values, frozenset({"application"}))[0]
    )
    values, kinds = read({"application": {"value": '{"a": 1}', "type": "Json"}})
    assert text_for_objects(kinds, values, frozenset({"application"})) == []


def test_written_typed():
    assert typed(5) == {"type": "Integer", "value": 5, "valueInfo": {}}
    assert typed(2**40)["type"] == "Long" and typed(2**70)["type"] == "String"
    assert typed(1.5)["type"] == "Double" and typed(None)["type"] == "Null" and typed(False)["type"] == "Boolean"
    assert typed({"a": "王"}) == {"type": "Json", "value": '{"a": "王"}', "valueInfo": {}}
