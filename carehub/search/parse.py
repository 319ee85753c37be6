"""Turn FHIR search query parameters into a :class:`~carehub.search.model.SearchQuery`.

https://hl7.org/fhir/R4/search.html

Search parameters come from the official R4 SearchParameter definitions
(:func:`carehub.fhir_model.definitions.definitions`); only the types CareHub
indexes are searchable (:data:`SEARCHABLE_TYPES`). Unknown or unsupported
parameters are dropped with a warning (lenient handling) or rejected with
:class:`~carehub.errors.Incorrect` under ``Prefer: handling=strict``. Malformed
values and unknown modifiers are always rejected.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from carehub.errors import Incorrect, did_you_mean
from carehub.fhir_model.definitions import Definitions, SearchParamDef
from carehub.search.model import (
    ChainClause,
    Clause,
    Criterion,
    HasClause,
    Include,
    SearchQuery,
    SortKey,
)
from carehub.search.values_parse import parse_value, split_escaped

#: SearchParameter types that CareHub indexes at write time.
SEARCHABLE_TYPES = frozenset({"string", "token", "date", "number", "quantity", "reference", "uri"})

#: Modifiers accepted per parameter type (``missing`` is accepted everywhere).
MODIFIERS: Mapping[str, frozenset[str]] = {
    "string": frozenset({"exact", "contains"}),
    "token": frozenset({"not", "text"}),
    "date": frozenset(),
    "number": frozenset(),
    "quantity": frozenset(),
    "reference": frozenset(),
    "uri": frozenset({"below", "above"}),
    "id": frozenset({"not"}),
    "lastUpdated": frozenset(),
}

#: Parameters that shape the result rather than select resources.
RESULT_PARAMS = frozenset(
    {
        "_count",
        "_sort",
        "_include",
        "_revinclude",
        "_summary",
        "_elements",
        "_total",
        "_contained",
        "_cursor",
        "_format",
        "_pretty",
    }
)

_SUMMARY = frozenset({"true", "false", "count", "data", "text"})
_TOTAL = frozenset({"none", "estimate", "accurate"})


@dataclass(frozen=True, slots=True)
class ParamInfo:
    """What a parameter code means on one resource type."""

    code: str
    type: str
    targets: tuple[str, ...] = ()


def searchable_params(defs: Definitions, resource_type: str) -> dict[str, ParamInfo]:
    """Every parameter CareHub can search on ``resource_type``, by code.

    ``_id`` and ``_lastUpdated`` are columns of every store; the others are the
    R4 SearchParameters of an indexable type that have an expression.
    """
    out = {
        "_id": ParamInfo("_id", "id"),
        "_lastUpdated": ParamInfo("_lastUpdated", "lastUpdated"),
    }
    for code, sp in defs.search_params(resource_type).items():
        if code in out or sp.type not in SEARCHABLE_TYPES or not sp.expression:
            continue
        out[code] = ParamInfo(code, sp.type, _targets(defs, sp))
    return out


def _targets(defs: Definitions, sp: SearchParamDef) -> tuple[str, ...]:
    if sp.type != "reference":
        return ()
    if sp.target:
        return tuple(t for t in sp.target if t != "Resource")
    return tuple(sorted(defs.resource_types()))


class SearchParser:
    """Parses search requests against the R4 definitions.

    Args:
        defs: the R4 definitions.
        default_count: page size when ``_count`` is absent.
        max_count: the largest page size honoured (larger values are clamped).
    """

    def __init__(self, defs: Definitions, default_count: int = 20, max_count: int = 1000) -> None:
        self.defs = defs
        self.default_count = default_count
        self.max_count = max_count
        self._cache: dict[str, dict[str, ParamInfo]] = {}

    def params(self, resource_type: str) -> dict[str, ParamInfo]:
        """The searchable parameters of a type (cached)."""
        got = self._cache.get(resource_type)
        if got is None:
            got = searchable_params(self.defs, resource_type)
            self._cache[resource_type] = got
        return got

    def parse(
        self,
        resource_type: str | None,
        items: Sequence[tuple[str, str]],
        *,
        strict: bool = False,
    ) -> SearchQuery:
        """Parse query ``items`` (in order, repeats allowed) for ``resource_type``.

        ``resource_type`` None is a system-level search, where only ``_id``,
        ``_lastUpdated`` and the result parameters are understood.

        Raises:
            Incorrect: a malformed value, an unknown modifier, or (when ``strict``)
                an unknown parameter.
        """
        warnings: list[str] = []
        criteria: list[Criterion] = []
        sort: tuple[SortKey, ...] = ()
        includes: list[Include] = []
        count = self.default_count
        cursor = summary = total = contained = None
        elements: tuple[str, ...] = ()
        self_params: list[tuple[str, str]] = []
        for key, raw in items:
            if key != "_cursor":
                self_params.append((key, raw))
            if key == "_count":
                count = self._parse_count(raw)
            elif key == "_cursor":
                cursor = raw
            elif key == "_sort":
                sort = self._parse_sort(resource_type, raw)
            elif key in ("_include", "_revinclude"):
                includes.extend(self._parse_include(resource_type, key, raw))
            elif key == "_summary":
                if raw not in _SUMMARY:
                    raise Incorrect(f"_summary must be one of {sorted(_SUMMARY)}, not '{raw}'")
                summary = raw
            elif key == "_elements":
                elements = tuple(e.strip() for e in raw.split(",") if e.strip())
            elif key == "_total":
                if raw not in _TOTAL:
                    raise Incorrect(f"_total must be one of {sorted(_TOTAL)}, not '{raw}'")
                total = raw
            elif key == "_contained":
                contained = raw
            elif key in ("_format", "_pretty"):
                continue
            else:
                crit = self._criterion(resource_type, key, raw, strict, warnings)
                if crit is not None:
                    criteria.append(crit)
        return SearchQuery(
            resource_type=resource_type,
            criteria=tuple(criteria),
            sort=sort,
            count=count,
            cursor=cursor,
            includes=tuple(includes),
            summary=summary,
            elements=elements,
            total=total,
            contained=contained,
            warnings=tuple(warnings),
            self_params=tuple(self_params),
        )

    # -- result parameters -------------------------------------------------------------
    def _parse_count(self, raw: str) -> int:
        try:
            count = int(raw)
        except ValueError:
            raise Incorrect(f"_count must be a whole number, not '{raw}'") from None
        if count < 0:
            raise Incorrect("_count must not be negative")
        return min(count, self.max_count)

    def _parse_sort(self, resource_type: str | None, raw: str) -> tuple[SortKey, ...]:
        keys: list[SortKey] = []
        for part in raw.split(","):
            part = part.strip()
            if not part:
                continue
            desc = part.startswith("-")
            code = part[1:] if desc else part
            info = self._lookup(resource_type, code)
            if info is None:
                raise Incorrect(
                    f"cannot sort by unknown parameter '{code}'."
                    + did_you_mean(code, self._codes(resource_type))
                )
            keys.append(SortKey(code, info.type, desc))
        return tuple(keys)

    def _parse_include(self, resource_type: str | None, key: str, raw: str) -> list[Include]:
        reverse = key == "_revinclude"
        iterate = False
        text = raw
        if raw == "*":
            if reverse or resource_type is None:
                raise Incorrect(f"{key}=* is only supported for _include on a type")
            text = f"{resource_type}:*"
        parts = text.split(":")
        if parts[-1] == "iterate":
            iterate = True
            parts = parts[:-1]
        if len(parts) not in (2, 3):
            raise Incorrect(f"{key} must be SourceType:param[:TargetType], not '{raw}'")
        source, code = parts[0], parts[1]
        target = parts[2] if len(parts) == 3 else None
        if not self.defs.is_resource_type(source):
            raise Incorrect(
                f"{key}: unknown resource type '{source}'."
                + did_you_mean(source, self.defs.resource_types())
            )
        if code != "*":
            info = self.params(source).get(code)
            if info is None or info.type != "reference":
                raise Incorrect(f"{key}: '{source}:{code}' is not a reference search parameter")
        if target is not None and not self.defs.is_resource_type(target):
            raise Incorrect(f"{key}: unknown target type '{target}'")
        if not reverse and not iterate and resource_type is not None and source != resource_type:
            raise Incorrect(f"_include source type must be {resource_type}, not '{source}'")
        return [Include(source, code, target, reverse, iterate)]

    # -- criteria ----------------------------------------------------------------------
    def _codes(self, resource_type: str | None) -> list[str]:
        if resource_type is None:
            return ["_id", "_lastUpdated"]
        return list(self.params(resource_type))

    def _lookup(self, resource_type: str | None, code: str) -> ParamInfo | None:
        if resource_type is None:
            return {
                "_id": ParamInfo("_id", "id"),
                "_lastUpdated": ParamInfo("_lastUpdated", "lastUpdated"),
            }.get(code)
        return self.params(resource_type).get(code)

    def _unknown(
        self, resource_type: str | None, key: str, strict: bool, warnings: list[str], why: str
    ) -> None:
        msg = f"{why}" + did_you_mean(key.split(":")[0].split(".")[0], self._codes(resource_type))
        if strict:
            raise Incorrect(msg, issue_code="not-supported")
        warnings.append(msg)

    def _criterion(
        self,
        resource_type: str | None,
        key: str,
        raw: str,
        strict: bool,
        warnings: list[str],
    ) -> Criterion | None:
        if key.startswith("_has:"):
            if resource_type is None:
                raise Incorrect("_has needs a resource type")
            return self._has(resource_type, key, raw, strict, warnings)
        name, _, modifier_s = key.partition(":")
        modifier: str | None = modifier_s or None
        chain_rest: str | None = None
        if modifier and "." in modifier:
            modifier, _, chain_rest = modifier.partition(".")
        elif "." in name:
            name, _, chain_rest = name.partition(".")
        info = self._lookup(resource_type, name)
        label = resource_type or "system-level search"
        if info is None:
            known = self.defs.search_params(resource_type) if resource_type else {}
            why = (
                f"search parameter '{name}' of {label} is not supported (type {known[name].type})"
                if name in known
                else f"unknown search parameter '{name}' for {label}"
            )
            self._unknown(resource_type, name, strict, warnings, why)
            return None
        assert resource_type is not None or info.type in ("id", "lastUpdated")
        rtype = resource_type or ""
        if chain_rest is not None:
            return self._chain(rtype, info, modifier, chain_rest, raw, strict, warnings)
        if modifier == "missing":
            if raw not in ("true", "false"):
                raise Incorrect(f"{key} must be true or false, not '{raw}'")
            return Clause(rtype, name, info.type, "missing", (), raw == "true")
        if modifier is not None:
            allowed = MODIFIERS.get(info.type, frozenset())
            is_type_mod = info.type == "reference" and modifier in info.targets
            if modifier not in allowed and not is_type_mod:
                raise Incorrect(
                    f"modifier ':{modifier}' is not supported on {info.type} parameter '{name}'",
                    issue_code="not-supported",
                )
        values = tuple(
            parse_value(name, info.type, part, modifier) for part in split_escaped_or(raw)
        )
        return Clause(rtype, name, info.type, modifier, values)

    def _chain(
        self,
        resource_type: str,
        info: ParamInfo,
        modifier: str | None,
        rest: str,
        raw: str,
        strict: bool,
        warnings: list[str],
    ) -> Criterion | None:
        if info.type != "reference":
            raise Incorrect(f"'{info.code}' is not a reference parameter and cannot be chained")
        if modifier is not None:
            if modifier not in info.targets:
                raise Incorrect(f"'{info.code}' cannot refer to '{modifier}'")
            targets: tuple[str, ...] = (modifier,)
        else:
            inner_code = rest.split(".")[0].split(":")[0]
            targets = tuple(t for t in info.targets if inner_code in self.params(t))
            if len(targets) != 1:
                raise Incorrect(
                    f"chained parameter '{info.code}.{rest}' is ambiguous or unknown; "
                    f"name the target type, e.g. {info.code}:{(targets or info.targets)[0]}.{rest}"
                )
        inner = self._criterion(targets[0], rest, raw, strict, warnings)
        if inner is None:
            return None
        return ChainClause(resource_type, info.code, targets[0], inner)

    def _has(
        self, resource_type: str, key: str, raw: str, strict: bool, warnings: list[str]
    ) -> Criterion | None:
        parts = key.split(":", 3)
        if len(parts) != 4:
            raise Incorrect(f"_has must be _has:Type:reference:parameter, not '{key}'")
        _, source, ref_code, rest = parts
        if not self.defs.is_resource_type(source):
            raise Incorrect(
                f"_has: unknown resource type '{source}'."
                + did_you_mean(source, self.defs.resource_types())
            )
        ref = self.params(source).get(ref_code)
        if ref is None or ref.type != "reference":
            raise Incorrect(f"_has: '{source}:{ref_code}' is not a reference parameter")
        inner = self._criterion(source, rest, raw, strict, warnings)
        if inner is None:
            return None
        return HasClause(resource_type, source, ref_code, inner)


def split_escaped_or(raw: str) -> list[str]:
    """Split a parameter value into its OR-ed alternatives (unescaped commas).

    >>> split_escaped_or("a,b")
    ['a', 'b']
    """
    return split_escaped(raw, ",", keep="|$\\") if "," in raw or "\\" in raw else [raw]
