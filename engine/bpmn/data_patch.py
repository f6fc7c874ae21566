"""Task data as its changes from another task's: nested, so that a value is stored once per instance.

SpiffWorkflow copies a task's data into each task after it, and the library's own format stores a task's
top-level keys that changed from its parent's in full: a ``results`` dict that gains one department's answer
at each service task is written again, whole, at every one of them, and the application with the final data
of the workflow. A patch here goes down into dicts and keeps only the keys that changed:

    {"s": {key: new value, ...}, "n": {key: patch of that dict, ...}, "x": [deleted key, ...] (or true: all),
     "r": {key: reference, ...}}

(each part only when not empty; no change at all is ``{}``). A reference stands for a dict or list that is
stored already elsewhere (the caller says where: ``earlier``), e.g. a department's result that a parallel
join brings in from the branch that made it; SpiffWorkflow shares such values between tasks too.

Task data is JSON (it is stored as JSON and handlers' results are checked to be JSON), so values are
compared strictly -- ``1``, ``1.0`` and ``True`` differ -- and copied without ``copy.deepcopy``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any


def same(a: Any, b: Any) -> bool:
    """Equal as JSON values: same types all the way down (``1 == True`` in Python, not in JSON). One walk
    that compares values and their types together, stops at the first difference, and goes no further into
    a value both sides share: a copy of a task's data shares what is inside its dicts (SpiffWorkflow copies
    them one level deep), so the walk seldom goes further than one level. The same answer as Python's ``==``
    with the same types wherever the two do not share a value."""
    if a is b:
        return True
    kind = type(a)
    if kind is not type(b):
        return False
    if kind is dict:
        if len(a) != len(b):
            return False
        for key, value in a.items():
            other = b.get(key, _MISSING)
            if value is not other and (other is _MISSING or not same(value, other)):
                return False
        return True
    if kind is list:
        if len(a) != len(b):
            return False
        for value, other in zip(a, b, strict=True):
            if value is not other and not same(value, other):
                return False
        return True
    return bool(a == b)


_MISSING = object()


def copy(value: Any) -> Any:
    """A deep copy of a JSON value (dicts and lists new, the rest immutable and shared)."""
    if isinstance(value, dict):
        return {key: copy(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [copy(inner) for inner in value]
    return value


class Stored:
    """The dicts and lists written so far in one serialization, with their references: found again by
    identity (a value SpiffWorkflow shares between tasks) or by their JSON text (one it copied, e.g. into a
    join from its branches; the first written with that text). Small ones are not worth a reference.

    A text is worked out only when needed: the values written are kept by a :func:`_shape` (which values
    with the same text share), and only those of the shape of a value looked for are written out to
    compare; most values written are never looked for."""

    MIN_TEXT = 40

    def __init__(self) -> None:
        self._by_id: dict[int, list] = {}
        self._by_shape: dict[tuple, list[tuple[Any, list]]] = {}  # in the order written; keeps each alive
        self._texts: dict[int, str] = {}  # of the values written (kept alive in ``_by_shape``)

    def _text(self, value) -> str:
        text = self._texts.get(id(value))
        if text is None:
            text = self._texts[id(value)] = _json_text(value)
        return text

    def find(self, value) -> list | None:
        found = self._by_id.get(id(value))
        if found is not None:
            return found
        candidates = self._by_shape.get(_shape(value))
        if not candidates:
            return None
        text = _json_text(value)  # not kept: ``value`` may not outlive the serialization, its id may be reused
        if len(text) < self.MIN_TEXT:
            return None
        for candidate, reference in candidates:
            if self._text(candidate) == text:
                return reference
        return None

    def add(self, value, reference: list) -> None:
        if id(value) in self._by_id:  # its text is that of the one written first
            return
        self._by_id[id(value)] = reference
        self._by_shape.setdefault(_shape(value), []).append((value, reference))


_json_text = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _shape(value: dict | list) -> tuple:
    """What two dicts or lists with the same JSON text have in common, cheaper to work out: a dict's keys
    as JSON writes them (``1`` and ``"1"`` alike), a list's length."""
    if not isinstance(value, dict):
        return (len(value),)
    keys = tuple(value)
    try:
        "".join(keys)  # in C: whether every key is a string (as JSON's are)
    except TypeError:  # one is not: as JSON writes it (a number, true, false, null: nothing to escape)
        return tuple(key if isinstance(key, str) else _json_text({key: 0})[2:-4] for key in keys)
    return keys


def diff(base: dict, data: dict, earlier: Stored | None = None) -> dict:
    """The patch that turns ``base`` into ``data`` (``{}``: they are the same). ``earlier``: the dicts and
    lists stored already; a new value that is one of them is written as its reference."""
    patch: dict[str, Any] = {}
    changed: dict[str, Any] = {}
    nested: dict[str, dict] = {}
    references: dict[str, list] = {}
    for key, value in data.items():
        if key in base:
            before = base[key]
            if before is value or same(before, value):
                continue
            if isinstance(before, dict) and isinstance(value, dict):
                nested[key] = diff(before, value, earlier)
                continue
        reference = earlier.find(value) if earlier is not None and isinstance(value, (dict, list)) else None
        if reference is not None:
            references[key] = reference
        else:
            changed[key] = value
    deleted = [key for key in base if key not in data] if data or not base else True  # True: every key
    if changed:
        patch["s"] = changed
    if nested:
        patch["n"] = nested
    if deleted:
        patch["x"] = deleted
    if references:
        patch["r"] = references
    return patch


def stored(patch: dict, path: tuple = ()) -> list[tuple[tuple, Any]]:
    """(path from the data's top, value) of the dicts and lists a patch writes out (not its references),
    and of those right inside them: what a later patch may refer to (a handler's result, a step's notices)."""
    found: list[tuple[tuple, Any]] = []
    _stored_into(found, patch, path)
    return found


def _stored_into(found: list, patch: dict, path: tuple) -> None:
    for key, value in patch.get("s", {}).items():
        if isinstance(value, (dict, list)):
            where = (*path, key)
            found.append((where, value))
            for inner_key, inner in value.items() if isinstance(value, dict) else enumerate(value):
                if isinstance(inner, (dict, list)):
                    found.append(((*where, inner_key), inner))
    for key, inner_patch in patch.get("n", {}).items():
        _stored_into(found, inner_patch, (*path, key))


def apply(base: dict, patch: dict, resolve: Callable[[list], Any] | None = None) -> dict:
    """A new dict: ``base`` with ``patch`` applied, copied as SpiffWorkflow copies a parent's data into its
    child (``DeepMerge.merge``): the dict and each dict or list in it are new, what they hold is shared, and
    every dict on the way to a change is new. ``base`` is left as it was; the patch's values become the new
    dict's (a patch read from JSON is applied once). ``resolve`` gives the value a reference stands for.
    ``base`` was read from JSON too (or made from it here): its dicts and lists are of those exact types."""
    if patch.get("x") is True:
        base = {}
    data = base.copy()
    for key, value in base.items():
        if type(value) in _CONTAINERS:
            data[key] = value.copy()
    _apply_in_place(data, patch, resolve)
    return data


_CONTAINERS = (dict, list)


def _apply_in_place(data: dict, patch: dict, resolve) -> None:
    """``data`` is the caller's own dict; the dicts in it may be shared, and are copied before a change."""
    deleted = patch.get("x", ())
    if deleted is True:
        data.clear()
        deleted = ()
    for key in deleted:
        data.pop(key, None)
    for key, inner in patch.get("n", {}).items():
        target = data.get(key)
        target = dict(target) if isinstance(target, dict) else {}  # not a dict in the base: should not happen
        data[key] = target
        _apply_in_place(target, inner, resolve)
    for key, value in patch.get("s", {}).items():
        data[key] = value
    for key, reference in patch.get("r", {}).items():
        data[key] = resolve(reference)
