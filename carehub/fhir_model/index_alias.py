"""Search parameters whose index rows are those of other parameters.

https://hl7.org/fhir/R4/searchparameter-registry.html

Many R4 parameters of a resource type index exactly what others of the same
type already index:

* **same**: the same expression (``Patient.phonetic`` and ``Patient.name`` are
  both ``Patient.name``; ``Coverage.patient`` is ``Coverage.beneficiary``);
* **union**: the union of others (``Observation.combo-code`` is
  ``Observation.code | Observation.component.code``, the expressions of
  ``code`` and ``component-code``);
* **typed**: another reference parameter's references to one resource type
  (``Observation.patient`` is ``Observation.subject.where(resolve() is
  Patient)``).

Storing their rows again would add about a quarter to the index rows of a
typical laboratory result (every Observation's codes, values and subject
twice). So an :class:`Alias` is not extracted; a search on it reads the rows
of its ``bases``. A typed alias keeps only the rows its base does not imply:
references whose type is not in the index row's ``target_type`` (an absolute
URL or a conditional reference to a Patient); for a relative reference
``Type/id``, ``resolve() is T`` means ``Type`` is ``T``
(:func:`carehub.fhir_model.values.reference_type`).

Rows stored before an alias was recognised carry its own code; the store's
queries read them too (``carehub.storage.sql.index_params.param_sql`` always
includes the alias's code), so a store written by an earlier CareHub needs
no migration.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

_TYPED = re.compile(r"(?P<base>.+)\.where\(resolve\(\) is (?P<type>[A-Z][A-Za-z]+)\)")
_ABSTRACT = frozenset({"Resource", "DomainResource"})


@dataclass(frozen=True, slots=True)
class Alias:
    """A parameter answered from the index rows of others.

    Attributes:
        code: the parameter.
        bases: the parameters whose rows are its rows.
        target_type: for a typed alias, the resource type the bases' rows
            must point to (``None`` for same and union aliases).
    """

    code: str
    bases: tuple[str, ...]
    target_type: str | None = None


def union_parts(expression: str) -> tuple[str, ...]:
    """The top-level members of a FHIRPath union (``a | (b | c)`` → two members).

    >>> union_parts("(Observation.value as Quantity) | Observation.component.code")
    ('(Observation.value as Quantity)', 'Observation.component.code')
    """
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(expression):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(expression[start:i].strip())
            start = i + 1
    parts.append(expression[start:].strip())
    return tuple(parts)


def find_aliases(params: Mapping[str, tuple[str, str]]) -> dict[str, Alias]:
    """The aliases among one resource type's indexed parameters.

    Args:
        params: code → (search-parameter type, expression for this resource
            type), in the order the parameters are indexed.

    Returns:
        code → :class:`Alias`. Every base is a parameter that is not itself
        an alias. Of parameters with the same expression, the first in
        ``params`` is kept.

    >>> found = find_aliases({
    ...     "code": ("token", "Observation.code"),
    ...     "combo-code": ("token", "Observation.code | Observation.component.code"),
    ...     "component-code": ("token", "Observation.component.code"),
    ...     "subject": ("reference", "Observation.subject"),
    ...     "patient": ("reference", "Observation.subject.where(resolve() is Patient)"),
    ... })
    >>> found["combo-code"].bases, found["patient"]
    (('code', 'component-code'), Alias(code='patient', bases=('subject',), target_type='Patient'))
    """
    aliases: dict[str, Alias] = {}
    first: dict[tuple[str, str], str] = {}
    for code, (ptype, expression) in params.items():
        kept = first.setdefault((ptype, expression), code)
        if kept != code:
            aliases[code] = Alias(code, (kept,))
    for code, (ptype, expression) in params.items():
        typed = _TYPED.fullmatch(expression)
        # ``a | b.where(…)`` filters ``b`` only: a union is never a typed alias
        if code in aliases or ptype != "reference" or typed is None or "|" in expression:
            continue
        base = first.get((ptype, typed["base"]))
        if typed["type"] not in _ABSTRACT and base is not None and base != code:
            aliases[code] = Alias(code, (base,), typed["type"])
    # unions last: a base must be stored whole, never a same or typed alias
    for code, (ptype, expression) in params.items():
        if code in aliases:
            continue
        parts = union_parts(expression)
        if len(parts) < 2:
            continue
        whole = set(parts)
        wanted = set(whole)
        bases = []
        for other, (otype, oexpr) in params.items():
            if other == code or other in aliases or otype != ptype:
                continue
            members = set(union_parts(oexpr))
            if members <= whole and members != whole and members & wanted:
                bases.append(other)
                wanted -= members
        if not wanted and bases:
            aliases[code] = Alias(code, tuple(bases))
    return aliases
