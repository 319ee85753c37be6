"""The run-time steps of compiled FHIRPath expressions.

https://hl7.org/fhirpath/N1/#path-selection and https://hl7.org/fhirpath/N1/#boolean-logic

:mod:`carehub.fhir_model.fhirpath_subset` composes these closures. A step
maps *columns* to columns: one list of values per static type alternative
of the sub-expression (``Observation.value`` has one column per ``value[x]``
type), so values never carry their type at run time. The context of an
expression is always one column holding one item (``[[resource]]``, or
``[[item]]`` inside ``where``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: one list of values per static type alternative
Columns = list[list[Any]]
#: a compiled step: context columns in, result columns out
StepFn = Callable[[Columns], Columns]

_SCAN_THRESHOLD = 6


def identity(ctx: Columns) -> Columns:
    """The step of ``$this`` and of the resource itself: the context unchanged.

    >>> identity([[{"id": "1"}]])
    [[{'id': '1'}]]
    """
    return ctx


def flat(cols: Columns) -> list[Any]:
    """All values of all columns, in column order.

    >>> flat([[1, 2], [], ["a"]])
    [1, 2, 'a']
    """
    return [v for col in cols for v in col]


def truth(cols: Columns) -> bool | None:
    """FHIRPath singleton evaluation of a collection as a boolean.

    Returns:
        The boolean of a one-item collection (``True`` for any one non-boolean
        item); ``None`` for an empty collection and, leniently, for several
        items (where FHIRPath would signal an error).

    >>> truth([[False]]), truth([[], ["x"]]), truth([[]]), truth([[True, True]])
    (False, True, None, None)
    """
    items = flat(cols)
    if len(items) != 1:
        return None
    return items[0] if isinstance(items[0], bool) else True


def equal(a: Any, b: Any) -> bool:
    """FHIRPath ``=`` on two JSON values; booleans equal only booleans.

    >>> equal("phone", "phone"), equal(1, True), equal(1, 1.0)
    (True, False, True)
    """
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return bool(a == b)


def _and(a: bool | None, b: bool | None) -> bool | None:
    if a is False or b is False:
        return False
    return None if a is None or b is None else True


def _or(a: bool | None, b: bool | None) -> bool | None:
    if a is True or b is True:
        return True
    return None if a is None or b is None else False


def _xor(a: bool | None, b: bool | None) -> bool | None:
    return None if a is None or b is None else a is not b


def _implies(a: bool | None, b: bool | None) -> bool | None:
    if a is False or b is True:
        return True
    return None if a is None or b is None else False


#: FHIRPath's three-valued ``and``/``or``/``xor``/``implies`` (``None`` is empty)
LOGIC: dict[str, Callable[[bool | None, bool | None], bool | None]] = {
    "and": _and,
    "or": _or,
    "xor": _xor,
    "implies": _implies,
}


def filter_step(fn: StepFn, preds: list[Callable[[Any], bool]]) -> StepFn:
    """Keep the values of each column of ``fn``'s result that its predicate accepts.

    >>> filter_step(identity, [lambda v: v > 1])([[1, 2, 3]])
    [[2, 3]]
    """

    def filtered(ctx: Columns) -> Columns:
        return [[v for v in col if p(v)] for col, p in zip(fn(ctx), preds, strict=True)]

    return filtered


def chain_step(keys: tuple[str, ...]) -> StepFn:
    """Read a chain of non-choice keys from the single context item (``[[item]]``).

    Arrays flatten at every step and JSON ``null`` entries (placeholders
    for primitive extensions) are dropped. The result may be a list of the
    resource itself: callers must not modify it.

    >>> chain_step(("name", "given"))([[{"name": [{"given": ["An", None]}, {"given": ["Bo"]}]}]])
    [['An', 'Bo']]
    """
    if len(keys) == 1:
        (key,) = keys

        def one(ctx: Columns) -> Columns:
            item = ctx[0][0]
            v = item.get(key) if type(item) is dict else None
            if v is None:
                return [[]]
            if type(v) is list:
                return [v if None not in v else [x for x in v if x is not None]]
            return [[v]]

        return one

    def many(ctx: Columns) -> Columns:
        current: list[Any] = ctx[0]
        for key in keys:
            found: list[Any] = []
            for value in current:
                if type(value) is dict:
                    v = value.get(key)
                    if v is None:
                        continue
                    if type(v) is list:
                        found.extend(v)
                    else:
                        found.append(v)
            if not found:
                return [found]
            current = found
        return [current if None not in current else [x for x in current if x is not None]]

    return many


def member_step(src: StepFn, plans: list[tuple[int, list[tuple[str, int]]]], n_out: int) -> StepFn:
    """The step reading JSON keys from each value of the source columns.

    Args:
        src: the step producing the source columns.
        plans: per source column index, ``(JSON key, output column)`` pairs
            (several keys for a choice element such as ``value[x]``).
        n_out: the number of output columns.

    >>> step = member_step(identity, [(0, [("valueQuantity", 0), ("valueString", 1)])], 2)
    >>> step([[{"valueString": "x"}, {"valueQuantity": {"value": 1}}]])
    [[{'value': 1}], ['x']]
    """
    if n_out == 1 and len(plans) == 1 and len(plans[0][1]) == 1:
        i, ((key, _),) = plans[0]

        def single(ctx: Columns) -> Columns:
            out: list[Any] = []
            for value in src(ctx)[i]:
                if type(value) is dict:
                    v = value.get(key)
                    if v is None:
                        continue
                    if type(v) is list:
                        out.extend([x for x in v if x is not None])
                    else:
                        out.append(v)
            return [out]

        return single
    scans = [(i, dict(plan), len(plan) > _SCAN_THRESHOLD) for i, plan in plans]

    def many(ctx: Columns) -> Columns:
        cols = src(ctx)
        out: Columns = [[] for _ in range(n_out)]
        for i, keymap, scan in scans:
            for value in cols[i]:
                if type(value) is not dict:
                    continue
                if scan:
                    pairs = [(k, v) for k, v in value.items() if k in keymap]
                else:
                    pairs = [(k, value[k]) for k in keymap if k in value]
                for k, v in pairs:
                    if v is None:
                        continue
                    if type(v) is list:
                        out[keymap[k]].extend([x for x in v if x is not None])
                    else:
                        out[keymap[k]].append(v)
        return out

    return many
