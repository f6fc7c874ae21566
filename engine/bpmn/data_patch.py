"""Task data as its changes from another task's: nested, so that a value is stored once per instance.

SpiffWorkflow copies a task's data into each task after it, and the library's own format stores a task's
top-level keys that changed from its parent's in full: a ``results`` dict that gains one department's answer
at each service task is written again, whole, at every one of them, and the application with the final data
of the workflow. A patch here goes down into dicts and keeps only the keys that changed:

    {"s": {key: new value, ...}, "n": {key: patch of that dict, ...}, "x": [deleted key, ...]}

(each part only when not empty; no change at all is ``{}``). Task data is JSON (it is stored as JSON and
handlers' results are checked to be JSON), so values are compared strictly -- ``1``, ``1.0`` and ``True``
differ -- and copied without ``copy.deepcopy``.
"""

from __future__ import annotations

from typing import Any


def same(a: Any, b: Any) -> bool:
    """Equal as JSON values: same types all the way down (``1 == True`` in Python, not in JSON)."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return len(a) == len(b) and all(key in b and same(value, b[key]) for key, value in a.items())
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def copy(value: Any) -> Any:
    """A deep copy of a JSON value (dicts and lists new, the rest immutable and shared)."""
    if isinstance(value, dict):
        return {key: copy(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [copy(inner) for inner in value]
    return value


def diff(base: dict, data: dict) -> dict:
    """The patch that turns ``base`` into ``data`` (``{}``: they are the same)."""
    patch: dict[str, Any] = {}
    changed: dict[str, Any] = {}
    nested: dict[str, dict] = {}
    for key, value in data.items():
        if key not in base:
            changed[key] = value
            continue
        before = base[key]
        if same(before, value):
            continue
        if isinstance(before, dict) and isinstance(value, dict):
            nested[key] = diff(before, value)
        else:
            changed[key] = value
    deleted = [key for key in base if key not in data]
    if changed:
        patch["s"] = changed
    if nested:
        patch["n"] = nested
    if deleted:
        patch["x"] = deleted
    return patch


def apply(base: dict, patch: dict) -> dict:
    """A new dict: ``base`` with ``patch`` applied, copied as SpiffWorkflow copies a parent's data into its
    child (``DeepMerge.merge``): the dict and each dict or list in it are new, what they hold is shared, and
    every dict on the way to a change is new. ``base`` is left as it was; the patch's values become the new
    dict's (a patch read from JSON is applied once)."""
    data = {key: value.copy() if isinstance(value, (dict, list)) else value for key, value in base.items()}
    _apply_in_place(data, patch)
    return data


def _apply_in_place(data: dict, patch: dict) -> None:
    """``data`` is the caller's own dict; the dicts in it may be shared, and are copied before a change."""
    for key in patch.get("x", ()):
        data.pop(key, None)
    for key, inner in patch.get("n", {}).items():
        target = data.get(key)
        target = dict(target) if isinstance(target, dict) else {}  # not a dict in the base: should not happen
        data[key] = target
        _apply_in_place(target, inner)
    for key, value in patch.get("s", {}).items():
        data[key] = value
