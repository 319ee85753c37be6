"""A parser for the FHIRPath expressions of ViewDefinitions.

https://hl7.org/fhirpath/N1/grammar.html

The whole expression grammar is recognised (literals, paths, indexers,
function calls, ``$this``/``%constants``, every operator with the grammar's
precedence); which functions and operators the warehouse can *compile* is
decided later, by :mod:`carehub.warehouse.fhirpath.functions`. Quantity
literals (``5 'mg'``) are not part of the SQL-on-FHIR subset and are rejected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from carehub.errors import Incorrect
from carehub.warehouse.fhirpath.ast import (
    Binary,
    Call,
    Indexer,
    Literal,
    Member,
    Node,
    TypeOp,
    Unary,
    Variable,
)


class FhirPathSyntaxError(Incorrect):
    """The text is not a FHIRPath expression; ``pos`` is the offset of the problem."""

    def __init__(self, message: str, pos: int) -> None:
        super().__init__(f"{message} (at offset {pos})")
        self.pos = pos


@dataclass(frozen=True, slots=True)
class Token:
    """One lexical token: ``kind`` is ``id``, ``string``, ``number``, ``date``, ``var``,
    ``const``, ``op`` or ``end``."""

    kind: str
    text: str
    pos: int


_TOKEN = re.compile(
    r"""
    (?P<ws>\s+|//[^\n]*|/\*.*?\*/)
  | (?P<date>@T?[0-9][0-9:.\-+TZ]*)
  | (?P<number>[0-9]+(?:\.[0-9]+)?)
  | (?P<string>'(?:[^'\\]|\\.)*')
  | (?P<delimited>`(?:[^`\\]|\\.)*`)
  | (?P<var>\$(?:this|index|total))
  | (?P<const>%(?:[A-Za-z_][A-Za-z0-9_]*|`(?:[^`\\]|\\.)*`|'(?:[^'\\]|\\.)*'))
  | (?P<id>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op><=|>=|!=|!~|[-+*/|&=~<>()\[\],.{}])
    """,
    re.VERBOSE | re.DOTALL,
)

_ESCAPES = {"'": "'", '"': '"', "`": "`", "\\": "\\", "/": "/", "f": "\f", "n": "\n"}
_ESCAPES |= {"r": "\r", "t": "\t"}

# Binding power of each binary operator (higher binds tighter), after the grammar.
_BINARY = {
    "implies": 1,
    "or": 2,
    "xor": 2,
    "and": 3,
    "in": 4,
    "contains": 4,
    "=": 5,
    "~": 5,
    "!=": 5,
    "!~": 5,
    "<": 6,
    ">": 6,
    "<=": 6,
    ">=": 6,
    "|": 7,
    "is": 8,
    "as": 8,
    "+": 9,
    "-": 9,
    "&": 9,
    "*": 10,
    "/": 10,
    "div": 10,
    "mod": 10,
}
_UNARY_POWER = 11


def unescape(body: str, pos: int = 0) -> str:
    """Resolve the escapes of a quoted FHIRPath string (quotes already removed).

    >>> unescape(r"it\\'s \\u00e9")
    "it's é"
    """
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        nxt = body[i + 1 : i + 2]
        if nxt == "u" and re.fullmatch(r"[0-9A-Fa-f]{4}", body[i + 2 : i + 6]):
            out.append(chr(int(body[i + 2 : i + 6], 16)))
            i += 6
        elif nxt in _ESCAPES:
            out.append(_ESCAPES[nxt])
            i += 2
        else:
            raise FhirPathSyntaxError(f"invalid escape '\\{nxt}'", pos + i)
    return "".join(out)


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens, ending with an ``end`` token.

    Raises:
        FhirPathSyntaxError: a character that starts no token.

    >>> [t.text for t in tokenize("name.where(use = 'official')")]
    ['name', '.', 'where', '(', 'use', '=', 'official', ')', '']
    """
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise FhirPathSyntaxError(f"unexpected character {text[pos]!r}", pos)
        kind = match.lastgroup or ""
        raw = match.group()
        if kind == "string":
            tokens.append(Token("string", unescape(raw[1:-1], pos + 1), pos))
        elif kind == "delimited":
            tokens.append(Token("id", unescape(raw[1:-1], pos + 1), pos))
        elif kind == "const":
            name = raw[1:]
            if name[:1] in "`'":
                name = unescape(name[1:-1], pos + 2)
            tokens.append(Token("const", name, pos))
        elif kind != "ws":
            tokens.append(Token(kind, raw, pos))
        pos = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


class _Parser:
    """A Pratt parser over the token list."""

    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.i = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def expect(self, text: str) -> Token:
        tok = self.take()
        if tok.kind != "op" or tok.text != text:
            shown = tok.text or "end of expression"
            raise FhirPathSyntaxError(f"expected '{text}' but found '{shown}'", tok.pos)
        return tok

    def binary_op(self) -> str | None:
        tok = self.tok
        if tok.kind in ("op", "id") and tok.text in _BINARY:
            return tok.text
        return None

    def expression(self, min_power: int = 0) -> Node:
        left = self.prefix()
        while True:
            op = self.binary_op()
            if op is None or _BINARY[op] <= min_power:
                return left
            tok = self.take()
            if op in ("is", "as"):
                left = TypeOp(op, left, self.qualified_name(), tok.pos)
            else:
                left = Binary(op, left, self.expression(_BINARY[op]), tok.pos)

    def qualified_name(self) -> str:
        tok = self.take()
        if tok.kind != "id":
            raise FhirPathSyntaxError("expected a type name", tok.pos)
        name = tok.text
        while self.tok.kind == "op" and self.tok.text == ".":
            self.take()
            nxt = self.take()
            if nxt.kind != "id":
                raise FhirPathSyntaxError("expected a type name", nxt.pos)
            name = f"{name}.{nxt.text}"
        return name

    def prefix(self) -> Node:
        tok = self.tok
        if tok.kind == "op" and tok.text in ("+", "-"):
            self.take()
            return Unary(tok.text, self.expression(_UNARY_POWER), tok.pos)
        return self.postfix(self.term())

    def term(self) -> Node:
        tok = self.take()
        if tok.kind == "string":
            return Literal("string", tok.text, tok.pos)
        if tok.kind == "number":
            if self.tok.kind == "string" or (self.tok.kind == "id" and _is_unit(self.tok.text)):
                raise FhirPathSyntaxError("quantity literals are not supported", tok.pos)
            kind = "decimal" if "." in tok.text else "integer"
            return Literal(kind, tok.text, tok.pos)
        if tok.kind == "date":
            return _date_literal(tok)
        if tok.kind == "var":
            return Variable(tok.text[1:], False, tok.pos)
        if tok.kind == "const":
            return Variable(tok.text, True, tok.pos)
        if tok.kind == "id":
            if tok.text in ("true", "false"):
                return Literal("boolean", tok.text, tok.pos)
            return self.member_or_call(None, tok)
        if tok.kind == "op" and tok.text == "(":
            inner = self.expression()
            self.expect(")")
            return inner
        if tok.kind == "op" and tok.text == "{":
            self.expect("}")
            return Literal("empty", "", tok.pos)
        shown = tok.text or "end of expression"
        raise FhirPathSyntaxError(f"unexpected '{shown}'", tok.pos)

    def member_or_call(self, target: Node | None, name_tok: Token) -> Node:
        if self.tok.kind == "op" and self.tok.text == "(":
            self.take()
            args: list[Node] = []
            if not (self.tok.kind == "op" and self.tok.text == ")"):
                args.append(self.expression())
                while self.tok.kind == "op" and self.tok.text == ",":
                    self.take()
                    args.append(self.expression())
            self.expect(")")
            return Call(target, name_tok.text, tuple(args), name_tok.pos)
        return Member(target, name_tok.text, name_tok.pos)

    def postfix(self, node: Node) -> Node:
        while self.tok.kind == "op" and self.tok.text in (".", "["):
            tok = self.take()
            if tok.text == "[":
                index = self.expression()
                self.expect("]")
                node = Indexer(node, index, tok.pos)
                continue
            name = self.take()
            if name.kind != "id":
                shown = name.text or "end of expression"
                raise FhirPathSyntaxError(f"expected a name after '.', found '{shown}'", name.pos)
            node = self.member_or_call(node, name)
        return node


def _is_unit(word: str) -> bool:
    return word in {
        "year", "years", "month", "months", "week", "weeks", "day", "days", "hour", "hours",
        "minute", "minutes", "second", "seconds", "millisecond", "milliseconds",
    }  # fmt: skip


def _date_literal(tok: Token) -> Literal:
    text = tok.text[1:]
    if text.startswith("T"):
        return Literal("time", text[1:], tok.pos)
    if re.fullmatch(r"[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?", text):
        return Literal("date", text, tok.pos)
    if re.fullmatch(r"[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?T[0-9:.\-+Z]*", text):
        return Literal("dateTime", text, tok.pos)
    raise FhirPathSyntaxError(f"invalid date/time literal '@{text}'", tok.pos)


def parse(text: str) -> Node:
    """Parse one FHIRPath expression.

    Raises:
        FhirPathSyntaxError: the text is not a FHIRPath expression.

    >>> parse("name.given.join(', ')")
    Call(target=Member(target=Member(target=None, name='name', pos=0), name='given', pos=5), \
name='join', args=(Literal(kind='string', text=', ', pos=16),), pos=11)
    >>> parse("@@")
    Traceback (most recent call last):
    ...
    carehub.warehouse.fhirpath.parser.FhirPathSyntaxError: unexpected character '@' (at offset 0)
    """
    if not isinstance(text, str) or not text.strip():
        raise FhirPathSyntaxError("empty expression", 0)
    parser = _Parser(text)
    node = parser.expression()
    if parser.tok.kind != "end":
        raise FhirPathSyntaxError(f"unexpected '{parser.tok.text}'", parser.tok.pos)
    return node
