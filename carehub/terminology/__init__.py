"""CareHub's terminology service: ``$lookup``, ``$validate-code`` and ``$expand``.

https://hl7.org/fhir/R4/terminology-service.html

* :mod:`carehub.terminology.loaders` — the code systems, from CareHub's data files;
* :mod:`carehub.terminology.registry` — :class:`Terminology`, the code systems and
  value sets served;
* :mod:`carehub.terminology.lookup`, :mod:`carehub.terminology.validate_code`,
  :mod:`carehub.terminology.expand` — the operations;
* :mod:`carehub.terminology.parameters` — their inputs (query or Parameters body).
"""

from carehub.terminology.codesystem import CodeSystem, Concept
from carehub.terminology.expand import expand
from carehub.terminology.lookup import lookup
from carehub.terminology.parameters import OperationInput, from_parameters, from_query
from carehub.terminology.registry import Terminology, ValueSetDef
from carehub.terminology.validate_code import validate_in_code_system, validate_in_value_set

__all__ = [
    "CodeSystem",
    "Concept",
    "OperationInput",
    "Terminology",
    "ValueSetDef",
    "expand",
    "from_parameters",
    "from_query",
    "lookup",
    "validate_in_code_system",
    "validate_in_value_set",
]
