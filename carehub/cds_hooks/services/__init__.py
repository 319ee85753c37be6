"""CareHub's built-in CDS Services (CDS Hooks 2.0, https://cds-hooks.hl7.org/2.0/).

:func:`default_services` lists them; a deployment may serve others through the
same :class:`~carehub.cds_hooks.discovery.ServiceRegistry`.
"""

from __future__ import annotations

from carehub.cds_hooks.discovery import CdsService


def default_services() -> tuple[CdsService, ...]:
    """The built-in services: ``patient-view`` screening review and ``order-sign`` renal check.

    >>> [s.id for s in default_services()]
    ['carehub-screening', 'carehub-renal-prescribing']
    """
    from carehub.cds_hooks.services import order_sign, patient_view

    return (patient_view.SERVICE, order_sign.SERVICE)


__all__ = ["default_services"]
