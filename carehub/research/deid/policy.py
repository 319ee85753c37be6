"""De-identification policies: versioned data (YAML or JSON) naming every rule an extract applies.

https://www.hhs.gov/hipaa/for-professionals/privacy/special-topics/de-identification/
(the Safe Harbor identifiers and expert determination) and
https://doi.org/10.1142/S0218488502001648 (k-anonymity)

A policy file holds: ``name`` and ``version``; ``dates`` (``shift``: a
per-patient offset of up to ``max_shift_days``, which keeps every interval
exactly; ``year``: dates generalised to their year); ``age.top_code``;
``k_anonymity`` (``k``, the ``quasi_identifiers`` among ``age_band``, ``sex``,
``province`` and ``admission_year``, ``max_suppression`` and the
``generalisation`` levels tried for each); ``rare_codes``; ``aggregates.min_cell``;
``regions`` (province → region, the coarser level of ``province``);
``patient_view``; and ``views``: for each warehouse view, the rule of each
column it releases (:data:`COLUMN_RULES`). Columns a policy does not list are
dropped. ``extends: <shipped policy>`` starts from a shipped policy and
merges the keys given into it (mappings key by key, other values replaced).

Failure modes: every problem raises :class:`~carehub.errors.Incorrect` naming
the policy and the JSON path of the bad value (``expression`` carries the path).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import orjson
import yaml  # type: ignore[import-untyped]

from carehub.errors import Incorrect, NotFound, did_you_mean

COLUMN_RULES: dict[str, str] = {
    "keep": "released unchanged",
    "research_id": "patient key replaced by the project's keyed pseudonym (HMAC-SHA256)",
    "record_id": "record key replaced by a keyed digest (same key, same digest, within a project)",
    "date": "date shifted by the patient's offset, or generalised to the year (see `dates`)",
    "drop": "removed (direct identifier or quasi-identifier not released)",
    "free_text": "removed (free text may hold identifiers)",
}
"""What each column rule does."""

QUASI_IDENTIFIERS = ("age_band", "sex", "province", "admission_year")
"""The quasi-identifiers an extract can release and check."""

DATE_MODES = ("shift", "year")
RARE_METHODS = ("truncate", "suppress")
POLICIES_PACKAGE = "carehub.research.policies"


@dataclass(frozen=True, slots=True)
class RareCodeRule:
    """Generalisation of codes held by fewer than ``min_patients`` patients.

    ``truncate`` keeps the first ``length`` characters (an ICD-10 code's
    category), and suppresses the result if still rare; ``suppress`` blanks
    the code. ``clear`` columns (a display) are blanked wherever the code changed.
    """

    view: str
    column: str
    method: str
    length: int
    clear: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DeidPolicy:
    """A validated de-identification policy; ``raw`` is the data it was read from."""

    name: str
    version: str
    description: str
    dates: str
    max_shift_days: int
    top_code: int
    k: int
    quasi_identifiers: tuple[str, ...]
    max_suppression: float
    generalisation: dict[str, tuple[Any, ...]]
    rare_min_patients: int
    rare_codes: tuple[RareCodeRule, ...]
    min_cell: int
    regions: dict[str, str]
    patient_view: str
    views: dict[str, dict[str, str]]
    raw: dict[str, Any] = field(repr=False)

    @property
    def digest(self) -> str:
        """SHA-256 of the policy's canonical JSON: the exact rules, for the README."""
        text = orjson.dumps(self.raw, option=orjson.OPT_SORT_KEYS)
        return hashlib.sha256(text).hexdigest()

    def levels(self, qi: str) -> tuple[Any, ...]:
        """The generalisation levels of quasi-identifier ``qi``, finest first."""
        return self.generalisation[qi]


def shipped_policies() -> list[str]:
    """Names of the policies shipped with CareHub.

    >>> "default" in shipped_policies()
    True
    """
    folder = resources.files(POLICIES_PACKAGE)
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def _read_shipped(name: str) -> dict[str, Any]:
    if name not in shipped_policies():
        raise NotFound(
            f"no shipped policy named '{name}'." + did_you_mean(name, shipped_policies())
        )
    text = resources.files(POLICIES_PACKAGE).joinpath(f"{name}.yaml").read_text(encoding="utf-8")
    return _parse_text(text, f"policy '{name}'")


def _parse_text(text: str, where: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise Incorrect(f"{where} is not valid YAML/JSON{at}") from None
    if not isinstance(data, dict):
        raise Incorrect(f"{where} must be a mapping of settings, not {type(data).__name__}")
    return data


def load_policy(source: Path | Mapping[str, Any] | str) -> DeidPolicy:
    """The policy in file ``source`` (YAML/JSON), in mapping ``source``, or shipped as ``source``.

    >>> policy = load_policy("default")
    >>> policy.name, policy.k, policy.quasi_identifiers
    ('default', 5, ('age_band', 'sex', 'province', 'admission_year'))
    >>> load_policy({"extends": "default", "k_anonymity": {"k": "five"}})
    Traceback (most recent call last):
    ...
    carehub.errors.Incorrect: policy: k_anonymity.k must be an integer >= 2, not 'five'

    Raises:
        NotFound: no such shipped policy (with a suggestion).
        Incorrect: the file cannot be read or parsed, or a value is wrong
            (the message names the JSON path).
    """
    if isinstance(source, Path):
        where = f"policy file {source}"
        try:
            text = source.read_text(encoding="utf-8")
        except OSError as exc:
            raise Incorrect(f"cannot read {where}: {exc.strerror or exc}") from None
        data = _parse_text(text, where)
    elif isinstance(source, str):
        where = f"policy '{source}'"
        data = _read_shipped(source)
    else:
        where = "policy"
        data = dict(source)
    base = data.get("extends")
    if base is not None:
        if not isinstance(base, str):
            raise Incorrect(f"{where}: extends must name a shipped policy", expression="extends")
        data = merge(_read_shipped(base), {k: v for k, v in data.items() if k != "extends"})
    return _validate(data, where)


def merge(base: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``changes`` merged in: mappings key by key, other values replaced.

    >>> merge({"a": {"b": 1, "c": 2}, "d": [1]}, {"a": {"c": 3}, "d": [2]})
    {'a': {'b': 1, 'c': 3}, 'd': [2]}
    """
    out = dict(base)
    for key, value in changes.items():
        current = out.get(key)
        if isinstance(current, dict) and isinstance(value, dict):
            out[key] = merge(current, value)
        else:
            out[key] = value
    return out


class _Reader:
    """Reads typed values out of the policy data, naming the JSON path of a bad one."""

    def __init__(self, where: str) -> None:
        self.where = where

    def fail(self, path: str, message: str) -> Incorrect:
        return Incorrect(f"{self.where}: {path} {message}", expression=path)

    def get(self, data: Mapping[str, Any], key: str, path: str, default: Any = ...) -> Any:
        if key in data:
            return data[key]
        if default is ...:
            raise self.fail(path, "is required")
        return default

    def mapping(self, value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
            raise self.fail(path, f"must be a mapping, not {type(value).__name__}")
        return value

    def text(self, value: Any, path: str, choices: tuple[str, ...] = ()) -> str:
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(path, f"must be a non-empty string, not {value!r}")
        if choices and value not in choices:
            raise self.fail(path, f"must be one of {', '.join(choices)}, not {value!r}")
        return value

    def integer(self, value: Any, path: str, minimum: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.fail(path, f"must be an integer >= {minimum}, not {value!r}")
        return value

    def ratio(self, value: Any, path: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise self.fail(path, f"must be a number from 0 to 1, not {value!r}")
        return float(value)

    def items(self, value: Any, path: str) -> list[Any]:
        if not isinstance(value, list) or not value:
            raise self.fail(path, f"must be a non-empty list, not {value!r}")
        return value


def _generalisation(r: _Reader, data: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    out: dict[str, tuple[Any, ...]] = {"sex": ("sex",)}
    defaults: dict[str, list[Any]] = {
        "age_band": [5], "province": ["province"], "admission_year": [1]
    }
    for qi in ("age_band", "province", "admission_year"):
        path = f"k_anonymity.generalisation.{qi}"
        levels = r.items(data.get(qi, defaults[qi]), path)
        if qi == "province":
            out[qi] = tuple(
                r.text(v, f"{path}[{i}]", ("province", "region")) for i, v in enumerate(levels)
            )
        else:
            out[qi] = tuple(r.integer(v, f"{path}[{i}]", 1) for i, v in enumerate(levels))
    unknown = set(data) - set(QUASI_IDENTIFIERS)
    if unknown:
        name = sorted(unknown)[0]
        raise r.fail(f"k_anonymity.generalisation.{name}", "is not a quasi-identifier." +
                     did_you_mean(name, QUASI_IDENTIFIERS))
    return out


def _views(r: _Reader, data: Any) -> dict[str, dict[str, str]]:
    views: dict[str, dict[str, str]] = {}
    for view, columns in r.mapping(data, "views").items():
        path = f"views.{view}"
        rules: dict[str, str] = {}
        for column, rule in r.mapping(columns, path).items():
            if not isinstance(rule, str) or rule not in COLUMN_RULES:
                raise r.fail(
                    f"{path}.{column}",
                    f"has unknown rule {rule!r}." + did_you_mean(str(rule), COLUMN_RULES),
                )
            rules[column] = rule
        ids = [c for c, rule in rules.items() if rule == "research_id"]
        if ids != ["patient_id"]:
            raise r.fail(path, "must release patient_id as research_id (and nothing else)")
        views[view] = rules
    return views


def _rare(
    r: _Reader, data: Any, views: dict[str, dict[str, str]]
) -> tuple[int, tuple[RareCodeRule, ...]]:
    block = r.mapping(data, "rare_codes")
    minimum = r.integer(block.get("min_patients", 5), "rare_codes.min_patients", 1)
    rules = []
    for i, item in enumerate(block.get("rules", []) or []):
        path = f"rare_codes.rules[{i}]"
        rule = r.mapping(item, path)
        view = r.text(r.get(rule, "view", f"{path}.view"), f"{path}.view")
        column = r.text(r.get(rule, "column", f"{path}.column"), f"{path}.column")
        if views.get(view, {}).get(column) != "keep":
            raise r.fail(f"{path}.column", f"must name a column views.{view} keeps")
        method = r.text(rule.get("method", "truncate"), f"{path}.method", RARE_METHODS)
        length = r.integer(rule.get("length", 3), f"{path}.length", 1)
        clear = rule.get("clear", []) or []
        if not isinstance(clear, list) or not all(isinstance(c, str) for c in clear):
            raise r.fail(f"{path}.clear", "must be a list of column names")
        rules.append(RareCodeRule(view, column, method, length, tuple(clear)))
    return minimum, tuple(rules)


def _regions(r: _Reader, data: Any) -> dict[str, str]:
    regions: dict[str, str] = {}
    for region, provinces in r.mapping(data, "regions").items():
        for i, province in enumerate(r.items(provinces, f"regions.{region}")):
            regions[r.text(province, f"regions.{region}[{i}]")] = region
    return regions


def _validate(data: dict[str, Any], where: str) -> DeidPolicy:
    r = _Reader(where)
    known = {
        "name", "version", "description", "dates", "max_shift_days", "age", "k_anonymity",
        "rare_codes", "aggregates", "regions", "patient_view", "views",
    }
    unknown = sorted(set(data) - known)
    if unknown:
        raise r.fail(unknown[0], "is not a policy setting." + did_you_mean(unknown[0], known))
    name = r.text(r.get(data, "name", "name"), "name")
    version = r.text(r.get(data, "version", "version"), "version")
    anon = r.mapping(data.get("k_anonymity", {}), "k_anonymity")
    qis_raw = r.items(anon.get("quasi_identifiers", list(QUASI_IDENTIFIERS)),
                      "k_anonymity.quasi_identifiers")
    qis = tuple(
        r.text(q, f"k_anonymity.quasi_identifiers[{i}]", QUASI_IDENTIFIERS)
        for i, q in enumerate(qis_raw)
    )
    views = _views(r, r.get(data, "views", "views"))
    patient_view = r.text(data.get("patient_view", "patients"), "patient_view")
    if patient_view not in views:
        raise r.fail("patient_view", f"must be one of the views, not {patient_view!r}")
    rare_min, rare = _rare(r, data.get("rare_codes", {}), views)
    dates = r.text(data.get("dates", "shift"), "dates", DATE_MODES)
    return DeidPolicy(
        name=name,
        version=version,
        description=str(data.get("description", "")),
        dates=dates,
        max_shift_days=r.integer(data.get("max_shift_days", 365), "max_shift_days", 1),
        top_code=r.integer(r.mapping(data.get("age", {}), "age").get("top_code", 90),
                           "age.top_code", 1),
        k=r.integer(anon.get("k", 5), "k_anonymity.k", 2),
        quasi_identifiers=qis,
        max_suppression=r.ratio(anon.get("max_suppression", 0.05), "k_anonymity.max_suppression"),
        generalisation=_generalisation(
            r, r.mapping(anon.get("generalisation", {}), "k_anonymity.generalisation")
        ),
        rare_min_patients=rare_min,
        rare_codes=rare,
        min_cell=r.integer(r.mapping(data.get("aggregates", {}), "aggregates").get("min_cell", 5),
                           "aggregates.min_cell", 1),
        regions=_regions(r, data.get("regions", {})),
        patient_view=patient_view,
        views=views,
        raw=data,
    )
