"""Structural validation of R4 resources in their JSON form.

https://hl7.org/fhir/R4/validation.html and https://hl7.org/fhir/R4/json.html

:func:`validate` checks a decoded JSON resource against the R4 element
definitions (``carehub/fhir_model/data/elements.json``), compiled once per type
(:mod:`carehub.fhir_model.validation.compiler`). It collects every problem of
the resource and raises one :class:`carehub.errors.Invalid` carrying them all.
Extensions are always allowed structurally (profiles such as US Core are not
checked); invariants (FHIRPath constraints) and non-required bindings are not
checked either.

Issue codes (http://hl7.org/fhir/issue-type) and ``expression`` (FHIRPath,
with indexes; choice elements as ``Observation.value.ofType(Quantity)``):

================ =============================================================
``structure``    not a JSON object, unknown element, array vs single value, two
                 choices of one ``[x]``, empty object/array, ``null``
``required``     a required element (min ≥ 1) or ``resourceType`` is missing
``value``        a primitive of the wrong JSON type or format (dates, ids,
                 codes, integer ranges, base64, references...)
``code-invalid`` a ``code`` outside the value set of a required binding
``invalid``      ``resourceType`` is not a concrete R4 resource type
================ =============================================================

>>> validate({"resourceType": "Patient", "gender": "female", "birthDate": "1970-01-01"})
>>> try:
...     validate({"resourceType": "Patient", "gender": "f", "name": {"family": "X"}})
... except Invalid as exc:
...     print(exc, [(i.code, i.expression[0]) for i in exc.issues])
Patient: 2 validation errors [('code-invalid', 'Patient.gender'), ('structure', 'Patient.name')]
"""

from __future__ import annotations

import functools
from typing import Any

from carehub.errors import Invalid, Issue, IssueList
from carehub.fhir_model.definitions import definitions
from carehub.fhir_model.validation.compiler import Compiler, ObjectSpec, check_object

__all__ = ["Compiler", "ObjectSpec", "check_object", "compiler", "find_issues", "validate"]


@functools.cache
def compiler() -> Compiler:
    """The shared :class:`Compiler` over the packaged R4 definitions."""
    return Compiler(definitions())


def find_issues(resource: Any) -> list[Issue]:
    """Return every structural issue of ``resource`` (empty when valid); never raises.

    >>> [i.code for i in find_issues({"resourceType": "Observation", "status": "final"})]
    ['required']
    """
    issues = IssueList()
    compiler().check_resource(resource, None, issues)
    return issues.items


def validate(resource: Any) -> None:
    """Check that ``resource`` is a structurally valid R4 resource.

    Args:
        resource: a decoded JSON value (normally a dict with ``resourceType``).

    Raises:
        Invalid: with one :class:`carehub.errors.Issue` per problem, and the
            message ``"<resourceType>: <n> validation error(s)"``.
    """
    issues = find_issues(resource)
    if issues:
        label = "Resource"
        if isinstance(resource, dict):
            resource_type = resource.get("resourceType")
            if isinstance(resource_type, str) and definitions().is_resource_type(resource_type):
                label = resource_type
        plural = "" if len(issues) == 1 else "s"
        raise Invalid(f"{label}: {len(issues)} validation error{plural}", issues=issues)
