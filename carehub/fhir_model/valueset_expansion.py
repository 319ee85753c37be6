"""Expansion of simple R4 value sets into their code lists, for required bindings.

https://hl7.org/fhir/R4/valueset.html#expansion

Only what the R4 definitions themselves allow is expanded: ``compose.include``
of whole code systems (nested concepts included), explicit concept lists,
included value sets and plain concept excludes. Anything else (filters, code
systems that are not in the definitions or not ``complete``, very large sets)
is reported as a reason instead, and CareHub's validator does not check
bindings to such sets.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

#: Value sets with more codes than this are not enumerated (treated as open).
MAX_VALUESET_CODES = 1500


def strip_version(url: str) -> str:
    """Remove a ``|version`` suffix from a canonical URL.

    >>> strip_version("http://hl7.org/fhir/ValueSet/administrative-gender|4.0.1")
    'http://hl7.org/fhir/ValueSet/administrative-gender'
    """
    return url.split("|", 1)[0]


def _concepts(concepts: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    for concept in concepts:
        yield str(concept["code"])
        yield from _concepts(concept.get("concept", ()))


def expand_valueset(
    url: str,
    valuesets: Mapping[str, Mapping[str, Any]],
    codesystems: Mapping[str, Mapping[str, Any]],
    _seen: frozenset[str] = frozenset(),
) -> list[str] | str:
    """Expand a value set into its sorted codes, or return why it cannot be expanded.

    Args:
        url: value-set URL (without version).
        valuesets: value sets by URL.
        codesystems: code systems by URL.

    Returns:
        the sorted list of codes, or a one-line reason (a ``str``) when the set
        uses filters, an unknown or incomplete code system, or is too large.

    >>> nested = [{"code": "a", "concept": [{"code": "b"}]}]
    >>> cs = {"urn:x": {"content": "complete", "concept": nested}}
    >>> vs = {"urn:v": {"compose": {"include": [{"system": "urn:x"}]}}}
    >>> expand_valueset("urn:v", vs, cs)
    ['a', 'b']
    >>> expand_valueset("urn:w", vs, cs)
    'unknown value set'
    >>> both = {"system": "urn:x", "valueSet": ["urn:v"], "concept": [{"code": "b"}]}
    >>> vs["urn:u"] = {"compose": {"include": [both]}}
    >>> expand_valueset("urn:u", vs, cs)
    ['b']
    """
    vs = valuesets.get(url)
    if vs is None:
        return "unknown value set"
    if url in _seen:
        return "circular include"
    compose = vs.get("compose")
    if not compose:
        contains = vs.get("expansion", {}).get("contains")
        if contains:
            return sorted({str(c["code"]) for c in contains if "code" in c})
        return "no compose"
    codes: set[str] = set()
    for include in compose.get("include", ()):
        part = _expand_include(include, valuesets, codesystems, _seen | {url})
        if isinstance(part, str):
            return part
        codes.update(part)
    for exclude in compose.get("exclude", ()):
        if exclude.get("filter") or exclude.get("valueSet") or not exclude.get("concept"):
            return "uses complex excludes"
        codes.difference_update(str(c["code"]) for c in exclude["concept"])
    if len(codes) > MAX_VALUESET_CODES:
        return f"too large ({len(codes)} codes)"
    if not codes:
        return "empty expansion"
    return sorted(codes)


def _expand_include(
    include: Mapping[str, Any],
    valuesets: Mapping[str, Mapping[str, Any]],
    codesystems: Mapping[str, Mapping[str, Any]],
    seen: frozenset[str],
) -> set[str] | str:
    """The codes of one ``compose.include`` (its parts intersect), or why not."""
    if include.get("filter"):
        return "uses filters"
    parts: list[set[str]] = []
    for other in include.get("valueSet", ()):
        sub = expand_valueset(strip_version(other), valuesets, codesystems, seen)
        if isinstance(sub, str):
            return f"includes {strip_version(other)}: {sub}"
        parts.append(set(sub))
    system = include.get("system")
    if system and include.get("concept"):
        parts.append({str(c["code"]) for c in include["concept"]})
    elif system:
        cs = codesystems.get(system)
        if cs is None:
            return f"code system {system} not in the definitions"
        if cs.get("content") != "complete":
            return f"code system {system} content is {cs.get('content')}"
        parts.append(set(_concepts(cs.get("concept", ()))))
    return set.intersection(*parts) if parts else set()
