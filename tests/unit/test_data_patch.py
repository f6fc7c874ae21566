"""Task data patches (``engine.bpmn.data_patch``) on random nested JSON: ``1``, ``1.0``, ``True``, ``0``,
``0.0`` and ``False`` in the same places, values shared between the two sides or copied, keys reordered.
``same`` says what the JSON texts say; a patch read back from JSON rebuilds the data exactly; ``Stored``
finds a copy by its text, the first one written with it, as a table of every text would."""

from __future__ import annotations

import json
import random
from collections import Counter

import pytest

from engine.bpmn import data_patch

ALIKE = [1, 1.0, True, 0, 0.0, False, None, "1", "true", 2, 2.5, "a longer text: 出生医学证明"]  # == across types
KEYS = ["a", "b", "c", "results", "notices", "1"]
CASES = 400


def text(value) -> str:
    """A JSON value's text, dicts' keys sorted (their order does not matter to ``same``)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def random_value(rng: random.Random, depth: int = 3):
    roll = rng.random()
    if depth and roll < 0.3:
        return {key: random_value(rng, depth - 1) for key in rng.sample(KEYS, rng.randint(0, 4))}
    if depth and roll < 0.45:
        return [random_value(rng, depth - 1) for _ in range(rng.randint(0, 4))]
    return rng.choice(ALIKE)


def variant(rng: random.Random, value, depth: int = 3):
    """``value`` shared, copied one level deep (as SpiffWorkflow copies task data), or changed in place of a
    value or a key: another of the values that are ``==`` across types, a new value, a key dropped or added,
    the keys in another order."""
    roll = rng.random()
    if roll < 0.3:
        return value  # shared
    if isinstance(value, dict):
        items = [(key, variant(rng, inner, depth - 1)) for key, inner in value.items()]
        if rng.random() < 0.2:
            rng.shuffle(items)
        changed = dict(items)
        if rng.random() < 0.1 and changed:
            changed.pop(rng.choice(list(changed)))
        if rng.random() < 0.1:
            changed[rng.choice(KEYS)] = random_value(rng, max(depth - 1, 0))
        return changed
    if isinstance(value, list):
        changed = [variant(rng, inner, depth - 1) for inner in value]
        if rng.random() < 0.1:
            changed.append(random_value(rng, 0))
        return changed
    return rng.choice(ALIKE) if roll < 0.6 else value


def pairs(seed: int):
    rng = random.Random(seed)
    for _ in range(CASES):
        base = {key: random_value(rng) for key in rng.sample(KEYS, rng.randint(0, 5))}
        yield rng, base, variant(rng, base)


@pytest.mark.parametrize("seed", range(5))
def test_same_is_equality_of_the_json_texts(seed):
    verdicts = set()
    for _, a, b in pairs(seed):
        assert data_patch.same(a, b) is (text(a) == text(b)), (a, b)
        assert data_patch.same(b, a) is (text(a) == text(b)), (a, b)
        verdicts.add(text(a) == text(b))
    assert verdicts == {True, False}  # both answers were put to the test


def test_same_tells_the_json_types_apart_where_python_does_not():
    assert not data_patch.same({"a": [1, {"b": True}]}, {"a": [1, {"b": 1}]})
    assert not data_patch.same([0, 1.0], [0.0, 1.0]) and not data_patch.same({"a": False}, {"a": 0})
    assert not data_patch.same({"a": 1}, {"a": 1, "b": 1}) and not data_patch.same({"a": 1, "b": 1}, {"a": 1})
    assert not data_patch.same({"a": 1}, {"b": 1}) and not data_patch.same([1], [1, 1])
    assert data_patch.same({"a": 1, "b": [1.0, True]}, {"b": [1.0, True], "a": 1})  # keys in another order


@pytest.mark.parametrize("seed", range(5))
def test_a_patch_read_back_from_json_rebuilds_the_data_exactly(seed):
    for rng, base, data in pairs(seed):
        earlier = data_patch.Stored()
        written = {"earlier": {key: data_patch.copy(value) for key, value in base.items() if rng.random() < 0.5}}
        for path, value in data_patch.stored({"s": written}):
            earlier.add(value, list(path))
        patch = json.loads(json.dumps(data_patch.diff(base, data, earlier)))

        def resolve(reference, written=written):
            value = written
            for step in reference:
                value = value[step]
            return value

        rebuilt = data_patch.apply(base, patch, resolve)
        assert text(rebuilt) == text(data), (base, data, patch)
        # the child's own dicts and lists, as SpiffWorkflow's copy: changing one leaves the parent's as it was
        containers = [inner for inner in base.values() if isinstance(inner, (dict, list))]
        assert not any(value is inner for value in rebuilt.values() for inner in containers), base
        assert data_patch.same(rebuilt, data)
        assert (patch == {}) is data_patch.same(base, data)


class TextTable:
    """What ``Stored`` answers, as a table of every text written: the first reference written for a text."""

    def __init__(self) -> None:
        self.by_id: dict[int, list] = {}
        self.by_text: dict[str, list] = {}

    def add(self, value, reference) -> None:
        self.by_id.setdefault(id(value), reference)
        value_text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        if len(value_text) >= data_patch.Stored.MIN_TEXT:
            self.by_text.setdefault(value_text, reference)

    def find(self, value):
        if id(value) in self.by_id:
            return self.by_id[id(value)]
        return self.by_text.get(json.dumps(value, ensure_ascii=False, separators=(",", ":")))

    def by_text_only(self, value) -> bool:
        return id(value) not in self.by_id and self.find(value) is not None


@pytest.mark.parametrize("seed", range(5))
def test_stored_finds_what_a_table_of_every_text_finds(seed):
    rng = random.Random(seed)
    found = Counter()
    for _ in range(CASES // 4):
        stored, table = data_patch.Stored(), TextTable()
        values = [random_value(rng, 3) for _ in range(12)]
        values = [value for value in values if isinstance(value, (dict, list))]
        values += [data_patch.copy(value) for value in values[:3]]  # written again, as a copy: the first is found
        for position, value in enumerate(values):
            stored.add(value, [position])
            table.add(value, [position])
            written = values[: position + 1]
            copies = (data_patch.copy(rng.choice(written)), variant(rng, rng.choice(written)), rng.choice(values))
            for candidate in (value, *copies, data_patch.copy(rng.choice(values))):
                if isinstance(candidate, (dict, list)):
                    assert stored.find(candidate) == table.find(candidate), candidate
                    found["by text" if table.by_text_only(candidate) else "by identity or not"] += 1
    assert found["by text"] > 10


def test_a_dict_with_keys_that_json_writes_as_text_is_found_by_its_text():
    stored = data_patch.Stored()
    written = {"1": "a value long enough to be worth a reference", "null": None}
    stored.add(written, [0])
    assert stored.find({1: "a value long enough to be worth a reference", None: None}) == [0]
    assert stored.find({"1": "a value long enough to be worth a reference", "null": 0}) is None
    assert stored.find({"1": "short"}) is None
