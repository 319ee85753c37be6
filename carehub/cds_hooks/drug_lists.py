"""The drug lists the ``order-sign`` service checks, read from ``data/renal_drugs.json``.

https://cds-hooks.hl7.org/2.0/ (order-sign) · https://www.whocc.no/atc_ddd_index/

The lists are data, not code: each drug has a name, aliases (brand or
alternative spellings), ATC codes, classes (``nephrotoxic``,
``antidiabetic``...) and, when its dose depends on kidney function, eGFR
thresholds with an indicator and advice. A medication matches a drug by an ATC
coding (``http://www.whocc.no/atc``, prefix match) or by the drug's name or an
alias appearing as a word in the coding display or text.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import orjson

ATC = "http://www.whocc.no/atc"
DATA_FILE = "renal_drugs.json"


@dataclass(frozen=True, slots=True)
class Threshold:
    """Below ``egfr_below`` mL/min/1.73 m², show a card of ``indicator`` with ``advice``."""

    egfr_below: float
    indicator: str
    advice: str


@dataclass(frozen=True, slots=True)
class Reference:
    """A guideline or label a card links to."""

    label: str
    url: str


@dataclass(frozen=True, slots=True)
class Drug:
    """One listed drug."""

    name: str
    aliases: tuple[str, ...]
    atc: tuple[str, ...]
    classes: frozenset[str]
    reference: Reference
    renal_dosing: tuple[Threshold, ...] = ()

    @property
    def nephrotoxic(self) -> bool:
        """Whether the drug is on the nephrotoxic list."""
        return "nephrotoxic" in self.classes

    def matches(self, codes: Iterable[tuple[str, str]], texts: Iterable[str]) -> bool:
        """Whether a medication with these (system, code) pairs and texts is this drug.

        >>> d = Drug("metformin", ("glucophage",), ("A10BA02",), frozenset(), Reference("l", "u"))
        >>> d.matches([], ["Metformin 500 MG Oral Tablet"]), d.matches([(ATC, "A10BA02")], [])
        (True, True)
        >>> d.matches([], ["metforminx"])
        False
        """
        for system, code in codes:
            if system == ATC and any(code.upper().startswith(a) for a in self.atc):
                return True
        words = (self.name, *self.aliases)
        return any(
            re.search(rf"(?<![a-z]){re.escape(w)}(?![a-z])", t.lower())
            for t in texts
            for w in words
        )


@dataclass(frozen=True, slots=True)
class DrugLists:
    """The whole data file, parsed."""

    drugs: tuple[Drug, ...]
    nephrotoxic_thresholds: tuple[Threshold, ...]
    egfr_recall_months: int
    acr_recall_months: int
    diabetes_atc_prefixes: tuple[str, ...]
    diabetes_classes: frozenset[str]
    diabetes_icd10: tuple[str, ...]
    diabetes_snomed: frozenset[str]
    diabetes_reference: Reference
    disclaimer: str

    def drugs_in(self, codes: list[tuple[str, str]], texts: list[str]) -> list[Drug]:
        """The listed drugs a medication (its codings and texts) contains."""
        return [d for d in self.drugs if d.matches(codes, texts)]

    def is_antidiabetic(self, drugs: Iterable[Drug], codes: Iterable[tuple[str, str]]) -> bool:
        """Whether a medication is a glucose-lowering drug (class or ATC prefix)."""
        if any(d.classes & self.diabetes_classes for d in drugs):
            return True
        return any(s == ATC and c.upper().startswith(self.diabetes_atc_prefixes) for s, c in codes)


def _thresholds(items: Any) -> tuple[Threshold, ...]:
    out = [Threshold(float(t["egfr_below"]), str(t["indicator"]), str(t["advice"]))
           for t in items or ()]
    return tuple(sorted(out, key=lambda t: t.egfr_below))


def parse_drug_lists(data: Mapping[str, Any]) -> DrugLists:
    """Parse the data file's JSON.

    Raises:
        KeyError: a drug names a reference the file does not define (a data bug,
            caught by the package's tests).
    """
    refs = {k: Reference(v["label"], v["url"]) for k, v in data["references"].items()}
    drugs = tuple(
        Drug(d["name"].lower(), tuple(a.lower() for a in d.get("aliases", ())),
             tuple(d.get("atc", ())), frozenset(d.get("classes", ())), refs[d["reference"]],
             _thresholds(d.get("renal_dosing")))
        for d in data["drugs"]
    )
    dm = data["diabetes"]
    return DrugLists(
        drugs=drugs,
        nephrotoxic_thresholds=_thresholds(data["nephrotoxic_thresholds"]),
        egfr_recall_months=int(data["egfr_recall_months"]),
        acr_recall_months=int(data["acr_recall_months"]),
        diabetes_atc_prefixes=tuple(dm["drug_atc_prefixes"]),
        diabetes_classes=frozenset(dm["drug_classes"]),
        diabetes_icd10=tuple(dm["condition_icd10_prefixes"]),
        diabetes_snomed=frozenset(dm["condition_snomed"]),
        diabetes_reference=refs[dm["reference"]],
        disclaimer=str(data.get("disclaimer", "")),
    )


@functools.cache
def drug_lists() -> DrugLists:
    """The packaged drug lists (read once)."""
    text = resources.files("carehub.cds_hooks").joinpath("data", DATA_FILE).read_bytes()
    return parse_drug_lists(orjson.loads(text))
