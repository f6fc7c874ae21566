"""Marshmallow's nested error messages as a flat ``{"dotted.path": [messages]}`` (the 422 ``errors`` member)."""

from __future__ import annotations

from collections.abc import Mapping

SCHEMA_KEY = "_schema"  # marshmallow's key for errors of a whole (nested) object


def flatten_errors(messages, path: str = "") -> dict[str, list[str]]:
    """Flatten ``{"mother": {"id_number": ["..."]}, "items": {0: ["..."]}}`` to
    ``{"mother.id_number": ["..."], "items.0": ["..."]}``.

    An object-level error (marshmallow's ``_schema``) is keyed by the object's own path; at the top level,
    where that path is empty, by ``_schema``.
    """
    flat: dict[str, list[str]] = {}
    _collect(messages, path, flat)
    return flat


def _collect(messages, path: str, flat: dict[str, list[str]]) -> None:
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            if key == SCHEMA_KEY:
                _collect(value, path, flat)
            else:
                _collect(value, f"{path}.{key}" if path else str(key), flat)
    elif isinstance(messages, (list, tuple)):
        for message in messages:
            _collect(message, path, flat)
    else:
        bucket = flat.setdefault(path or SCHEMA_KEY, [])
        if str(messages) not in bucket:
            bucket.append(str(messages))
