"""Research access requests: submitted by researchers, decided by data stewards, audited.

https://hl7.org/fhir/R4/auditevent.html

:mod:`.model` holds the request and its pure steps (submit, decide, revoke,
the extract check); :mod:`.service` stores requests under the data folder
and audits each step.
"""

from carehub.research.access.model import AccessRequest, check_can_extract, decide, submit
from carehub.research.access.service import AccessService, Auditor, RequestStore, research_event

__all__ = [
    "AccessRequest",
    "AccessService",
    "Auditor",
    "RequestStore",
    "check_can_extract",
    "decide",
    "research_event",
    "submit",
]
