"""Every calculator of :mod:`carehub.clinical`, by rule identifier.

The rule identifiers are those of the clinical specification (and of its test
vectors): ``ckd_epi_2021_creatinine``, ``gold_abe_group``, ``lung_rads_v2022``...
Each calculator module in the area sub-packages (:data:`AREAS`) exports
``RULES``, a mapping from rule identifier to a function taking the rule's
inputs as keyword arguments and returning a
:class:`~carehub.clinical.result.Result`; this module gathers them.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Callable, Mapping
from typing import Any

from carehub.clinical.inputs import InvalidInput
from carehub.clinical.result import Result
from carehub.errors import NotFound, did_you_mean

Calculator = Callable[..., Result]
"""A calculator: keyword inputs in, a :class:`Result` out."""

AREAS = ("kidney", "cardio", "lung", "liver", "cancer")
"""The sub-packages of :mod:`carehub.clinical` that hold calculators."""


@functools.cache
def calculators() -> Mapping[str, Calculator]:
    """Every calculator by rule identifier (modules imported on first call).

    A rule identifier exported by two modules is a bug and raises ``RuntimeError``.
    """
    found: dict[str, Calculator] = {}
    for area in AREAS:
        package = importlib.import_module(f"carehub.clinical.{area}")
        for info in pkgutil.iter_modules(package.__path__, f"{package.__name__}."):
            module = importlib.import_module(info.name)
            for rule, function in getattr(module, "RULES", {}).items():
                if rule in found:
                    raise RuntimeError(f"rule {rule} is defined twice (in {info.name})")
                found[rule] = function
    return dict(sorted(found.items()))


def calculator(rule: str) -> Calculator:
    """The calculator for ``rule``.

    Raises:
        NotFound: no such rule (with a suggestion).
    """
    table = calculators()
    if rule not in table:
        raise NotFound(f"no calculator {rule!r}{did_you_mean(rule, table)}")
    return table[rule]


def evaluate(rule: str, inputs: Mapping[str, Any]) -> Result:
    """Run calculator ``rule`` on ``inputs`` (a mapping of its keyword arguments).

    An input name the calculator does not take raises
    :class:`~carehub.clinical.inputs.InvalidInput` naming it.
    """
    function = calculator(rule)
    try:
        return function(**inputs)
    except TypeError as exc:
        # only signature mismatches: the calculator itself raises InvalidInput for bad values
        text = str(exc)
        if "unexpected keyword argument" in text or "missing" in text:
            name = text.split("'")[1] if "'" in text else "inputs"
            raise InvalidInput(name, text.split(")", 1)[-1].strip() or text) from None
        raise
