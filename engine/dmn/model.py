"""The parsed form of DMN decisions: tables whose cells are compiled FEEL, literal expressions, and the
decisions of a deployment.

Everything here is immutable once parsed, so one parsed deployment is shared by every instance and thread.
``DecisionSet`` maps decision id → :class:`Decision` across all DMN files of a deployment and keeps every
problem found while reading them (``problems`` adds the cross-file ones: unknown or cyclic required
decisions).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Iterator

from engine.errors import Problem
from engine.expressions.feel import FeelExpression, FeelUnaryTests

HIT_POLICIES = frozenset({"UNIQUE", "FIRST", "PRIORITY", "ANY", "COLLECT", "RULE ORDER", "OUTPUT ORDER"})
MULTI_HIT = frozenset({"COLLECT", "RULE ORDER", "OUTPUT ORDER"})
AGGREGATIONS = frozenset({"SUM", "MIN", "MAX", "COUNT"})


@dataclass(frozen=True)
class Input:
    """A table input: its FEEL input expression, typeRef and the name entries may use for the value."""

    id: str
    label: str | None
    text: str
    expression: FeelExpression | None
    type_ref: str | None
    variable: str = "cellInput"

    @property
    def title(self) -> str:
        return self.label or self.text or self.id


@dataclass(frozen=True)
class Output:
    """A table output; ``values`` is the ``<outputValues>`` list (PRIORITY/OUTPUT ORDER rank), or None."""

    id: str
    label: str | None
    name: str
    type_ref: str | None
    values: tuple[Any, ...] | None = None


@dataclass(frozen=True)
class Rule:
    """One row: a compiled unary test per input, a compiled expression (None = empty cell) per output."""

    id: str
    line: int | None
    tests: tuple[FeelUnaryTests | None, ...]
    outputs: tuple[FeelExpression | None, ...]


@dataclass(frozen=True)
class DecisionTable:
    id: str | None
    hit_policy: str
    aggregation: str | None
    inputs: tuple[Input, ...]
    outputs: tuple[Output, ...]
    rules: tuple[Rule, ...]

    @property
    def multi_hit(self) -> bool:
        """Several rules give several results (COLLECT without aggregation, RULE ORDER, OUTPUT ORDER)."""
        return self.hit_policy in MULTI_HIT and self.aggregation is None


@dataclass(frozen=True)
class LiteralExpression:
    """A decision's ``<literalExpression>``: one FEEL expression whose value is the decision's result, named
    by the decision's ``<variable name typeRef>`` (e.g. ``concatenate(a, b)`` over required decisions)."""

    id: str | None
    variable: str
    type_ref: str | None
    text: str
    expression: FeelExpression | None


@dataclass(frozen=True)
class Decision:
    """A ``<decision>`` with its table or literal expression; ``broken`` when a problem was found in it (it
    is never evaluated)."""

    id: str
    name: str | None
    file: str
    line: int | None
    table: DecisionTable | None
    required: tuple[str, ...] = ()
    broken: bool = False
    literal: LiteralExpression | None = None


@dataclass
class DecisionSet(Mapping):
    """The decisions of a deployment by id, and the problems found in its DMN files."""

    _decisions: dict[str, Decision] = field(default_factory=dict)
    _problems: list[Problem] = field(default_factory=list)

    def __getitem__(self, decision_id: str) -> Decision:
        return self._decisions[decision_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._decisions)

    def __len__(self) -> int:
        return len(self._decisions)

    def __repr__(self) -> str:
        return f"DecisionSet({sorted(self._decisions)})"

    def add(self, decision: Decision) -> None:
        existing = self._decisions.get(decision.id)
        if existing is not None:
            self._problems.append(
                Problem(
                    file=decision.file,
                    line=decision.line,
                    element=decision.id,
                    message=f"decision id {decision.id!r} is already defined in {existing.file}",
                )
            )
            return
        self._decisions[decision.id] = decision

    def report(self, problem: Problem) -> None:
        self._problems.append(problem)

    @property
    def problems(self) -> list[Problem]:
        """Problems of every file read, then unknown and cyclic required decisions."""
        return [*self._problems, *self._link_problems()]

    def _link_problems(self) -> list[Problem]:
        problems = []
        for decision in self._decisions.values():
            for required in decision.required:
                if required not in self._decisions:
                    problems.append(
                        Problem(
                            file=decision.file,
                            line=decision.line,
                            element=decision.id,
                            message=f"decision {decision.id!r} requires unknown decision {required!r}",
                        )
                    )
            if cycle := self.cycle_through(decision.id):
                problems.append(
                    Problem(
                        file=decision.file,
                        line=decision.line,
                        element=decision.id,
                        message=f"decision {decision.id!r} requires itself: " + " -> ".join(cycle),
                    )
                )
        return problems

    def cycle_through(self, decision_id: str) -> list[str] | None:
        """The chain of required decisions leading from ``decision_id`` back to itself, if any."""

        def walk(current: str, path: list[str], seen: set[str]) -> list[str] | None:
            decision = self._decisions.get(current)
            for required in decision.required if decision else ():
                if required == decision_id:
                    return [*path, required]
                if required not in seen:
                    seen.add(required)
                    found = walk(required, [*path, required], seen)
                    if found:
                        return found
            return None

        return walk(decision_id, [decision_id], set())
