"""Public FEEL API: ``compile_unary_tests`` (DMN input entries) and ``compile_expression``
(input expressions, output entries), DMN 1.3 FEEL as Camunda 7 evaluates it."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from .errors import ExpressionError, ExpressionEvaluationError
from .feel_ast import AnyTest, parse
from .feel_builtins import FUNCTIONS
from .feel_eval import Env, build, build_tests
from .feel_types import YearsMonths, to_feel, to_python

__all__ = ["compile_expression", "compile_unary_tests", "FeelExpression", "FeelUnaryTests", "YearsMonths"]

_EMPTY: dict = {}
_INTERNAL = (TypeError, ValueError, ArithmeticError, AttributeError, KeyError, IndexError, RecursionError)


class FeelExpression:
    """A compiled FEEL expression; immutable and thread-safe."""

    __slots__ = ("source", "tree", "_fn")

    def __init__(self, source: str, tree):
        self.source = source
        self.tree = tree
        self._fn = build(tree) if tree is not None else (lambda c, e: None)

    def evaluate(
        self, context: Mapping[str, Any] | None = None, *, today: date | None = None, now: datetime | None = None
    ) -> Any:
        """Evaluate against ``context``; ``today``/``now`` pin ``today()``/``now()``.

        Numbers come back as int when integral, else float; durations as timedelta or YearsMonths.
        """
        try:
            return to_python(self._fn(_EMPTY if context is None else context, Env(None, today, now)))
        except ExpressionError:
            raise
        except _INTERNAL as exc:
            raise ExpressionEvaluationError(f"Cannot evaluate FEEL expression: {exc}", self.source) from exc

    def __repr__(self) -> str:
        return f"FeelExpression({self.source!r})"


class FeelUnaryTests:
    """Compiled FEEL unary tests (a decision-table input entry); immutable and thread-safe."""

    __slots__ = ("source", "tests", "is_any", "_fn")

    def __init__(self, source: str, tests: tuple):
        self.source = source
        self.tests = tests
        self.is_any = len(tests) == 1 and isinstance(tests[0], AnyTest)
        self._fn = build_tests(tests)

    def test(
        self,
        value: Any,
        context: Mapping[str, Any] | None = None,
        *,
        today: date | None = None,
        now: datetime | None = None,
    ) -> bool | None:
        """Three-valued result of the tests for ``value`` (None = null)."""
        v = to_feel(value)
        try:
            return self._fn(v, _EMPTY if context is None else context, Env(v, today, now))
        except ExpressionError:
            raise
        except _INTERNAL as exc:
            raise ExpressionEvaluationError(f"Cannot evaluate FEEL unary tests: {exc}", self.source) from exc

    def matches(
        self,
        value: Any,
        context: Mapping[str, Any] | None = None,
        *,
        today: date | None = None,
        now: datetime | None = None,
    ) -> bool:
        """True when ``value`` satisfies the tests (null counts as no match)."""
        return self.test(value, context, today=today, now=now) is True

    def __repr__(self) -> str:
        return f"FeelUnaryTests({self.source!r})"


@functools.lru_cache(maxsize=4096)
def compile_unary_tests(text: str) -> FeelUnaryTests:
    """Parse an input entry; empty text or ``-`` matches anything (as in Camunda)."""
    if isinstance(text, str) and not text.strip():
        return FeelUnaryTests(text, (AnyTest(),))
    try:
        return FeelUnaryTests(text, parse(text, "unary_tests", FUNCTIONS))
    except RecursionError:
        raise ExpressionError("Unary tests are too deeply nested", text) from None


@functools.lru_cache(maxsize=4096)
def compile_expression(text: str) -> FeelExpression:
    """Parse a FEEL expression; empty text evaluates to None (an empty output entry)."""
    if isinstance(text, str) and not text.strip():
        return FeelExpression(text, None)
    try:
        return FeelExpression(text, parse(text, "expression", FUNCTIONS))
    except RecursionError:
        raise ExpressionError("Expression is too deeply nested", text) from None
