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
BULK_DATA = "http://hl7.org/fhir/uv/bulkdata"
OPERATIONS = (
    ("everything", "Patient", "http://hl7.org/fhir/OperationDefinition/Patient-everything"),
    ("export", "Patient", f"{BULK_DATA}/OperationDefinition/patient-export"),
    ("export", "Group", f"{BULK_DATA}/OperationDefinition/group-export"),
)
#: system-level operations: (name, definition, documentation)
SYSTEM_OPERATIONS = (
    (
        "export",
        f"{BULK_DATA}/OperationDefinition/export",
        "Bulk Data export (async, Prefer: respond-async): _outputFormat "
        "application/fhir+ndjson, _type, _since.",
    ),
    (
        "import",
        "urn:carehub:OperationDefinition:import",
        "Bulk NDJSON import (async, Prefer: respond-async): a Parameters resource whose "
        "input parts give type and url (http(s), or file:// in the import folder), or an "
        "application/fhir+ndjson upload. Resources keep their ids; a line whose content "
        "(meta aside) is already stored is skipped.",
    ),
    (
        "run",
        "https://sql-on-fhir.org/ig/OperationDefinition/$run",
        "SQL-on-FHIR ViewDefinition/$run: POST /ViewDefinition/$run with an inline "
        "viewResource (or viewReference), or GET/POST /ViewDefinition/{name}/$run for a "
        "standard CareHub view; resource, patient, _since, _limit, header; _format json, "
        "ndjson, csv or parquet.",
    ),
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
        "instantiates": [f"{BULK_DATA}/CapabilityStatement/bulk-data"],
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
                "operation": [
                    {"name": n, "definition": d, "documentation": doc}
                    for n, d, doc in SYSTEM_OPERATIONS
                ],
                "searchParam": [
                    {"name": "_id", "type": "token"},
                    {"name": "_lastUpdated", "type": "date"},
                ],
            }
        ],
    }


def _fhir_type(param_type: str) -> str:
    return {"id": "token", "lastUpdated": "date"}.get(param_type, param_type)
