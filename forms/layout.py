"""A form's data laid out for a person: sections of labelled rows, every coded value in Chinese.

The labels come from the form's own schema (each field's ``label``, a :class:`~forms.fields.Choice`'s
options), so what a clerk reads on a task page is named exactly as the applicant's form names it. Top-level
scalar fields make the first section; each top-level part (a :class:`~forms.fields.Section`) its own; deeper
parts are flattened into rows labelled ``外层 · 内层``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from marshmallow import Schema, fields

from engine.calendar.chinese import chinese_time
from engine.divisions import division_name
from engine.service import Row, Section
from forms.fields import Division

EMPTY = "—"


def lay_out(schema: Schema, data: Mapping[str, Any] | None, title: str) -> tuple[Section, ...]:
    """``data`` (as the schema dumps it) as sections: the top-level values under ``title``, then one section
    per top-level part that has any value."""
    data = data if isinstance(data, Mapping) else {}
    top: list[Row] = []
    parts: list[Section] = []
    for name, field in schema.fields.items():
        key = field.data_key or name
        if key not in data:
            continue
        value = data[key]
        if isinstance(field, fields.Nested) and not field.many:
            rows = tuple(_rows(field.schema, value, ""))
            if rows:
                parts.append(Section(label_of(field, key), rows))
        else:
            top.append(Row(label_of(field, key), text_of(field, value)))
    return ((Section(title, tuple(top)),) if top else ()) + tuple(parts)


def _rows(schema: Schema, value: Any, prefix: str) -> list[Row]:
    if not isinstance(value, Mapping):
        return []
    rows: list[Row] = []
    for name, field in schema.fields.items():
        key = field.data_key or name
        if key not in value:
            continue
        label = f"{prefix}{label_of(field, key)}"
        if isinstance(field, fields.Nested) and not field.many:
            rows.extend(_rows(field.schema, value[key], f"{label} · "))
        else:
            rows.append(Row(label, text_of(field, value[key])))
    return rows


def option_labels(schema: Schema) -> dict[str, str]:
    """Every option of a form (at any depth, in lists too) as code → Chinese: a service's labels table is made
    of its forms' options (the first form naming a code wins)."""
    found: dict[str, str] = {}

    def walk(field: fields.Field) -> None:
        if isinstance(field, fields.Nested):
            for inner in field.schema.fields.values():
                walk(inner)
        elif isinstance(field, fields.List):
            walk(field.inner)
        for option in field.metadata.get("options") or ():
            found.setdefault(option["id"], option["name"])

    for field in schema.fields.values():
        walk(field)
    return found


def label_of(field: fields.Field, key: str) -> str:
    return str(field.metadata.get("label") or key)


def text_of(field: fields.Field | None, value: Any) -> str:
    """One value in words: a code by its option's name, true/false as 是/否, a date or time in Beijing time,
    a list joined with 、, nothing as —."""
    if value is None or value == "" or value == []:
        return EMPTY
    if isinstance(field, fields.List):
        items = value if isinstance(value, list) else [value]
        return "、".join(text_of(field.inner, item) for item in items)
    if isinstance(value, bool):
        return "是" if value else "否"
    options = {option["id"]: option["name"] for option in (field.metadata.get("options") or [])} if field else {}
    if options and isinstance(value, str):
        return options.get(value, value)
    if isinstance(field, Division) and isinstance(value, str):
        name = division_name(value)
        return f"{name}（{value}）" if name else value
    if isinstance(field, (fields.Date, fields.DateTime)) or isinstance(value, (date, datetime)):
        try:
            return chinese_time(value)
        except (TypeError, ValueError):
            return str(value)
    if isinstance(value, Mapping):
        return "；".join(f"{k}：{text_of(None, v)}" for k, v in value.items())
    if isinstance(value, list):
        return "、".join(text_of(None, item) for item in value)
    return str(value)
