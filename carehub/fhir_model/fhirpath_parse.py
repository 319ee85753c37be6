"""A parser for the FHIRPath expressions of SearchParameter definitions.

https://hl7.org/fhirpath/N1/grammar.html

Search parameters use a small part of FHIRPath: member paths, unions (``|``),
type operators (``is``/``as``), function calls (``where``, ``as``, ``ofType``,
``exists``, ``resolve``, ``extension``), equality and boolean operators,
string/number/boolean literals and indexers. This module turns such an
expression into a tree of the node classes below; the grammar's precedence
levels are kept, so other FHIRPath expressions parse as well, and anything
outside the grammar raises :class:`FhirPathSyntaxError`.
:mod:`carehub.fhir_model.fhirpath_subset` compiles the tree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from carehub.errors import Incorrect


class FhirPathSyntaxError(Incorrect):
    """An expression does not follow the FHIRPath grammar."""


@dataclass(frozen=True, slots=True)
class Literal:
    """A string, boolean or number literal."""

    value: str | bool | Decimal | int


@dataclass(frozen=True, slots=True)
class Variable:
    """``$this`` (name ``this``) or an environment variable such as ``%resource``."""

    name: str


@dataclass(frozen=True, slots=True)
class Member:
    """Member access ``target.name``; ``target`` is ``None`` at the start of a path."""

    target: Node | None
    name: str


@dataclass(frozen=True, slots=True)
class Call:
    """Function call ``target.name(args)``; ``target`` is ``None`` for ``name(args)``."""

    target: Node | None
    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Index:
    """Indexer ``target[index]``."""

    target: Node
    index: Node


@dataclass(frozen=True, slots=True)
class Binary:
    """A binary operator (``|``, ``=``, ``!=``, ``and``, ``or``...)."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class TypeOp:
    """``target is Type`` or ``target as Type``; ``type_name`` without a ``FHIR.`` prefix."""

    op: str
    target: Node
    type_name: str


@dataclass(frozen=True, slots=True)
class Unary:
    """A polarity operator: ``-target`` or ``+target``."""

    op: str
    operand: Node


@dataclass(frozen=True, slots=True)
class Special:
    """A literal kept as text: a date/time (``@2020-01``), a quantity (``4 'mg'``) or ``{}``."""

    text: str


Node = Literal | Variable | Member | Call | Index | Binary | TypeOp | Unary | Special
_CALENDAR_UNITS = frozenset(
    f"{unit}{plural}"
    for unit in ("year", "month", "week", "day", "hour", "minute", "second", "millisecond")
    for plural in ("", "s")
)

_TOKEN_RE = re.compile(
    r"\s*(?:"
    r"(?P<str>'(?:[^'\\]|\\.)*')"
    r"|(?P<date>@[0-9T][0-9:.TZ+\-]*)"
    r"|(?P<num>[0-9]+(?:\.[0-9]+)?)"
    r"|(?P<ident>[A-Za-z_][A-Za-z0-9_]*|`[^`]+`)"
    r"|(?P<var>[$%][A-Za-z_][A-Za-z0-9_]*|%`[^`]+`|%'[^']+')"
    r"|(?P<op>!=|!~|<=|>=|[.()\[\]|=~<>,&+\-*/{}])"
    r")"
)

#: Binary operators by precedence, loosest first (FHIRPath §Operator precedence).
_LEVELS: tuple[tuple[str, ...], ...] = (
    ("implies",),
    ("or", "xor"),
    ("and",),
    ("in", "contains"),
    ("=", "~", "!=", "!~"),
    ("<=", "<", ">", ">="),
    ("|",),
    ("is", "as"),
    ("&", "+", "-"),
    ("*", "/", "div", "mod"),
)
_ESCAPES = {"'": "'", '"': '"', "`": "`", "\\": "\\", "/": "/", "f": "\f", "n": "\n"}
_ESCAPES |= {"r": "\r", "t": "\t"}


def _unescape(body: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt == "u" and i + 5 < len(body):
                out.append(chr(int(body[i + 2 : i + 6], 16)))
                i += 6
                continue
            out.append(_ESCAPES.get(nxt, nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    end = len(text.rstrip())
    while pos < end:
        m = _TOKEN_RE.match(text, pos)
        if m is None or m.end() == pos:
            raise FhirPathSyntaxError(f"FHIRPath: unexpected text at {pos} in '{text}'")
        kind = m.lastgroup
        assert kind is not None
        tokens.append((kind, m.group(kind)))
        pos = m.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.pos = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise FhirPathSyntaxError(f"FHIRPath: unexpected end of '{self.text}'")
        self.pos += 1
        return tok

    def expect(self, op: str) -> None:
        tok = self.take()
        if tok != ("op", op):
            raise FhirPathSyntaxError(f"FHIRPath: expected '{op}', got '{tok[1]}' in '{self.text}'")

    def at_operator(self, ops: tuple[str, ...]) -> str | None:
        tok = self.peek()
        if tok is not None and tok[0] in ("op", "ident") and tok[1] in ops:
            return tok[1]
        return None

    def expression(self, level: int = 0) -> Node:
        if level == len(_LEVELS):
            return self.postfix()
        left = self.expression(level + 1)
        while (op := self.at_operator(_LEVELS[level])) is not None:
            self.take()
            if op in ("is", "as"):
                left = TypeOp(op, left, self.type_name())
            else:
                left = Binary(op, left, self.expression(level + 1))
        return left

    def type_name(self) -> str:
        parts = [self.identifier()]
        while self.peek() == ("op", ".") and self.pos + 1 < len(self.tokens):
            self.take()
            parts.append(self.identifier())
        if parts[0] == "FHIR" and len(parts) == 2:
            return parts[1]
        return ".".join(parts)

    def identifier(self) -> str:
        kind, value = self.take()
        if kind != "ident":
            raise FhirPathSyntaxError(f"FHIRPath: expected a name, got '{value}' in '{self.text}'")
        return value[1:-1] if value.startswith("`") else value

    def postfix(self) -> Node:
        tok = self.peek()
        if tok in (("op", "-"), ("op", "+")):
            self.take()
            return Unary(tok[1], self.postfix())
        node = self.term()
        while True:
            tok = self.peek()
            if tok == ("op", "."):
                self.take()
                node = self.invocation(node)
            elif tok == ("op", "["):
                self.take()
                node = Index(node, self.expression())
                self.expect("]")
            else:
                return node

    def invocation(self, target: Node | None) -> Node:
        name = self.identifier()
        if self.peek() != ("op", "("):
            return Member(target, name)
        self.take()
        args: list[Node] = []
        if self.peek() != ("op", ")"):
            args.append(self.expression())
            while self.peek() == ("op", ","):
                self.take()
                args.append(self.expression())
        self.expect(")")
        return Call(target, name, tuple(args))

    def term(self) -> Node:
        tok = self.peek()
        if tok is None:
            raise FhirPathSyntaxError(f"FHIRPath: unexpected end of '{self.text}'")
        kind, value = tok
        if kind == "str":
            self.take()
            return Literal(_unescape(value[1:-1]))
        if kind == "num":
            self.take()
            unit = self.peek()
            if unit is not None and (
                unit[0] == "str" or (unit[0] == "ident" and unit[1] in _CALENDAR_UNITS)
            ):
                self.take()
                return Special(f"{value} {unit[1]}")
            return Literal(Decimal(value) if "." in value else int(value))
        if kind == "date":
            self.take()
            return Special(value)
        if tok == ("op", "{"):
            self.take()
            self.expect("}")
            return Special("{}")
        if kind == "var":
            self.take()
            return Variable(value[1:].strip("`'"))
        if kind == "ident" and value in ("true", "false"):
            self.take()
            return Literal(value == "true")
        if kind == "ident":
            return self.invocation(None)
        if tok == ("op", "("):
            self.take()
            inner = self.expression()
            self.expect(")")
            return inner
        raise FhirPathSyntaxError(f"FHIRPath: unexpected '{value}' in '{self.text}'")


def parse(text: str) -> Node:
    """Parse a FHIRPath expression into a node tree.

    Args:
        text: the expression, e.g. ``(Observation.value as Quantity)``.

    Returns:
        The root node.

    Raises:
        FhirPathSyntaxError: the text is not a FHIRPath expression.

    >>> node = parse("Patient.telecom.where(system='phone')")
    >>> node.name, node.args[0].op, node.args[0].right
    ('where', '=', Literal(value='phone'))
    >>> parse("(Observation.value as Quantity)").type_name
    'Quantity'
    """
    parser = _Parser(text)
    node = parser.expression()
    rest = parser.peek()
    if rest is not None:
        raise FhirPathSyntaxError(f"FHIRPath: unexpected '{rest[1]}' in '{text}'")
    return node
