"""The syntax tree of a FHIRPath expression, as written in a ViewDefinition.

https://hl7.org/fhirpath/N1/grammar.html

:mod:`carehub.warehouse.fhirpath.parser` builds these nodes;
:mod:`carehub.warehouse.fhirpath.compile` turns them into the warehouse's
intermediate representation. Every node keeps ``pos``, the offset of its first
character in the source text, so errors can point at the culprit.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Literal:
    """A literal value.

    ``kind`` is ``string``, ``integer``, ``decimal``, ``boolean``, ``date``,
    ``dateTime``, ``time`` or ``empty`` (``{}``); ``text`` is the value as
    written (unquoted and unescaped for strings, without ``@`` for dates).
    """

    kind: str
    text: str
    pos: int = 0


@dataclass(frozen=True, slots=True)
class Member:
    """Member access ``target.name``; ``target`` is ``None`` at the start of a path."""

    target: Node | None
    name: str
    pos: int = 0


@dataclass(frozen=True, slots=True)
class Call:
    """Function call ``target.name(args)``; ``target`` is ``None`` for ``name(args)``."""

    target: Node | None
    name: str
    args: tuple[Node, ...]
    pos: int = 0


@dataclass(frozen=True, slots=True)
class Indexer:
    """Indexer ``target[index]`` (0-based)."""

    target: Node
    index: Node
    pos: int = 0


@dataclass(frozen=True, slots=True)
class Variable:
    """``$this``, ``$index`` (name without ``$``) or an external constant ``%name``.

    ``external`` tells the two apart: ``%rowIndex`` and view constants are external.
    """

    name: str
    external: bool
    pos: int = 0


@dataclass(frozen=True, slots=True)
class Binary:
    """A binary operator (``and``, ``or``, ``=``, ``<``, ``|``, ``+``, ``in``... and the rest)."""

    op: str
    left: Node
    right: Node
    pos: int = 0


@dataclass(frozen=True, slots=True)
class Unary:
    """Unary ``+`` or ``-``."""

    op: str
    operand: Node
    pos: int = 0


@dataclass(frozen=True, slots=True)
class TypeOp:
    """``operand is Type`` or ``operand as Type``."""

    op: str
    operand: Node
    type_name: str
    pos: int = 0


Node = Literal | Member | Call | Indexer | Variable | Binary | Unary | TypeOp
"""Any FHIRPath syntax node."""


def type_specifier(node: Node) -> str | None:
    """The type name a node spells when used as a type specifier, else ``None``.

    ``Quantity``, ``FHIR.Quantity`` and ``System.String`` are type specifiers;
    the ``FHIR.`` prefix is dropped, ``System.`` is kept.

    >>> type_specifier(Member(Member(None, "FHIR"), "Quantity"))
    'Quantity'
    >>> type_specifier(Literal("string", "x")) is None
    True
    """
    if isinstance(node, Member):
        if node.target is None:
            return node.name
        if isinstance(node.target, Member) and node.target.target is None:
            if node.target.name == "FHIR":
                return node.name
            if node.target.name == "System":
                return f"System.{node.name}"
    return None
