"""JUEL interpreter: turns a JUEL syntax tree into nested Python closures over a dict context.

Each node becomes ``f(context, options) -> value``; the tree is walked once at compile
time so evaluation does no dispatching on node types.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from . import el_coercion as el
from .errors import ExpressionError, ExpressionEvaluationError
from .juel_ast import Binary, Call, Literal, Member, Node, Ternary, Unary, Var
from .juel_workdays import workdays


def _now(options):
    now = options.get("now")
    return now if now is not None else datetime.now().astimezone()


# The whitelist: name -> (fewest arguments, most arguments, implementation(options, *args)).
FUNCTIONS: dict[str, tuple[int, int, Callable[..., Any]]] = {
    "now": (0, 0, _now),
    "workdays": (1, 2, workdays),  # due date n working days from now, by a closing time (R5.1, R5.2)
}

_BINARY = {
    "eq": el.eq,
    "ne": el.ne,
    "lt": el.lt,
    "gt": el.gt,
    "le": el.le,
    "ge": el.ge,
    "add": el.add,
    "sub": el.sub,
    "mul": el.mul,
    "div": el.div,
    "mod": el.mod,
}
_to_bool = el.to_boolean


def build(node: Node, source: str):
    """Compile ``node`` into a closure ``f(context, options)``."""
    if isinstance(node, Literal):
        value = node.value
        return lambda c, o: value
    if isinstance(node, Var):
        return _var(node, source)
    if isinstance(node, Member):
        return _member(node, source)
    if isinstance(node, Unary):
        operand = build(node.operand, source)
        fn = {"neg": el.neg, "not": lambda v: not (v if v.__class__ is bool else _to_bool(v)), "empty": el.empty}[
            node.op
        ]
        return lambda c, o: fn(operand(c, o))
    if isinstance(node, Binary):
        return _binary(node, source)
    if isinstance(node, Ternary):
        cond, then, other = build(node.cond, source), build(node.then, source), build(node.otherwise, source)

        def ternary(c, o):
            v = cond(c, o)
            return then(c, o) if (v if v.__class__ is bool else _to_bool(v)) else other(c, o)

        return ternary
    if isinstance(node, Call):
        fewest, most, impl = FUNCTIONS[node.name]
        if not fewest <= len(node.args) <= most:
            arity = fewest if fewest == most else f"{fewest} to {most}"
            raise ExpressionError(f"Function '{node.name}' takes {arity} argument(s)", source)
        args = [build(a, source) for a in node.args]
        return lambda c, o: impl(o, *(a(c, o) for a in args))
    raise TypeError(f"unknown JUEL node {node!r}")  # pragma: no cover


def _var(node: Var, source: str):
    name = node.name

    def var(c, o):
        try:
            return c[name]
        except (KeyError, TypeError):
            raise ExpressionEvaluationError(
                f"Unknown property used in expression: {source}. Cause: Cannot resolve identifier '{name}'",
                source,
                node.position,
            ) from None

    return var


def _member(node: Member, source: str):
    obj = build(node.obj, source)
    if type(node.key) is Literal:
        key = node.key.value

        def const_member(c, o):
            base = obj(c, o)
            if base.__class__ is dict and key.__class__ is str:
                return base.get(key)
            return el.member(base, key)

        return const_member
    keyf = build(node.key, source)
    return lambda c, o: el.member(obj(c, o), keyf(c, o))


def _binary(node: Binary, source: str):
    left, right = build(node.left, source), build(node.right, source)
    if node.op == "and":

        def and_(c, o):
            a = left(c, o)
            if not (a if a.__class__ is bool else _to_bool(a)):
                return False
            b = right(c, o)
            return b if b.__class__ is bool else _to_bool(b)

        return and_
    if node.op == "or":

        def or_(c, o):
            a = left(c, o)
            if a if a.__class__ is bool else _to_bool(a):
                return True
            b = right(c, o)
            return b if b.__class__ is bool else _to_bool(b)

        return or_
    fn = _BINARY[node.op]
    if node.op in ("eq", "ne"):
        negate = node.op == "ne"

        def equality(c, o):
            a, b = left(c, o), right(c, o)
            if a.__class__ is b.__class__ and a.__class__ in (str, bool):
                return (a == b) is not negate
            return fn(a, b)

        return equality
    return lambda c, o: fn(left(c, o), right(c, o))
