"""Public JUEL API: ``compile(text) -> JuelExpression`` for Camunda 7 ``${...}`` expressions."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from . import el_coercion as el
from .errors import ExpressionError, ExpressionEvaluationError
from .juel_ast import Binary, Call, Composite, Member, Node, Ternary, Unary, Var, parse
from .juel_eval import FUNCTIONS, build

__all__ = ["compile", "JuelExpression"]

_EMPTY: dict = {}


class JuelExpression:
    """A parsed JUEL composite expression; immutable and safe to share between threads."""

    __slots__ = ("source", "is_literal", "tree", "_fn")

    def __init__(self, source: str, tree: Composite):
        self.source = source
        self.tree = tree
        evals = [p for p in tree.parts if isinstance(p, Node)]
        self.is_literal = not evals
        if self.is_literal:
            text = "".join(tree.parts)
            self._fn = lambda c, o: text
        elif len(tree.parts) == 1:
            self._fn = build(tree.parts[0], source)
        else:
            pieces = [build(p, source) if isinstance(p, Node) else (lambda c, o, t=p: t) for p in tree.parts]
            to_string = el.to_string
            self._fn = lambda c, o: "".join(to_string(f(c, o)) for f in pieces)

    def evaluate(self, context: Mapping[str, Any] | None = None, *, now=None, calendar=None) -> Any:
        """Evaluate against ``context`` (variables); ``now`` pins the value of ``now()``, ``calendar`` is the
        working-day calendar ``workdays()`` counts on (anything with ``due_moment(now, n, closing)``)."""
        options = _EMPTY if now is None and calendar is None else {"now": now, "calendar": calendar}
        try:
            return self._fn(_EMPTY if context is None else context, options)
        except ExpressionError as exc:
            if exc.expression is None:
                exc.expression = self.source
            raise
        except (TypeError, ValueError, ArithmeticError, RecursionError) as exc:
            raise ExpressionEvaluationError(f"Cannot evaluate: {exc}", self.source) from exc

    @property
    def variables(self) -> frozenset[str]:
        """Top-level variable names the expression reads."""
        names: set[str] = set()
        stack = [p for p in self.tree.parts if isinstance(p, Node)]
        while stack:
            n = stack.pop()
            if isinstance(n, Var):
                names.add(n.name)
            elif isinstance(n, Member):
                stack += [n.obj, n.key]
            elif isinstance(n, Unary):
                stack.append(n.operand)
            elif isinstance(n, Binary):
                stack += [n.left, n.right]
            elif isinstance(n, Ternary):
                stack += [n.cond, n.then, n.otherwise]
            elif isinstance(n, Call):
                stack += list(n.args)
        return frozenset(names)

    def __repr__(self) -> str:
        return f"JuelExpression({self.source!r})"


@functools.lru_cache(maxsize=2048)
def compile(text: str) -> JuelExpression:  # noqa: A001 - public API name
    """Parse JUEL composite text once; raises ExpressionError on anything outside the dialect."""
    try:
        return JuelExpression(text, parse(text, FUNCTIONS))
    except RecursionError:
        raise ExpressionError("Expression is too deeply nested", text) from None
