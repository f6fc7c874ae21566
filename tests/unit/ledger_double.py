"""An in-memory test double of the handlers' ``Ledger`` port (the engine provides the real one)."""

from __future__ import annotations

import copy
import json


class MemoryLedger:
    """In-memory test double of handlers.base.Ledger."""

    def __init__(self) -> None:
        self.records: dict[tuple[str, str], dict] = {}
        self.counters: dict[str, int] = {}

    def recall(self, department, key):
        found = self.records.get((department, key))
        return copy.deepcopy(found) if found is not None else None

    def remember(self, department, key, value):
        if (department, key) in self.records:
            raise KeyError(f"{department}/{key} already stored")
        json.dumps(value)  # the real ledger stores JSON
        self.records[(department, key)] = copy.deepcopy(value)

    def next_number(self, series):
        self.counters[series] = self.counters.get(series, 0) + 1
        return self.counters[series]
