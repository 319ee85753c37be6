"""Whether the caller may act for a patient: the telemedicine rule plus the department limit.

http://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html and
https://hl7.org/fhir/R4/security.html

Telemedicine keeps its own rule (a patient acts only for themselves; the care
team and trusted back-ends for anyone, :func:`~carehub.telemed.actor.require_patient_or_staff`).
On top of it, a department-scoped clinician (the grant's department, see
:func:`carehub.security.policy.department_in_force`) reaches only the
department's patients: the telemedicine store is guarded by
:class:`~carehub.security.policy.DepartmentPolicy` (wired in
:mod:`carehub.app.telemed_wiring`), so lists leave other patients out, reads of
their resources find nothing and writes to them are refused. A route that
names a patient calls :func:`require_access` first, so that the caller gets a
clear 403 rather than an empty answer; a resource of such a patient named by
id (a message, an alert) is, as everywhere behind the guard, not known (404).

Failure modes: :class:`~carehub.errors.Forbidden` (another patient's data; a
patient outside the caller's department, or unknown to a department-limited
caller: the answer does not tell which); :class:`~carehub.errors.Incorrect`
(not a ``Patient/<id>`` reference).
"""

from __future__ import annotations

from carehub.errors import Forbidden, Incorrect, NotFound
from carehub.security.context import current_grant
from carehub.security.policy import department_in_force
from carehub.telemed.actor import Actor, require_patient_or_staff
from carehub.telemed.records import Records, ref_id


def require_access(records: Records, actor: Actor, patient: str) -> None:
    """Allow ``actor`` to read or write ``patient``'s telemedicine data, or raise.

    ``records`` must be the guarded telemedicine records: the Patient is read
    through them, so the storage guard decides about the department.

    Raises:
        Forbidden: see the module docstring. Incorrect: ``patient`` is not a
        Patient reference.
    """
    require_patient_or_staff(actor, patient)
    department = department_in_force(current_grant.get())
    if department is None or actor.is_patient:
        return
    pid = ref_id(patient, "Patient")
    if not pid:
        raise Incorrect(f"'{patient}' is not a Patient reference", expression="patient")
    try:
        records.get("Patient", pid)
    except NotFound:
        raise Forbidden(f"{patient} is not a patient of your department ({department})") from None
