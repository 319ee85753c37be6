"""CDS Hooks 2.0 services of CareHub: discovery, patient-view, order-sign and feedback.

https://cds-hooks.hl7.org/2.0/

Modules: :mod:`~carehub.cds_hooks.models` (request and card types with the
specification's checks), :mod:`~carehub.cds_hooks.prefetch` (templates and
prefetched data), :mod:`~carehub.cds_hooks.fhir_fetch` (the FHIR-server
fallback), :mod:`~carehub.cds_hooks.discovery` (services and the discovery
document), :mod:`~carehub.cds_hooks.services` (the built-in services),
:mod:`~carehub.cds_hooks.feedback` and :mod:`~carehub.cds_hooks.router` (the
FastAPI router: ``cds_hooks_router``).
"""
