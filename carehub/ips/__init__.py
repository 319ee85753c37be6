"""International Patient Summary (IPS) documents of CareHub's patients.

https://hl7.org/fhir/uv/ips/STU2/

* :mod:`carehub.ips.document` — :func:`build_summary`, the document Bundle;
* :mod:`carehub.ips.sections` — what each section lists;
* :mod:`carehub.ips.medications` — statements derived from dispenses;
* :mod:`carehub.ips.narrative` and :mod:`carehub.ips.catalogue` — the XHTML
  narrative in Vietnamese and English;
* :mod:`carehub.ips.tables` and :mod:`carehub.ips.conformance` — the IPS
  profiles' required elements (a table built from ``hl7.fhir.uv.ips@2.0.0`` by
  :mod:`carehub.ips.tables_build`) and the check of a document against them.
"""

from carehub.ips.catalogue import choose_language
from carehub.ips.conformance import check_document
from carehub.ips.document import build_summary
from carehub.ips.tables import IpsTables, ips_tables

__all__ = ["IpsTables", "build_summary", "check_document", "choose_language", "ips_tables"]
