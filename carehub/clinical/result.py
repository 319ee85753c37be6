"""The result of a clinical calculator: values, the guideline that produced them, and scope.

Every calculator returns a :class:`Result`. ``values`` holds the outputs under
the names the clinical specification uses (``egfr``, ``category``, ``risk``...);
``guideline`` says which published rule and version produced them, so a
clinician can check the source; ``applicable`` is false (and ``reason`` says
why) when the inputs fall outside the population the rule was validated in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Guideline:
    """A published rule: a short name, its version and the citation.

    >>> Guideline("CKD-EPI creatinine", "2021", "Inker 2021 NEJM").label
    'CKD-EPI creatinine 2021'
    """

    name: str
    version: str
    citation: str

    @property
    def label(self) -> str:
        """Name and version, as shown to clinicians."""
        return f"{self.name} {self.version}"


@dataclass(frozen=True, slots=True)
class Result:
    """The outcome of one calculator call.

    Args:
        rule: the rule identifier (as in the specification and its vectors).
        values: the outputs by name; empty when not applicable.
        guideline: the published rule and version.
        applicable: false when the inputs are outside the rule's scope.
        reason: why the rule does not apply (or a note on how it was applied).
        inputs: the inputs actually used, in canonical units.
    """

    rule: str
    values: Mapping[str, Any]
    guideline: Guideline
    applicable: bool = True
    reason: str = ""
    inputs: Mapping[str, Any] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Any:
        """The output called ``name``.

        >>> g = Guideline("x", "1", "c")
        >>> Result("r", {"score": 3}, g)["score"]
        3
        """
        return self.values[name]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready form of the result (for the API and explanations).

        >>> g = Guideline("x", "1", "c")
        >>> Result("r", {}, g, False, "age < 18").to_json()["reason"]
        'age < 18'
        """
        return {
            "rule": self.rule,
            "values": dict(self.values),
            "guideline": {
                "name": self.guideline.name,
                "version": self.guideline.version,
                "citation": self.guideline.citation,
            },
            "applicable": self.applicable,
            "reason": self.reason,
            "inputs": dict(self.inputs),
        }


def not_applicable(
    rule: str, guideline: Guideline, reason: str, inputs: Mapping[str, Any] | None = None
) -> Result:
    """A result saying the rule does not apply, and why.

    >>> r = not_applicable("kfre_4var", Guideline("KFRE", "2011", "c"), "eGFR >= 60")
    >>> r.applicable, r.values, r.reason
    (False, {}, 'eGFR >= 60')
    """
    return Result(rule, {}, guideline, False, reason, dict(inputs or {}))
