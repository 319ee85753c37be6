"""Loading transaction/batch Bundle files, as Synthea writes them.

https://hl7.org/fhir/R4/http.html#transaction and
https://github.com/synthetichealth/synthea/wiki/HL7-FHIR

Synthea writes one transaction Bundle per patient, and the Organizations,
Locations, Practitioners and PractitionerRoles those refer to in separate files
named ``hospitalInformation<n>.json`` and ``practitionerInformation<n>.json``
(conditional creates: ``ifNoneExist: identifier=...``). The patient Bundles
point at them with conditional references (``Organization?identifier=...``),
which resolve only once they are stored, so :func:`bundle_order` puts those
files first. Each file goes through
:func:`~carehub.fhir_api.interactions.transaction.process_bundle`, exactly as a
``POST [base]`` would: a transaction stores all of its entries or none of them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from carehub.bulk.loader import IssueSink, LoadStats
from carehub.bulk.outcomes import line_issue
from carehub.errors import Busy, CareHubError, Fault, Issue
from carehub.fhir_api.hub import Hub
from carehub.fhir_api.interactions.entry import EntryRequest
from carehub.fhir_api.interactions.outcome import Outcome
from carehub.fhir_api.interactions.transaction import process_bundle

log = logging.getLogger("carehub.bulk")

#: file name prefixes of Synthea's shared-resource Bundles, loaded first in this order
SHARED_FIRST = ("hospitalInformation", "practitionerInformation")
#: the base given to process_bundle when the hub has none configured
IMPORT_BASE = "urn:carehub:import"


def bundle_order(paths: Iterable[Path]) -> list[Path]:
    """Bundle files in load order: Synthea's shared-resource files first, then by name.

    >>> [p.name for p in bundle_order([Path("b.json"), Path("practitionerInformation1.json"),
    ...                                Path("a.json"), Path("hospitalInformation1.json")])]
    ['hospitalInformation1.json', 'practitionerInformation1.json', 'a.json', 'b.json']
    """

    def key(path: Path) -> tuple[int, str]:
        for rank, prefix in enumerate(SHARED_FIRST):
            if path.name.startswith(prefix):
                return rank, path.name
        return len(SHARED_FIRST), path.name

    return sorted(paths, key=key)


def is_bundle(data: Any) -> bool:
    """Whether decoded JSON is a Bundle resource.

    >>> is_bundle({"resourceType": "Bundle", "type": "transaction"}), is_bundle([])
    (True, False)
    """
    return isinstance(data, dict) and data.get("resourceType") == "Bundle"


def _render(outcome: Outcome, request: EntryRequest) -> dict[str, Any]:
    return {"request": {"method": request.method}, "response": {"status": outcome.status}}


def load_bundle(hub: Hub, source: str, bundle: dict[str, Any], on_issue: IssueSink) -> LoadStats:
    """Run one Bundle file and count its entries.

    A created or updated entry counts as loaded; a conditional create that found
    its match (``ifNoneExist``) and a read count as unchanged. A failed transaction fails every
    entry with one issue naming the file; a failed batch entry is one issue.

    Raises:
        Busy: the store is unreachable (the load cannot go on).
    """
    entries = bundle.get("entry")
    size = len(entries) if isinstance(entries, list) else 0
    try:
        result = process_bundle(hub, bundle, hub.base_url or IMPORT_BASE, _render)
    except Busy:
        raise
    except CareHubError as exc:
        on_issue(line_issue(source, None, exc))
        return LoadStats(failed=max(size, 1))
    except Exception as exc:
        log.warning("%s could not be stored", source, exc_info=True)
        on_issue(line_issue(source, None, Fault(f"could not be stored ({type(exc).__name__})")))
        return LoadStats(failed=max(size, 1))
    stats = LoadStats()
    for index, entry in enumerate(result.get("entry") or []):
        response = entry.get("response") or {}
        status = response.get("status")
        if isinstance(status, int):
            method = entry["request"]["method"]
            if method in ("GET", "HEAD") or (method == "POST" and status == 200):
                stats.unchanged += 1
            else:
                stats.loaded += 1
            continue
        stats.failed += 1
        issues = (response.get("outcome") or {}).get("issue") or [{}]
        first = issues[0]
        on_issue(
            Issue(
                "error",
                str(first.get("code") or "processing"),
                f"{source} entry {index}: {first.get('diagnostics') or status}",
                (f"Bundle.entry[{index}]",),
            )
        )
    return stats
