"""Compiles SearchParameter FHIRPath expressions into fast Python callables.

https://hl7.org/fhir/R4/searchparameter.html#expression and https://hl7.org/fhirpath/N1/

The R4 search parameters use a small FHIRPath subset. This module compiles it,
once per expression, into closures over plain JSON (``dict``/``list``) that
know the FHIR type of every value from the element definitions:

* dotted paths from the resource type; repeating elements flatten; a choice
  element (``Observation.effective``) reads every ``effectiveXxx`` key, and the
  key's suffix gives the type; backbone elements continue in the element's
  path, ``contentReference`` is followed, and complex types continue in the
  data type (``Patient.name`` → ``HumanName``);
* unions ``|``; ``X as T``, ``X.as(T)`` and ``X.ofType(T)`` (all three filter a
  collection by type, subtypes included, as the R4 search parameters need);
  ``X is T``;
* ``where(criteria)`` with ``=``/``!=``/``and``/``or``/``xor``/``implies``,
  literals, ``exists()``, ``empty()``, ``not()`` and ``resolve() is T``
  (true when the reference names a ``T``; see
  :func:`carehub.fhir_model.values.reference_type`);
* ``extension('url')``, ``first()`` and ``[n]``.

An expression outside the subset is evaluated by fhirpathpy instead
(:mod:`carehub.fhir_model.fhirpath_fallback`); :attr:`CompiledPath.fallback_reason`
says why. Values come back as stored in the JSON; numbers are not converted.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from carehub.errors import Unsupported
from carehub.fhir_model.definitions import Definitions, ElementDef, definitions
from carehub.fhir_model.fhirpath_parse import (
    Binary,
    Call,
    Index,
    Literal,
    Member,
    Node,
    Special,
    TypeOp,
    Variable,
    parse,
)
from carehub.fhir_model.fhirpath_steps import (
    LOGIC,
    Columns,
    StepFn,
    chain_step,
    equal,
    filter_step,
    flat,
    identity,
    member_step,
    truth,
)
from carehub.fhir_model.values import reference_type

#: (FHIR type code, namespace for child look-ups: a type name, an element path or None)
Alt = tuple[str, str | None]
#: ``[(type code, values), ...]`` for one resource
Typed = list[tuple[str, list[Any]]]

_ABSTRACT_RESOURCES = frozenset({"Resource", "DomainResource"})
_BACKBONES = frozenset({"BackboneElement", "Element"})


class OutsideSubset(Unsupported):
    """An expression uses FHIRPath beyond the compiled subset (fhirpathpy evaluates it)."""


class CompiledPath:
    """One compiled expression; call it with a resource.

    Attributes:
        expression: the FHIRPath text.
        base: the resource type the expression is evaluated on.
        types: the static type code of each result column (``None`` for the
            fallback, whose types are found per result).
        root_keys: top-level JSON keys of which at least one must be present
            for a non-empty result, or ``None`` when unknown (always evaluate).
        fallback_reason: why fhirpathpy evaluates this expression, or ``None``
            when it is compiled natively.
        chain: when the expression is a plain path of non-choice elements from
            the resource (``Encounter.participant.individual``), the JSON keys
            read in turn (``("participant", "individual")``); else ``None``.
        keep: with ``chain``, the predicate of a final ``where`` that the
            values must pass (``Encounter.subject.where(resolve() is Patient)``);
            ``None`` when the chain is not filtered.
    """

    __slots__ = (
        "_fn",
        "_typed",
        "base",
        "chain",
        "expression",
        "fallback_reason",
        "keep",
        "root_keys",
        "types",
    )

    def __init__(
        self,
        expression: str,
        base: str,
        *,
        fn: StepFn | None = None,
        types: tuple[str, ...] | None = None,
        root_keys: frozenset[str] | None = None,
        chain: tuple[str, ...] | None = None,
        keep: Callable[[Any], bool] | None = None,
        typed: Callable[[Mapping[str, Any]], Typed] | None = None,
        fallback_reason: str | None = None,
    ) -> None:
        self.expression = expression
        self.base = base
        self.types = types
        self.root_keys = root_keys
        self.chain = chain
        self.keep = keep
        self.fallback_reason = fallback_reason
        self._fn = fn
        self._typed = typed

    @property
    def native(self) -> bool:
        """Whether the expression is compiled natively (no fhirpathpy)."""
        return self.fallback_reason is None

    def columns(self, resource: Mapping[str, Any]) -> Columns:
        """Evaluate a native path: one list of values per entry of :attr:`types`.

        The lists may be the resource's own JSON arrays: read them, never modify them.

        Raises:
            TypeError: the path is evaluated by the fallback (``types`` is ``None``).
        """
        if self._fn is None:
            raise TypeError(f"{self!r} has no static columns")
        return self._fn([[resource]])

    def typed(self, resource: Mapping[str, Any]) -> Typed:
        """Evaluate on ``resource``: ``[(type code, values), ...]``, possibly with empty lists."""
        if self._fn is not None and self.types is not None:
            return list(zip(self.types, self._fn([[resource]]), strict=True))
        assert self._typed is not None
        return self._typed(resource)

    def __call__(self, resource: Mapping[str, Any]) -> list[tuple[Any, str]]:
        """Evaluate on ``resource``: a list of ``(value, FHIR type code)``."""
        return [(v, t) for t, values in self.typed(resource) for v in values]

    def values(self, resource: Mapping[str, Any]) -> list[Any]:
        """Evaluate on ``resource`` and drop the type codes."""
        return [v for _, values in self.typed(resource) for v in values]

    def __repr__(self) -> str:
        how = "native" if self.native else f"fallback: {self.fallback_reason}"
        return f"CompiledPath({self.expression!r} on {self.base}, {how})"


@dataclass(frozen=True, slots=True)
class _C:
    """A compiled sub-expression."""

    fn: StepFn
    alts: tuple[Alt, ...]
    keys: frozenset[str] | None = None
    root: bool = False
    #: JSON keys read from the context item when this is a plain member chain
    chain: tuple[str, ...] | None = None
    #: with ``chain``: the ``where`` predicate its values pass (a filtered chain)
    keep: Callable[[Any], bool] | None = None


def _const(value: Any, alt: Alt) -> _C:
    return _C(lambda ctx: [[value]], (alt,))


class _Compiler:
    def __init__(self, defs: Definitions, base: str) -> None:
        self.defs = defs
        self.base = base

    # ----------------------------------------------------------------- types

    def ns(self, type_code: str) -> str | None:
        kind = self.defs.type_kind(type_code)
        return type_code if kind in ("complex-type", "resource") else None

    def is_a(self, type_code: str, wanted: str) -> bool:
        t: str | None = type_code
        while t is not None:
            if t == wanted:
                return True
            t = self.defs.base_type(t)
        return False

    def element_alts(self, elem: ElementDef, name: str) -> list[tuple[str, Alt]]:
        """``(JSON key, alt)`` pairs an element can appear as."""
        if elem.is_choice:
            return [(name + t[0].upper() + t[1:], (t, self.ns(t))) for t in elem.types]
        if elem.content_reference:
            ref = elem.content_reference.lstrip("#")
            target = self.defs.element(ref)
            if target is None:
                raise OutsideSubset(f"unknown contentReference {ref}")
            if target.types and target.types[0] not in _BACKBONES:
                return [(name, (target.types[0], self.ns(target.types[0])))]
            return [(name, ("BackboneElement", ref))]
        if len(elem.types) != 1:
            raise OutsideSubset(f"element {elem.path} has no single type")
        t = elem.types[0]
        if t in _BACKBONES:
            return [(name, (t, elem.path))]
        return [(name, (t, self.ns(t)))]

    # ----------------------------------------------------------------- nodes

    def compile(self, node: Node, ctx: tuple[Alt, ...], top: bool) -> _C:
        if isinstance(node, Member):
            return self.member(node, ctx, top, None)
        if isinstance(node, Call):
            return self.call(node, ctx, top)
        if isinstance(node, TypeOp):
            if node.op == "as":
                return self.as_type(node.target, node.type_name, ctx, top)
            return self.is_type(self.compile(node.target, ctx, top), node.type_name)
        if isinstance(node, Binary):
            return self.binary(node, ctx, top)
        if isinstance(node, Literal):
            v = node.value
            code = {bool: "boolean", str: "string", int: "integer"}.get(type(v), "decimal")
            return _const(v, (code, None))
        if isinstance(node, Special) and node.text == "{}":
            return _C(lambda c: [[]], (("Element", None),))
        if isinstance(node, Variable) and node.name == "this" and not top:
            return _C(identity, ctx, None, False, ())
        if isinstance(node, Index):
            return self.index(node, ctx, top)
        raise OutsideSubset(f"{type(node).__name__} {node}")

    def target(self, node: Node | None, ctx: tuple[Alt, ...], top: bool) -> _C:
        if node is None:
            return _C(identity, ctx, None, top, ())
        return self.compile(node, ctx, top)

    def member(self, node: Member, ctx: tuple[Alt, ...], top: bool, only: str | None) -> _C:
        if node.target is None and top:
            if node.name == self.base or node.name in _ABSTRACT_RESOURCES:
                root = _C(identity, ctx, None, True, ())
                return self.filter_type(root, only) if only else root
            if self.defs.is_resource_type(node.name):
                return _C(lambda c: [[]], ((node.name, node.name),))
        return self.step(self.target(node.target, ctx, top), node.name, only)

    def step(self, src: _C, name: str, only: str | None) -> _C:
        """Member access ``name`` on the values of ``src``, keeping types ``only`` if given."""
        plans: list[tuple[int, list[tuple[str, int]]]] = []
        out: list[Alt] = []
        for i, (_, ns) in enumerate(src.alts):
            elem = self.defs.children(ns).get(name) if ns else None
            if elem is None:
                continue
            plan: list[tuple[str, int]] = []
            for key, alt in self.element_alts(elem, name):
                if only is not None and not self.is_a(alt[0], only):
                    continue
                if alt not in out:
                    out.append(alt)
                plan.append((key, out.index(alt)))
            plans.append((i, plan))
        if not plans:
            raise OutsideSubset(f"no element '{name}' on {[a[0] for a in src.alts]}")
        keys: frozenset[str] | None = src.keys
        if src.root:
            keys = frozenset(k for _, plan in plans for k, _ in plan)
        if not out:
            return _C(lambda c: [[]], ((only, self.ns(only)) if only else ("Element", None),), keys)
        if (
            src.chain is not None
            and src.keep is None
            and len(out) == 1
            and len(plans) == 1
            and len(plans[0][1]) == 1
        ):
            chain = (*src.chain, plans[0][1][0][0])
            return _C(chain_step(chain), tuple(out), keys, False, chain)
        return _C(member_step(src.fn, plans, len(out)), tuple(out), keys)

    def as_type(self, node: Node, type_name: str, ctx: tuple[Alt, ...], top: bool) -> _C:
        plain = self.compile(node, ctx, top)
        if isinstance(node, Member) and not any(a[0] in _ABSTRACT_RESOURCES for a in plain.alts):
            return self.member(node, ctx, top, type_name)
        return self.filter_type(plain, type_name)

    def filter_type(self, src: _C, type_name: str) -> _C:
        picks: list[tuple[int, str | None]] = []
        alts: list[Alt] = []
        for i, alt in enumerate(src.alts):
            if self.is_a(alt[0], type_name):
                picks.append((i, None))
                alts.append(alt)
            elif alt[0] in _ABSTRACT_RESOURCES and self.is_a(type_name, alt[0]):
                picks.append((i, type_name))
                alts.append((type_name, type_name))
        if not picks:
            return _C(lambda c: [[]], ((type_name, self.ns(type_name)),), src.keys)
        fn = src.fn

        def filtered(ctx: Columns) -> Columns:
            cols = fn(ctx)
            return [
                (
                    cols[i]
                    if rt is None
                    else [v for v in cols[i] if type(v) is dict and v.get("resourceType") == rt]
                )
                for i, rt in picks
            ]

        return _C(filtered, tuple(alts), None if src.root else src.keys)

    def is_type(self, src: _C, type_name: str) -> _C:
        flags = [self.is_a(alt[0], type_name) for alt in src.alts]
        fn = src.fn
        return _C(
            lambda ctx: [[f for f, col in zip(flags, fn(ctx), strict=True) for _ in col]],
            (("boolean", None),),
        )

    def index(self, node: Index, ctx: tuple[Alt, ...], top: bool) -> _C:
        src = self.compile(node.target, ctx, top)
        if not isinstance(node.index, Literal) or type(node.index.value) is not int:
            raise OutsideSubset("indexer is not an integer literal")
        if len(src.alts) != 1:
            raise OutsideSubset("indexer on a collection of several types")
        n, fn = node.index.value, src.fn
        return _C(lambda c: [fn(c)[0][n : n + 1]], src.alts, src.keys)

    def call(self, node: Call, ctx: tuple[Alt, ...], top: bool) -> _C:
        name, args = node.name, node.args
        if name in ("as", "ofType") and len(args) == 1 and isinstance(args[0], Member):
            if node.target is None:
                raise OutsideSubset(f"{name}() without a target")
            return self.as_type(node.target, args[0].name, ctx, top)
        src = self.target(node.target, ctx, top)
        if name == "where" and len(args) == 1:
            return self.where(src, args[0])
        if name == "extension" and len(args) == 1 and isinstance(args[0], Literal):
            url = args[0].value
            ext = self.step(src, "extension", None)
            return _filter(ext, [lambda v: type(v) is dict and v.get("url") == url])
        if name in ("exists", "empty") and len(args) <= 1:
            if args:
                src = self.where(src, args[0])
            fn, want = src.fn, name == "exists"
            return _C(lambda c: [[any(fn(c)) is want]], (("boolean", None),))
        if name == "not" and not args:
            fn = src.fn

            def negate(c: Columns) -> Columns:
                b = truth(fn(c))
                return [[] if b is None else [not b]]

            return _C(negate, (("boolean", None),))
        if name == "first" and not args and len(src.alts) == 1:
            fn = src.fn
            return _C(lambda c: [fn(c)[0][:1]], src.alts, src.keys)
        raise OutsideSubset(f"function {name}() with {len(args)} argument(s)")

    def where(self, src: _C, criteria: Node) -> _C:
        preds = [self.predicate(criteria, alt) for alt in src.alts]
        out = _filter(src, preds)
        keys = None if src.root else src.keys
        if src.chain and src.keep is None and len(preds) == 1:
            return _C(out.fn, out.alts, keys, False, src.chain, preds[0])
        return _C(out.fn, out.alts, keys)

    def predicate(self, crit: Node, alt: Alt) -> Callable[[Any], bool]:
        if (
            isinstance(crit, TypeOp)
            and crit.op == "is"
            and isinstance(crit.target, Call)
            and crit.target.name == "resolve"
            and crit.target.target is None
            and not crit.target.args
        ):
            if alt[0] != "Reference":
                raise OutsideSubset(f"resolve() on {alt[0]}")
            wanted = crit.type_name
            if wanted in _ABSTRACT_RESOURCES:
                return lambda v: reference_type(v) is not None
            return lambda v: reference_type(v) == wanted
        if (
            isinstance(crit, Binary)
            and crit.op == "="
            and isinstance(crit.left, Member)
            and crit.left.target is None
            and isinstance(crit.right, Literal)
            and isinstance(crit.right.value, str)
            and alt[1] is not None
        ):
            elem = self.defs.children(alt[1]).get(crit.left.name)
            if elem is not None and not elem.is_choice and not elem.is_array:
                key, lit = crit.left.name, crit.right.value
                return lambda v: type(v) is dict and v.get(key) == lit
        fn = self.compile(crit, (alt,), False).fn
        return lambda v: truth(fn([[v]])) is True

    def binary(self, node: Binary, ctx: tuple[Alt, ...], top: bool) -> _C:
        left = self.compile(node.left, ctx, top)
        right = self.compile(node.right, ctx, top)
        lf, rf = left.fn, right.fn
        if node.op == "|":
            keys = None
            if left.keys is not None and right.keys is not None:
                keys = left.keys | right.keys
            return _C(lambda c: lf(c) + rf(c), left.alts + right.alts, keys)
        if node.op in ("=", "!="):
            negate = node.op == "!="

            def compare(c: Columns) -> Columns:
                lv, rv = flat(lf(c)), flat(rf(c))
                if not lv or not rv:
                    return [[]]
                same = len(lv) == len(rv) and all(map(equal, lv, rv))
                return [[same is not negate]]

            return _C(compare, (("boolean", None),))
        logic = LOGIC.get(node.op)
        if logic is None:
            raise OutsideSubset(f"operator {node.op}")

        def combine(c: Columns) -> Columns:
            r = logic(truth(lf(c)), truth(rf(c)))
            return [[] if r is None else [r]]

        return _C(combine, (("boolean", None),))


def _filter(src: _C, preds: list[Callable[[Any], bool]]) -> _C:
    return _C(filter_step(src.fn, preds), src.alts, src.keys)


def compile_native(expression: str, base: str, defs: Definitions | None = None) -> CompiledPath:
    """Compile ``expression`` for resources of type ``base`` without any fallback.

    Args:
        expression: a FHIRPath expression in the search-parameter subset.
        base: the resource type it is evaluated on.
        defs: the definitions to use (the packaged R4 ones by default).

    Returns:
        The compiled expression.

    Raises:
        OutsideSubset: the expression is outside the subset.
        carehub.fhir_model.fhirpath_parse.FhirPathSyntaxError: it does not parse.

    >>> path = compile_native("(Observation.value as Quantity)", "Observation")
    >>> path({"resourceType": "Observation", "valueQuantity": {"value": 5}})
    [({'value': 5}, 'Quantity')]
    >>> sorted(path.root_keys)
    ['valueQuantity']
    """
    d = defs or definitions()
    node = parse(expression)
    compiled = _Compiler(d, base).compile(node, ((base, base),), True)
    keys = None if compiled.root else compiled.keys
    types = tuple(alt[0] for alt in compiled.alts)
    chain = compiled.chain if compiled.chain and len(types) == 1 else None
    return CompiledPath(
        expression,
        base,
        fn=compiled.fn,
        types=types,
        root_keys=keys,
        chain=chain,
        keep=compiled.keep if chain else None,
    )


def compile_path(expression: str, base: str) -> CompiledPath:
    """Compile ``expression`` for ``base`` resources, falling back to fhirpathpy.

    Results are cached per ``(expression, base)``. Expressions outside the
    subset are evaluated by fhirpathpy with the R4 model; the returned path's
    ``fallback_reason`` then says why.

    Args:
        expression: a FHIRPath expression.
        base: the resource type it is evaluated on.

    Returns:
        The compiled expression.

    Raises:
        carehub.fhir_model.fhirpath_parse.FhirPathSyntaxError: the text is not FHIRPath.

    >>> compile_path("Patient.telecom.where(system='phone')", "Patient").native
    True
    """
    return _compile_cached(expression, base)


def compile_fallback(expression: str, base: str, reason: str) -> CompiledPath:
    """Wrap fhirpathpy's evaluation of ``expression`` as a :class:`CompiledPath`.

    Args:
        expression: any FHIRPath expression fhirpathpy understands.
        base: the resource type it is evaluated on.
        reason: why the native compiler was not used (kept as ``fallback_reason``).
    """
    # fhirpathpy (and its ANTLR runtime) load only when an expression needs them
    from carehub.fhir_model.fhirpath_fallback import fallback_evaluator

    typed = fallback_evaluator(expression, definitions())
    return CompiledPath(expression, base, typed=typed, fallback_reason=reason)


@functools.cache
def _compile_cached(expression: str, base: str) -> CompiledPath:
    try:
        return compile_native(expression, base)
    except OutsideSubset as exc:
        return compile_fallback(expression, base, reason=str(exc))
