"""What the teleconsultation and secure-messaging screens share: services, caller, times, forms.

https://hl7.org/fhir/R4/appointment.html and https://hl7.org/fhir/R4/communication.html

The screens (:mod:`carehub.web.screens.consultations`,
:mod:`~carehub.web.screens.consult_schedule`, :mod:`~carehub.web.screens.messages`)
call the telemedicine services (:mod:`carehub.telemed`) the application
mounted (``app.state.telemed``), which apply their own rules on an
:class:`~carehub.telemed.actor.Actor`. :func:`web_actor` builds it from the
session's grant: a patient session is ``Patient/<id>``, a staff user their
``fhirUser`` Practitioner. With authorization off (tests, a development
server) the ``X-CareHub-Actor`` header names the caller, as for the
telemedicine API. Times are shown in the hospital's zone (:data:`LOCAL`, UTC+7).

Failure modes: :func:`web_actor` returns None for a staff user whose account
names no Practitioner and for an unnamed caller with authorization off (the
screens then show a 403 page); :func:`join_url` raises
:class:`~carehub.errors.Forbidden` outside the room's window and for
non-participants, :class:`~carehub.errors.NotFound` for unknown appointments.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.requests import Request

from carehub.errors import Incorrect, NotFound
from carehub.security.context import current_grant
from carehub.telemed.actor import Actor, parse_actor
from carehub.telemed.join import EARLY, display_name, issue_join
from carehub.telemed.records import Records, parse_instant
from carehub.telemed.reminders import LOCAL
from carehub.telemed.web_common import ACTOR_HEADER, Telemed, relative_ref
from carehub.web.i18n import Translator
from carehub.web.session import checked_form as checked_form

__all__ = ["LOCAL", "checked_form", "join_url", "local_day", "local_time", "person_name",
           "room_opens", "telemed_of", "web_actor"]


def telemed_of(request: Request) -> Telemed | None:
    """The telemedicine services of the application, if mounted."""
    found = getattr(request.app.state, "telemed", None)
    return found if isinstance(found, Telemed) else None


def web_actor(request: Request) -> Actor | None:
    """The caller of a page (see the module docstring); None when it names nobody."""
    grant = current_grant.get()
    try:
        if grant is None:
            named = request.headers.get(ACTOR_HEADER)
            return parse_actor(named) if named else None
        if grant.patient and grant.role in (None, "patient"):
            return Actor(f"Patient/{grant.patient}")
        if grant.fhir_user and grant.role != "patient":
            actor = parse_actor(relative_ref(grant.fhir_user))
            return actor if actor.is_staff else None
    except Incorrect:
        return None
    return None




def local_day(moment: datetime, t: Translator) -> str:
    """The local date of ``moment`` with its weekday, in the page's language.

    >>> from datetime import UTC
    >>> local_day(datetime(2026, 3, 1, 20, 0, tzinfo=UTC), Translator("en"))
    'Mon 02/03/2026'
    """
    here = moment.astimezone(LOCAL)
    return f"{t(f'consult.day.{here.weekday()}')} {here.strftime('%d/%m/%Y')}"


def local_time(moment: datetime) -> str:
    """The local clock time of ``moment``.

    >>> from datetime import UTC
    >>> local_time(datetime(2026, 3, 1, 20, 5, tzinfo=UTC))
    '03:05'
    """
    return moment.astimezone(LOCAL).strftime("%H:%M")


def room_opens(appointment: dict[str, Any]) -> datetime:
    """When the appointment's room opens (:data:`carehub.telemed.join.EARLY` before its start).

    >>> room_opens({"start": "2026-03-02T02:00:00Z"}).isoformat()
    '2026-03-02T01:30:00+00:00'
    """
    return parse_instant(str(appointment["start"])) - EARLY


def person_name(records: Records, reference: str, cache: dict[str, str] | None = None) -> str:
    """A person's display name (``reference`` itself when unknown), remembered in ``cache``."""
    if cache is not None and reference in cache:
        return cache[reference]
    try:
        name = display_name(records, reference)
    except (NotFound, Incorrect):
        name = reference
    if cache is not None:
        cache[reference] = name
    return name


def join_url(tm: Telemed, actor: Actor, appointment_id: str, lang: str) -> str:
    """The room page with a fresh join token for ``actor`` in the URL fragment.

    Raises:
        Forbidden: not a participant, the appointment is closed or its room not open.
        NotFound: unknown appointment.
    """
    token, _ = issue_join(tm.records, tm.tokens, actor, appointment_id, tm.clock())
    return f"/telemed/room/{appointment_id}?lang={lang}#{token}"
