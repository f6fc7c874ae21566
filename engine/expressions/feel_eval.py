"""FEEL interpreter: compiles FEEL syntax trees into nested closures over a dict context.

Expressions become ``f(context, env) -> value``; unary tests become
``t(input, context, env) -> True/False/None``.  ``env`` carries ``?`` and the pinned clock.
"""

from __future__ import annotations

from collections import ChainMap
from datetime import date, datetime, time, timedelta
from decimal import Decimal, DecimalException

from . import feel_ops as ops
from .feel_ast import (
    AnyTest,
    Between,
    CallE,
    CmpTest,
    ContextE,
    ExprTest,
    IfE,
    InE,
    InputValue,
    ListE,
    Lit,
    Name,
    Neg,
    Node,
    NotTest,
    Op,
    PathE,
    RangeTest,
)
from .feel_builtins import FUNCTIONS
from .feel_types import YearsMonths, to_feel

_D = Decimal


class Env:
    """Per-evaluation state: the input value ``?`` and the pinned ``today()``/``now()``."""

    __slots__ = ("input", "today", "now")

    def __init__(self, input=None, today=None, now=None):
        self.input = input
        self.today = today
        self.now = now

    def with_input(self, value) -> "Env":
        return Env(value, self.today, self.now)


_PROPERTIES = {
    date: {
        "year": lambda v: _D(v.year),
        "month": lambda v: _D(v.month),
        "day": lambda v: _D(v.day),
        "weekday": lambda v: _D(v.isoweekday()),
    },
    time: {"hour": lambda v: _D(v.hour), "minute": lambda v: _D(v.minute), "second": lambda v: _D(v.second)},
    timedelta: {
        "days": lambda v: _D(v.days),
        "hours": lambda v: _D(v.seconds // 3600),
        "minutes": lambda v: _D(v.seconds // 60 % 60),
        "seconds": lambda v: _D(v.seconds % 60),
    },
    YearsMonths: {"years": lambda v: _D(v.years_part), "months": lambda v: _D(v.months_part)},
}
_PROPERTIES[datetime] = {**_PROPERTIES[date], **_PROPERTIES[time]}


def get_path(value, key: str):
    """``value.key``: context entry, list projection or temporal property; null otherwise."""
    cls = value.__class__
    if cls is dict:
        return to_feel(value.get(key))
    if cls is list:
        return [get_path(x, key) for x in value]
    prop = _PROPERTIES.get(cls, {}).get(key)
    return prop(value) if prop is not None else None


_BINARY = {
    "eq": ops.equals,
    "ne": ops.ne,
    "lt": ops.lt,
    "le": ops.le,
    "gt": ops.gt,
    "ge": ops.ge,
    "add": ops.add,
    "sub": ops.sub,
    "mul": ops.mul,
    "div": ops.div,
    "pow": ops.power,
}
_CALL_ERRORS = (TypeError, ValueError, ArithmeticError, DecimalException, AttributeError, IndexError, KeyError)


def build(node: Node):
    """Compile an expression node into ``f(context, env)``."""
    if isinstance(node, Lit):
        value = node.value
        return lambda c, e: value
    if isinstance(node, Name):
        name = node.name
        return lambda c, e: to_feel(c.get(name))
    if isinstance(node, InputValue):
        return lambda c, e: e.input
    if isinstance(node, PathE):
        obj, key = build(node.obj), node.key
        return lambda c, e: get_path(obj(c, e), key)
    if isinstance(node, Op):
        return _op(node)
    if isinstance(node, Neg):
        operand = build(node.operand)
        return lambda c, e: ops.neg(operand(c, e))
    if isinstance(node, IfE):
        cond, then, other = build(node.cond), build(node.then), build(node.otherwise)
        return lambda c, e: then(c, e) if cond(c, e) is True else other(c, e)
    if isinstance(node, Between):
        v, lo, hi = build(node.value), build(node.low), build(node.high)
        return lambda c, e: ops.between(v(c, e), lo(c, e), hi(c, e))
    if isinstance(node, InE):
        v, tests = build(node.value), build_tests(node.tests)
        return lambda c, e: tests(v(c, e), c, e)
    if isinstance(node, ListE):
        items = [build(x) for x in node.items]
        return lambda c, e: [f(c, e) for f in items]
    if isinstance(node, ContextE):
        return _context(node)
    if isinstance(node, CallE):
        return _call(node)
    raise TypeError(f"unknown FEEL node {node!r}")  # pragma: no cover


def _op(node: Op):
    left, right = build(node.left), build(node.right)
    if node.op == "and":

        def and_(c, e):
            a = left(c, e)
            return False if a is False else ops.logical_and(a, right(c, e))

        return and_
    if node.op == "or":

        def or_(c, e):
            a = left(c, e)
            return True if a is True else ops.logical_or(a, right(c, e))

        return or_
    fn = _BINARY[node.op]
    return lambda c, e: fn(left(c, e), right(c, e))


def _context(node: ContextE):
    entries = [(k, build(v)) for k, v in node.entries]

    def context(c, e):
        result: dict = {}
        scope = ChainMap(result, c)
        for key, f in entries:
            result[key] = f(scope, e)
        return result

    return context


def _call(node: CallE):
    impl = FUNCTIONS[node.name][2]
    args = [build(a) for a in node.args]

    def call(c, e):
        try:
            return impl(e, *[a(c, e) for a in args])
        except _CALL_ERRORS:
            return None

    return call


# -- unary tests --------------------------------------------------------------------


def _uses_input(node) -> bool:
    if isinstance(node, InputValue):
        return True
    if isinstance(node, (Node, ExprTest, CmpTest, RangeTest, NotTest)):
        return any(_uses_input(getattr(node, f)) for f in node.__slots__)
    if isinstance(node, tuple):
        return any(_uses_input(x) for x in node)
    return False


def build_test(test):
    """Compile one unary test into ``t(input, context, env)``."""
    cls = test.__class__
    if cls is AnyTest:
        return lambda v, c, e: True
    if cls is CmpTest:
        fn, endpoint = _BINARY[test.op], build(test.endpoint)
        return lambda v, c, e: fn(v, endpoint(c, e))
    if cls is RangeTest:
        lo, hi, lc, hc = build(test.low), build(test.high), test.low_closed, test.high_closed
        return lambda v, c, e: ops.in_range(v, lo(c, e), lc, hi(c, e), hc)
    if cls is NotTest:
        inner = build_tests(test.tests)
        return lambda v, c, e: ops.logical_not(inner(v, c, e))
    if cls is ExprTest:
        return _expr_test(test)
    raise TypeError(f"unknown FEEL test {test!r}")  # pragma: no cover


def _expr_test(test: ExprTest):
    """feel-scala's rule: true -> match; a list containing the input -> match; input = value."""
    f = build(test.expr)
    rebind = _uses_input(test.expr)

    def expr_test(v, c, e):
        if rebind and e.input is not v:
            e = e.with_input(v)
        x = f(c, e)
        if x is True:
            return True
        if x.__class__ is list and ops.contains(x, v):
            return True
        r = ops.equals(v, x)
        if r is True:
            return True
        if x is False or x.__class__ is list:
            return False
        return None if r is None and x is None else (False if r is False else None)

    return expr_test


def build_tests(tests: tuple):
    """A comma-separated list of tests: true if any is true, false if all are false, else null."""
    compiled = [build_test(t) for t in tests]
    if len(compiled) == 1:
        return compiled[0]

    def any_of(v, c, e):
        result: bool | None = False
        for t in compiled:
            r = t(v, c, e)
            if r is True:
                return True
            if r is None:
                result = None
        return result

    return any_of
