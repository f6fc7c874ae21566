"""FEEL syntax tree: node dataclasses and the lark parser/transformer that builds them."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedInput, VisitError

from .errors import ExpressionError
from .juel_ast import describe_syntax_error


class Node:
    """Base class of FEEL expression nodes."""

    __slots__ = ()


class Test:
    """Base class of FEEL unary-test nodes."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Lit(Node):
    value: Any


@dataclass(frozen=True, slots=True)
class Name(Node):
    name: str


@dataclass(frozen=True, slots=True)
class InputValue(Node):
    """``?``: the value under test in a unary test."""


@dataclass(frozen=True, slots=True)
class PathE(Node):
    obj: Node
    key: str


@dataclass(frozen=True, slots=True)
class CallE(Node):
    name: str
    args: tuple
    position: int | None = None


@dataclass(frozen=True, slots=True)
class Op(Node):
    """Binary operator: and or eq ne lt le gt ge add sub mul div pow."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Neg(Node):
    operand: Node


@dataclass(frozen=True, slots=True)
class IfE(Node):
    cond: Node
    then: Node
    otherwise: Node


@dataclass(frozen=True, slots=True)
class Between(Node):
    value: Node
    low: Node
    high: Node


@dataclass(frozen=True, slots=True)
class InE(Node):
    value: Node
    tests: tuple


@dataclass(frozen=True, slots=True)
class ListE(Node):
    items: tuple


@dataclass(frozen=True, slots=True)
class ContextE(Node):
    entries: tuple  # ((key, Node), ...)


@dataclass(frozen=True, slots=True)
class NotCall(Node):
    """``not(...)``: logical negation in expressions, negated tests as a whole input entry."""

    tests: tuple


@dataclass(frozen=True, slots=True)
class AnyTest(Test):
    pass


@dataclass(frozen=True, slots=True)
class CmpTest(Test):
    op: str  # lt le gt ge eq ne
    endpoint: Node


@dataclass(frozen=True, slots=True)
class RangeTest(Test):
    low: Node
    low_closed: bool
    high: Node
    high_closed: bool


@dataclass(frozen=True, slots=True)
class ExprTest(Test):
    expr: Node


@dataclass(frozen=True, slots=True)
class NotTest(Test):
    tests: tuple


_STRING_ESCAPES = {'"': '"', "'": "'", "\\": "\\", "n": "\n", "r": "\r", "t": "\t", "/": "/"}


def unquote(token: Token, source: str) -> str:
    body = token.value[token.value.index('"') + 1 : -1]
    out, i = [], 0
    while i < len(body):
        ch = body[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        nxt = body[i + 1]
        if nxt in _STRING_ESCAPES:
            out.append(_STRING_ESCAPES[nxt])
            i += 2
        elif nxt == "u" and len(body) >= i + 6 and all(c in "0123456789abcdefABCDEF" for c in body[i + 2 : i + 6]):
            out.append(chr(int(body[i + 2 : i + 6], 16)))
            i += 6
        else:
            raise ExpressionError(f"Invalid escape sequence '\\{nxt}' in string literal", source, token.start_pos)
    return "".join(out)


def _comparison_rule(op: str):
    """The builder's rule for a unary test comparing with ``op``."""

    def build(self, endpoint):
        return CmpTest(op, _expr(endpoint, self.source))

    return build


def _operation_rule(name: str):
    """The builder's rule for the binary operation ``name``."""

    def build(self, a, b):
        return Op(name, _expr(a, self.source), _expr(b, self.source))

    return build


@v_args(inline=True)
class _Builder(Transformer):
    def __init__(self, source: str, functions):
        super().__init__()
        self.source = source
        self.functions = functions

    # -- entry points
    def start_expression(self, node):
        return _expr(node, self.source)

    def start_unary_tests(self, tests):
        if len(tests) == 1 and isinstance(tests[0], ExprTest) and isinstance(tests[0].expr, NotCall):
            return (NotTest(_finish(tests[0].expr.tests, self.source)),)
        return _finish(tests, self.source)

    def any_input(self):
        return (AnyTest(),)

    # -- unary tests
    def positive_unary_tests(self, *tests):
        return tuple(tests)

    def test_expr(self, node):
        if isinstance(node, Lit) and isinstance(node.value, bool):
            return CmpTest("eq", node)  # a lone boolean literal compares with the input
        return ExprTest(node)

    test_lt, test_le, test_gt, test_ge, test_eq, test_ne = map(_comparison_rule, ("lt", "le", "gt", "ge", "eq", "ne"))

    def range_end(self, tok):
        return tok.value == "]"

    def open_interval(self, low, high, closed):
        return RangeTest(_expr(low, self.source), False, _expr(high, self.source), closed)

    def closed_interval(self, low, high, closed):
        return RangeTest(_expr(low, self.source), True, _expr(high, self.source), closed)

    def tests_one(self, test):
        return (test,)

    def tests_expr(self, node):
        return (ExprTest(_expr(node, self.source)),)

    # -- expressions
    def if_expression(self, c, a, b):
        return IfE(_expr(c, self.source), _expr(a, self.source), _expr(b, self.source))

    or_, and_, eq, ne, lt, le, gt, ge = map(_operation_rule, ("or", "and", "eq", "ne", "lt", "le", "gt", "ge"))
    add, sub, mul, div, pow = map(_operation_rule, ("add", "sub", "mul", "div", "pow"))

    def between(self, v, lo, hi):
        return Between(*(_expr(x, self.source) for x in (v, lo, hi)))

    def in_(self, v, tests):
        return InE(_expr(v, self.source), _finish(tests if isinstance(tests, tuple) else (tests,), self.source))

    def neg(self, x):
        x = _expr(x, self.source)
        if isinstance(x, Lit) and isinstance(x.value, Decimal):
            return Lit(-x.value)
        return Neg(x)

    def path(self, obj, name):
        _check_name(name, self.source)
        return PathE(_expr(obj, self.source), name.value)

    def call(self, name, args=None):
        fname = " ".join(name.value.split())
        spec = self.functions.get(fname)
        if spec is None:
            raise ExpressionError(f"Unknown or disallowed function '{fname}'", self.source, name.start_pos)
        args = tuple(args or ())
        lo, hi = spec[0], spec[1]
        if not lo <= len(args) <= (hi if hi is not None else len(args)):
            expected = f"{lo}" if lo == hi else (f"{lo}..{hi}" if hi is not None else f"at least {lo}")
            raise ExpressionError(
                f"Function '{fname}' expects {expected} argument(s), got {len(args)}", self.source, name.start_pos
            )
        return CallE(fname, args, name.start_pos)

    def arguments(self, *items):
        return [_expr(x, self.source) for x in items]

    def number(self, tok):
        return Lit(Decimal(tok.value))

    def string(self, tok):
        return Lit(unquote(tok, self.source))

    def temporal(self, tok):
        from .feel_builtins import parse_at_literal

        value = parse_at_literal(unquote(tok, self.source))
        if value is None:
            raise ExpressionError(f"Invalid temporal literal {tok.value}", self.source, tok.start_pos)
        return Lit(value)

    def true(self):
        return Lit(True)

    def false(self):
        return Lit(False)

    def null(self):
        return Lit(None)

    def name(self, tok):
        _check_name(tok, self.source)
        return Name(tok.value)

    def input_value(self):
        return InputValue()

    def list(self, *items):
        return ListE(tuple(_expr(x, self.source) for x in items if x is not None))

    def context(self, *entries):
        return ContextE(tuple(e for e in entries if e is not None))

    def context_entry(self, key, value):
        k = unquote(key, self.source) if key.type == "STRING" else key.value
        return (k, _expr(value, self.source))

    def not_call(self, tests):
        return NotCall(tests)


def _check_name(tok: Token, source: str) -> None:
    if tok.value.startswith("__"):  # defence in depth: no dunder names even as dict keys
        raise ExpressionError(f"Names starting with '__' are not allowed: {tok.value!r}", source, tok.start_pos)


def _finish(tests: tuple, source: str) -> tuple:
    """Inside a list of tests, an expression ``not(x)`` is the boolean function."""
    return tuple(ExprTest(_expr(t.expr, source)) if isinstance(t, ExprTest) else t for t in tests)


def _expr(node, source: str) -> Node:
    """Outside a whole input entry, ``not(x)`` is the boolean function."""
    if isinstance(node, NotCall):
        t = node.tests[0] if len(node.tests) == 1 else None
        if not (isinstance(t, ExprTest) or (isinstance(t, CmpTest) and t.op == "eq" and isinstance(t.endpoint, Lit))):
            raise ExpressionError("not(...) takes one boolean expression here", source)
        return CallE("not", (_expr(t.expr, source) if isinstance(t, ExprTest) else t.endpoint,))
    return node


@functools.cache
def _parser() -> Lark:
    grammar = (Path(__file__).parent / "feel.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", lexer="contextual", start=["start_expression", "start_unary_tests"])


def parse(source: str, start: str, functions):
    """Parse FEEL text; ``start`` is 'expression' or 'unary_tests'. Raises ExpressionError."""
    if not isinstance(source, str):
        raise ExpressionError(f"FEEL text must be a string, not {type(source).__name__}", repr(source))
    try:
        tree = _parser().parse(source, start="start_" + start)
    except UnexpectedInput as exc:
        raise describe_syntax_error(exc, source, "FEEL") from None
    try:
        return _Builder(source, functions).transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, (ExpressionError, RecursionError)):
            raise exc.orig_exc from None
        raise
