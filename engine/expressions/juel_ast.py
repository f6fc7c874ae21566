"""JUEL syntax tree: node dataclasses and the lark parser/transformer that builds them."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from .errors import ExpressionError


class Node:
    """Base class of JUEL syntax-tree nodes."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Literal(Node):
    value: Any


@dataclass(frozen=True, slots=True)
class Var(Node):
    name: str
    position: int | None = None


@dataclass(frozen=True, slots=True)
class Member(Node):
    """``a.b`` (key is a Literal) or ``a[expr]``."""

    obj: Node
    key: Node


@dataclass(frozen=True, slots=True)
class Unary(Node):
    op: str  # "neg" | "not" | "empty"
    operand: Node


@dataclass(frozen=True, slots=True)
class Binary(Node):
    op: str  # and or eq ne lt gt le ge add sub mul div mod
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Ternary(Node):
    cond: Node
    then: Node
    otherwise: Node


@dataclass(frozen=True, slots=True)
class Call(Node):
    name: str
    args: tuple


@dataclass(frozen=True, slots=True)
class Composite(Node):
    """Literal text and ``${...}`` parts; ``parts`` holds str for text and Node for evals."""

    parts: tuple


_ESCAPES = {"\\": "\\", "'": "'", '"': '"'}


def _unquote(token: Token, source: str) -> str:
    body = token.value[1:-1]
    out = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\":
            nxt = body[i + 1]
            if nxt not in _ESCAPES:
                raise ExpressionError(
                    f"Invalid escape sequence '\\{nxt}' in string literal {token.value}", source, token.start_pos
                )
            out.append(_ESCAPES[nxt])
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _check_name(name: Token, source: str) -> None:
    if name.value == "instanceof":
        raise ExpressionError("'instanceof' is reserved and not supported", source, name.start_pos)
    if name.value.startswith("__"):  # defence in depth: no dunder names even as dict keys
        raise ExpressionError(f"Names starting with '__' are not allowed: {name.value!r}", source, name.start_pos)


@v_args(inline=True)
class _Builder(Transformer):
    def __init__(self, source: str, functions):
        super().__init__()
        self.source = source
        self.functions = functions

    def start(self, *parts):
        return Composite(tuple(parts))

    def text(self, tok):
        return tok.value.replace("\\${", "${").replace("\\#{", "#{")

    def dollar_eval(self, node):
        return ("$", node)

    def hash_eval(self, node):
        return ("#", node)

    def ternary(self, c, a, b):
        return Ternary(c, a, b)

    def or_(self, a, b):
        return Binary("or", a, b)

    def and_(self, a, b):
        return Binary("and", a, b)

    def eq(self, a, b):
        return Binary("eq", a, b)

    def ne(self, a, b):
        return Binary("ne", a, b)

    def lt(self, a, b):
        return Binary("lt", a, b)

    def gt(self, a, b):
        return Binary("gt", a, b)

    def le(self, a, b):
        return Binary("le", a, b)

    def ge(self, a, b):
        return Binary("ge", a, b)

    def add(self, a, b):
        return Binary("add", a, b)

    def sub(self, a, b):
        return Binary("sub", a, b)

    def mul(self, a, b):
        return Binary("mul", a, b)

    def div(self, a, b):
        return Binary("div", a, b)

    def mod(self, a, b):
        return Binary("mod", a, b)

    def neg(self, x):
        if isinstance(x, Literal) and type(x.value) in (int, float):
            return Literal(-x.value)
        return Unary("neg", x)

    def not_(self, x):
        return Unary("not", x)

    def empty(self, x):
        return Unary("empty", x)

    def prop(self, obj, name):
        _check_name(name, self.source)
        return Member(obj, Literal(name.value))

    def index(self, obj, key):
        return Member(obj, key)

    def method_call(self, obj, name, args=None):
        raise ExpressionError(f"Method calls are not allowed: '.{name.value}(...)'", self.source, name.start_pos)

    def method_call_index(self, obj, key, args=None):
        raise ExpressionError("Method calls are not allowed: '[...](...)'", self.source)

    def var(self, name):
        _check_name(name, self.source)
        return Var(name.value, name.start_pos)

    def call(self, name, args=None):
        if name.value not in self.functions:
            raise ExpressionError(
                f"Function '{name.value}' is not allowed (allowed: {', '.join(sorted(self.functions))})",
                self.source,
                name.start_pos,
            )
        return Call(name.value, tuple(args or ()))

    def args(self, *items):
        return list(items)

    def true(self):
        return Literal(True)

    def false(self):
        return Literal(False)

    def null(self):
        return Literal(None)

    def integer(self, tok):
        return Literal(int(tok.value))

    def float(self, tok):
        return Literal(float(tok.value))

    def string(self, tok):
        return Literal(_unquote(tok, self.source))


@functools.cache
def _parser() -> Lark:
    grammar = (Path(__file__).parent / "juel.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", lexer="contextual", propagate_positions=False, maybe_placeholders=False)


def describe_syntax_error(exc: UnexpectedInput, source: str, dialect: str) -> ExpressionError:
    """Turn a lark parse exception into an ExpressionError naming the offending text."""
    if isinstance(exc, UnexpectedCharacters):
        pos = exc.pos_in_stream
        assert pos is not None, "lark gives where an unexpected character is"
        return ExpressionError(f"{dialect} syntax error: unexpected character {source[pos]!r}", source, pos)
    if isinstance(exc, UnexpectedEOF) or (isinstance(exc, UnexpectedToken) and exc.token.type == "$END"):
        return ExpressionError(f"{dialect} syntax error: unexpected end of expression", source, len(source))
    if isinstance(exc, UnexpectedToken):
        tok = exc.token
        shown = source[tok.start_pos] if tok.type == "LITERAL_TEXT" else tok.value
        return ExpressionError(f"{dialect} syntax error: unexpected {shown!r}", source, tok.start_pos)
    return ExpressionError(f"{dialect} syntax error", source)


def parse(source: str, functions) -> Composite:
    """Parse JUEL composite text into a Composite node; ``functions`` are the callable names."""
    if not isinstance(source, str):
        raise ExpressionError(f"JUEL expression must be a string, not {type(source).__name__}", repr(source))
    try:
        tree = _parser().parse(source)
    except UnexpectedInput as exc:
        raise describe_syntax_error(exc, source, "JUEL") from None
    try:
        composite = _Builder(source, functions).transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, (ExpressionError, RecursionError)):
            raise exc.orig_exc from None
        raise
    kinds = {p[0] for p in composite.parts if isinstance(p, tuple)}
    if len(kinds) > 1:
        raise ExpressionError("Cannot mix '${...}' and '#{...}' in one expression", source)
    return Composite(tuple(p[1] if isinstance(p, tuple) else p for p in composite.parts))
