"""Who acts in a telemedicine workflow: a patient, a practitioner, or the system.

https://hl7.org/fhir/R4/references.html

Telemedicine checks its own rules (a patient books and reads only for
themselves; only an appointment's participants may join its room) on an
:class:`Actor` built from the caller's grant. The HTTP layer builds it; these
rules never look at HTTP.

Failure modes: :class:`~carehub.errors.Forbidden` from :func:`require_patient_or_staff`
and :meth:`Actor.require_staff`.
"""

from __future__ import annotations

from dataclasses import dataclass

from carehub.errors import Forbidden, Incorrect


@dataclass(frozen=True, slots=True)
class Actor:
    """The caller: ``reference`` is ``Patient/x``, ``Practitioner/y`` or ``Device/z``;
    ``system`` is a trusted back-end (or a development server without authorization),
    which may act for anyone."""

    reference: str
    system: bool = False

    @property
    def is_patient(self) -> bool:
        """Whether the caller is a patient.

        >>> Actor("Patient/p1").is_patient, Actor("Practitioner/d1").is_patient
        (True, False)
        """
        return self.reference.startswith("Patient/")

    @property
    def is_staff(self) -> bool:
        """Whether the caller may act as care team (a practitioner or the system)."""
        return self.system or self.reference.startswith(("Practitioner/", "PractitionerRole/"))

    def require_staff(self) -> None:
        """Raises:
            Forbidden: the caller is not care team.
        """
        if not self.is_staff:
            raise Forbidden("only the care team may do this")

    def may_act_for(self, patient_ref: str) -> bool:
        """Whether the caller may act for ``patient_ref`` (themselves, staff or system).

        >>> Actor("Patient/p1").may_act_for("Patient/p2")
        False
        """
        return self.is_staff or self.reference == patient_ref


def parse_actor(reference: str, *, system: bool = False) -> Actor:
    """An :class:`Actor` from a reference such as ``Practitioner/dr1``.

    Raises:
        Incorrect: not a ``Type/id`` reference of a person or device.

    >>> parse_actor("Patient/p1").reference
    'Patient/p1'
    """
    kind, _, rid = reference.partition("/")
    if kind not in ("Patient", "Practitioner", "PractitionerRole", "RelatedPerson", "Device") \
            or not rid or "/" in rid:
        raise Incorrect(f"'{reference}' is not a Patient, Practitioner or Device reference")
    return Actor(reference, system=system)


def require_patient_or_staff(actor: Actor, patient_ref: str) -> None:
    """Raises:
        Forbidden: a patient acting for another patient.
    """
    if not actor.may_act_for(patient_ref):
        raise Forbidden("a patient may only act for themselves")
