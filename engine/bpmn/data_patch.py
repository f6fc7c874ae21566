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
from collections.abc import Callable, Iterator
from typing import Any


def same(a: Any, b: Any) -> bool:
    """Equal as JSON values: same types all the way down (``1 == True`` in Python, not in JSON). Python's
    ``==`` first (in C: most values that differ differ there), then the types of what is not shared."""
    return a is b or (a == b and _same_types(a, b))


def _same_types(a: Any, b: Any) -> bool:
    """Whether two values that are ``==`` have the same types all the way down."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if type(a) is dict:
        return all(_same_types(value, b[key]) for key, value in a.items())
    if type(a) is list:
        return all(_same_types(x, y) for x, y in zip(a, b, strict=True))
    return True


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
    join from its branches). Small ones are not worth a reference."""

    MIN_TEXT = 40

    def __init__(self) -> None:
        self._by_id: dict[int, list] = {}
        self._by_text: dict[str, list] = {}
        self._texts: dict[int, str] = {}  # every value stays alive while the serialization runs

    def _text(self, value) -> str:
        text = self._texts.get(id(value))
        if text is None:
            text = self._texts[id(value)] = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        return text

    def find(self, value) -> list | None:
        found = self._by_id.get(id(value))
        if found is None:
            text = self._text(value)
            if len(text) >= self.MIN_TEXT:
                found = self._by_text.get(text)
        return found

    def add(self, value, reference: list) -> None:
        self._by_id.setdefault(id(value), reference)
        text = self._text(value)
        if len(text) >= self.MIN_TEXT:
            self._by_text.setdefault(text, reference)


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
            if same(before, value):
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


def stored(patch: dict, path: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    """(path from the data's top, value) of the dicts and lists a patch writes out (not its references),
    and of those right inside them: what a later patch may refer to (a handler's result, a step's notices)."""
    for key, value in patch.get("s", {}).items():
        yield from containers((*path, key), value)
    for key, inner in patch.get("n", {}).items():
        yield from stored(inner, (*path, key))


def containers(path: tuple, value: Any, depth: int = 2) -> Iterator[tuple[tuple, Any]]:
    """(path, value) of ``value`` if it is a dict or a list, and of those inside it down to ``depth``
    levels."""
    if depth and isinstance(value, (dict, list)):
        yield path, value
        for key, inner in value.items() if isinstance(value, dict) else enumerate(value):
            yield from containers((*path, key), inner, depth - 1)


def apply(base: dict, patch: dict, resolve: Callable[[list], Any] | None = None) -> dict:
    """A new dict: ``base`` with ``patch`` applied, copied as SpiffWorkflow copies a parent's data into its
    child (``DeepMerge.merge``): the dict and each dict or list in it are new, what they hold is shared, and
    every dict on the way to a change is new. ``base`` is left as it was; the patch's values become the new
    dict's (a patch read from JSON is applied once). ``resolve`` gives the value a reference stands for."""
    if patch.get("x") is True:
        base = {}
    data = {key: value.copy() if isinstance(value, (dict, list)) else value for key, value in base.items()}
    _apply_in_place(data, patch, resolve)
    return data


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
