"""Evaluating a decision as Camunda 7 does: required decisions first, typeRefs, hit policies, aggregations.

A literal expression decision is its FEEL expression evaluated over the same variables (required decisions
included), converted to its variable's typeRef: one result, ``{variable name: value}``.

Input values are the input expressions evaluated as FEEL over the variables, converted to the input's
typeRef; a rule matches when every input entry's unary tests are true for its value (entries may use ``?``
or the ``camunda:inputVariable`` name, default ``cellInput``, and any variable). Output entries of the
matching rules are evaluated and converted to the output's typeRef; an empty output entry leaves that
output out of the rule's result (as in Camunda). ``today()``/``now()`` are pinned to ``now``.

Hit policies: UNIQUE (two matches are an error naming the rules), FIRST, ANY (matches must agree on their
outputs), PRIORITY/OUTPUT ORDER (ranked by each output's ``<outputValues>`` order, first output first;
Camunda 7 itself refuses these two, DMN 1.3 defines them), RULE ORDER, COLLECT, and COLLECT with SUM/MIN/
MAX (no match: no result) or COUNT (no match: 0).

Required decisions (``<informationRequirement>``) are evaluated first, each once. As in Camunda 7, their
outputs are then variables by output name (a single result: name → value; COLLECT/RULE ORDER: name → list
of values); and, as in DMN 1.3 FEEL, the decision's id holds its whole result (see ``DecisionResult.value``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from engine.expressions import ExpressionError

from .model import Decision, DecisionTable, LiteralExpression, Rule
from .types import convert


class DecisionError(Exception):
    """A decision cannot give a result: e.g. UNIQUE with two matching rules, a failed typeRef conversion,
    or a result mapping that does not fit. Names the decision and the rules; never shows variable values."""

    def __init__(self, message: str, decision_id: str | None = None, rule_ids: tuple[str, ...] = ()):
        super().__init__(message)
        self.decision_id = decision_id
        self.rule_ids = tuple(rule_ids)


RESULT_MAPPINGS = ("singleEntry", "singleResult", "collectEntries", "resultList")


@dataclass(frozen=True)
class DecisionResult:
    """The matched rules' outputs (``entries``: one dict output name → value per result, in order).

    Camunda 7's result mappings, and what they give when no rule matched:

    ========================  ==================================================  ===========
    mapping                   gives                                               no match
    ========================  ==================================================  ===========
    ``singleEntry``           the value of the only output of the only result      ``None``
    ``singleResult``          the only result, a dict of its outputs               ``None``
    ``collectEntries``        the values of the only output name, one per result   ``[]``
    ``resultList`` (default)  every result, a list of dicts                        ``[]``
    ========================  ==================================================  ===========

    A mapping that does not fit (``singleResult`` with two results, ``singleEntry`` or ``collectEntries``
    with two outputs) raises :class:`DecisionError`, as Camunda 7 does.
    """

    decision_id: str
    entries: tuple[dict[str, Any], ...]
    rule_ids: tuple[str, ...]
    multi_hit: bool = False

    def result_list(self) -> list[dict[str, Any]]:
        return [dict(entry) for entry in self.entries]

    def single_result(self) -> dict[str, Any] | None:
        if len(self.entries) > 1:
            raise self._misfit("singleResult", f"{len(self.entries)} results")
        return dict(self.entries[0]) if self.entries else None

    def single_entry(self) -> Any:
        if len(self.entries) > 1:
            raise self._misfit("singleEntry", f"{len(self.entries)} results")
        entry = self.entries[0] if self.entries else {}
        if len(entry) > 1:
            raise self._misfit("singleEntry", f"{len(entry)} outputs ({', '.join(entry)})")
        return next(iter(entry.values()), None)

    def collect_entries(self) -> list[Any]:
        names = list(dict.fromkeys(name for entry in self.entries for name in entry))
        if len(names) > 1:
            raise self._misfit("collectEntries", f"{len(names)} outputs ({', '.join(names)})")
        return [entry[names[0]] for entry in self.entries if names[0] in entry] if names else []

    def mapped(self, mapping: str | None) -> Any:
        """The result as ``camunda:mapDecisionResult`` maps it (None means ``resultList``)."""
        mapping = mapping or "resultList"
        if mapping == "singleEntry":
            return self.single_entry()
        if mapping == "singleResult":
            return self.single_result()
        if mapping == "collectEntries":
            return self.collect_entries()
        if mapping == "resultList":
            return self.result_list()
        raise DecisionError(
            f"decision {self.decision_id!r}: unknown result mapping {mapping!r} "
            f"(use one of {', '.join(RESULT_MAPPINGS)})",
            self.decision_id,
        )

    @property
    def value(self) -> Any:
        """The result as one FEEL value: an output's value (or a dict of outputs) per result; a list of
        those for a multi-hit table; None when a single-hit table matched nothing."""
        values = [next(iter(e.values()), None) if len(e) == 1 else dict(e) for e in self.entries]
        if self.multi_hit:
            return values
        return values[0] if values else None

    def _misfit(self, mapping: str, what: str) -> DecisionError:
        return DecisionError(
            f"decision {self.decision_id!r}: result mapping {mapping} does not fit a result with {what}"
            f" (matched rules: {', '.join(self.rule_ids) or 'none'})",
            self.decision_id,
            self.rule_ids,
        )


def evaluate_decision(
    decisions: Mapping[str, Decision], decision_id: str, variables: Mapping[str, Any], *, now: datetime
) -> DecisionResult:
    """Evaluate ``decision_id`` (after the decisions it requires) over ``variables``; raise DecisionError."""
    context = dict(variables)
    order = _evaluation_order(decisions, decision_id)
    result: DecisionResult | None = None
    for current in order:
        result = _evaluate_table(decisions[current], context, now)
        if current != decision_id:
            _publish(result, context)
    assert result is not None, "the order ends with the decision asked for"
    return result


def _evaluation_order(decisions: Mapping[str, Decision], decision_id: str) -> list[str]:
    """Required decisions depth first, each once, ending with ``decision_id``."""
    order: list[str] = []

    def visit(current: str, path: tuple[str, ...]) -> None:
        if current in path:
            raise DecisionError(f"decision {current!r} requires itself: {' -> '.join((*path, current))}", current)
        if current in order:
            return
        decision = decisions.get(current)
        if decision is None:
            required_by = f" (required by {path[-1]!r})" if path else ""
            raise DecisionError(f"unknown decision {current!r}{required_by}", current)
        for required in decision.required:
            visit(required, (*path, current))
        order.append(current)

    visit(decision_id, ())
    return order


def _publish(result: DecisionResult, context: dict[str, Any]) -> None:
    """Make a required decision's result visible to the decisions that need it (see module docstring)."""
    if result.entries:
        if len(result.entries) == 1 and not result.multi_hit:
            context.update(result.entries[0])
        else:
            for name in dict.fromkeys(n for entry in result.entries for n in entry):
                context[name] = [entry[name] for entry in result.entries if name in entry]
    context[result.decision_id] = result.value


def _evaluate_table(decision: Decision, context: dict[str, Any], now: datetime) -> DecisionResult:
    table, literal = decision.table, decision.literal
    if not decision.broken and table is None and literal is not None:
        return _evaluate_literal(decision, literal, context, now)
    if decision.broken or table is None:
        raise DecisionError(f"decision {decision.id!r} has problems and cannot be evaluated", decision.id)
    run = _TableRun(decision, table, context, now)
    matched = [rule for rule in table.rules if run.matches(rule)]
    return run.result(matched)


def _evaluate_literal(
    decision: Decision, literal: LiteralExpression, context: dict[str, Any], now: datetime
) -> DecisionResult:
    if literal.expression is None:  # it did not compile: the decision is broken
        raise DecisionError(f"decision {decision.id!r} has problems and cannot be evaluated", decision.id)
    try:
        value = literal.expression.evaluate(context, today=now.date(), now=now)
    except ExpressionError as err:
        raise DecisionError(f"decision {decision.id!r}: literal expression: {err.message}", decision.id) from None
    try:
        value = convert(value, literal.type_ref)
    except ValueError as err:
        raise DecisionError(f"decision {decision.id!r}: literal expression: {err}", decision.id) from None
    return DecisionResult(decision.id, ({literal.variable: value},), ())


_TOTALS: dict[str, Callable[[list[Any]], Any]] = {"SUM": sum, "MIN": min, "MAX": max}  # COLLECT's aggregations


class _TableRun:
    """One evaluation of one table."""

    def __init__(self, decision: Decision, table: DecisionTable, context: dict[str, Any], now: datetime):
        self.decision = decision
        self.table = table
        self.context = context
        self.clock: dict[str, Any] = {"today": now.date(), "now": now}
        self.cell_context = dict(context)
        self.values = [self._input_value(column) for column in table.inputs]

    def _fail(self, message: str, rule_ids: tuple[str, ...] = ()) -> DecisionError:
        return DecisionError(f"decision {self.decision.id!r}: {message}", self.decision.id, rule_ids)

    def _input_value(self, column) -> Any:
        try:
            raw = column.expression.evaluate(self.context, **self.clock)
        except ExpressionError as err:
            raise self._fail(f"input {column.title!r}: {err.message}") from None
        try:
            return convert(raw, column.type_ref)
        except ValueError as err:
            raise self._fail(f"input {column.title!r}: {err}") from None

    def matches(self, rule: Rule) -> bool:
        for column, value, test in zip(self.table.inputs, self.values, rule.tests, strict=True):
            assert test is not None, "a decision with a cell that did not compile is broken"
            if test.is_any:
                continue
            self.cell_context[column.variable] = value
            try:
                if not test.matches(value, self.cell_context, **self.clock):
                    return False
            except ExpressionError as err:
                raise self._fail(f"rule {rule.id!r}, input {column.title!r}: {err.message}", (rule.id,)) from None
        return True

    def outputs(self, rule: Rule) -> dict[str, Any]:
        entry = {}
        for column, expression in zip(self.table.outputs, rule.outputs, strict=True):
            if expression is None:
                continue
            try:
                entry[column.name] = convert(expression.evaluate(self.context, **self.clock), column.type_ref)
            except ExpressionError as err:
                raise self._fail(f"rule {rule.id!r}, output {column.name!r}: {err.message}", (rule.id,)) from None
            except ValueError as err:
                raise self._fail(f"rule {rule.id!r}, output {column.name!r}: {err}", (rule.id,)) from None
        return entry

    def result(self, matched: list[Rule]) -> DecisionResult:
        policy, ids = self.table.hit_policy, tuple(rule.id for rule in matched)
        if policy == "UNIQUE" and len(matched) > 1:
            raise self._fail(f"hit policy UNIQUE allows one matching rule, but rules {', '.join(ids)} match", ids)
        if policy == "FIRST":
            matched = matched[:1]
        entries = [self.outputs(rule) for rule in matched]
        if policy == "ANY" and any(entry != entries[0] for entry in entries):
            raise self._fail(
                f"hit policy ANY needs matching rules to agree, but rules {', '.join(ids)} give different outputs", ids
            )
        if policy == "ANY":
            matched, entries = matched[:1], entries[:1]
        if policy in ("PRIORITY", "OUTPUT ORDER"):
            ranked = sorted(zip(matched, entries, strict=True), key=lambda pair: self._rank(*pair))
            ranked = ranked[:1] if policy == "PRIORITY" else ranked
            matched, entries = [rule for rule, _ in ranked], [entry for _, entry in ranked]
        if self.table.aggregation:
            return self._aggregate(self.table.aggregation, matched, entries)
        return DecisionResult(
            self.decision.id, tuple(entries), tuple(rule.id for rule in matched), self.table.multi_hit
        )

    def _rank(self, rule: Rule, entry: dict[str, Any]) -> tuple[int, ...]:
        ranks = []
        for column in self.table.outputs:
            if not column.values:
                continue
            value = entry.get(column.name)
            if value is None:
                ranks.append(len(column.values))
            elif value in column.values:
                ranks.append(column.values.index(value))
            else:
                raise self._fail(
                    f"rule {rule.id!r}: the value of output {column.name!r} is not one of its output values", (rule.id,)
                )
        return tuple(ranks)

    def _aggregate(self, aggregation: str, matched: list[Rule], entries: list[dict[str, Any]]) -> DecisionResult:
        output = self.table.outputs[0]
        ids = tuple(rule.id for rule in matched)
        values = [entry[output.name] for entry in entries if output.name in entry]
        if aggregation == "COUNT":
            return DecisionResult(self.decision.id, ({output.name: len(values)},), ids)
        if not values:
            return DecisionResult(self.decision.id, (), ids)
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            raise self._fail(
                f"COLLECT {aggregation} needs numbers, but output {output.name!r} of rules "
                f"{', '.join(ids)} is not always a number",
                ids,
            )
        total = _TOTALS[aggregation](values)
        return DecisionResult(self.decision.id, ({output.name: total},), ids)
