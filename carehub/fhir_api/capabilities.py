"""``GET /metadata``: the CapabilityStatement, generated from what the code supports.

https://hl7.org/fhir/R4/capabilitystatement.html

Interactions come from :data:`TYPE_INTERACTIONS`/:data:`SYSTEM_INTERACTIONS`
(the same tables the routes are registered from), search parameters from the
search parser's own registry, so the statement cannot claim more than exists.
"""

from __future__ import annotations

from typing import Any

from carehub import __version__
from carehub.fhir_model.definitions import Definitions
from carehub.search.parse import MODIFIERS, SearchParser

TYPE_INTERACTIONS = (
    "read",
    "vread",
    "update",
    "patch",
    "delete",
    "history-instance",
    "history-type",
    "create",
    "search-type",
)
SYSTEM_INTERACTIONS = ("transaction", "batch", "history-system")
OPERATIONS = (
    ("everything", "Patient", "http://hl7.org/fhir/OperationDefinition/Patient-everything"),
)
SEARCH_RESULT_PARAMS = (
    "_count",
    "_sort",
    "_include",
    "_revinclude",
    "_summary",
    "_elements",
    "_total",
    "_has",
)


def capability_statement(defs: Definitions, parser: SearchParser, base: str) -> dict[str, Any]:
    """The server's CapabilityStatement."""
    resources = []
    for rtype in sorted(defs.resource_types()):
        params = parser.params(rtype)
        sp_defs = defs.search_params(rtype)
        search_params = []
        for code, info in sorted(params.items()):
            entry: dict[str, Any] = {"name": code, "type": _fhir_type(info.type)}
            sp = sp_defs.get(code)
            if sp is not None:
                entry["definition"] = sp.url
            mods = sorted(MODIFIERS.get(info.type, frozenset()) | {"missing"})
            entry["documentation"] = "modifiers: " + ", ".join(mods)
            search_params.append(entry)
        res: dict[str, Any] = {
            "type": rtype,
            "interaction": [{"code": c} for c in TYPE_INTERACTIONS],
            "versioning": "versioned-update",
            "readHistory": True,
            "updateCreate": True,
            "conditionalCreate": True,
            "conditionalRead": "not-supported",
            "conditionalUpdate": True,
            "conditionalDelete": "single",
            "referencePolicy": ["literal", "local"],
            "searchInclude": [f"{rtype}:*"],
            "searchRevInclude": ["*"],
            "searchParam": search_params,
        }
        ops = [{"name": n, "definition": d} for n, t, d in OPERATIONS if t == rtype]
        if ops:
            res["operation"] = ops
        resources.append(res)
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2026-11-23",
        "publisher": "CareHub",
        "kind": "instance",
        "software": {"name": "CareHub", "version": __version__},
        "implementation": {"description": "CareHub FHIR R4 hub", "url": base},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "patchFormat": ["application/json-patch+json"],
        "rest": [
            {
                "mode": "server",
                "documentation": "Search result parameters: " + ", ".join(SEARCH_RESULT_PARAMS),
                "resource": resources,
                "interaction": [{"code": c} for c in SYSTEM_INTERACTIONS],
                "searchParam": [
                    {"name": "_id", "type": "token"},
                    {"name": "_lastUpdated", "type": "date"},
                ],
            }
        ],
    }


def _fhir_type(param_type: str) -> str:
    return {"id": "token", "lastUpdated": "date"}.get(param_type, param_type)
