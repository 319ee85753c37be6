"""What the telemedicine HTTP and WebSocket routes share: the services, the caller, bodies.

The caller (:func:`request_actor`) comes from the access token: a patient
launch context is ``Patient/<id>``, a signed-in user their ``fhirUser``, a
backend service with ``system/`` scopes the system. With authorization off
(a development server on loopback only) there is no token; the
``X-CareHub-Actor`` header then names the caller (default: the system).

Failure modes: :class:`~carehub.errors.Forbidden` for a token that names no
person; :class:`~carehub.errors.Incorrect` for a body that is not a JSON
object or misses a field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from starlette.requests import Request

from carehub.errors import Forbidden, Incorrect
from carehub.security.context import current_grant, current_record
from carehub.telemed.actor import Actor, parse_actor
from carehub.telemed.conference import Signer
from carehub.telemed.config import TelemedConfig
from carehub.telemed.join import JoinTokens
from carehub.telemed.notify import Notifier
from carehub.telemed.records import Clock, Records, parse_instant, utc_now
from carehub.telemed.rooms import Rooms

ACTOR_HEADER = "x-carehub-actor"


@dataclass(slots=True)
class Telemed:
    """The telemedicine services of one application."""

    records: Records
    config: TelemedConfig
    notifier: Notifier
    signer: Signer
    clock: Clock = utc_now
    tokens: JoinTokens = field(init=False)
    rooms: Rooms = field(init=False)
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.tokens = JoinTokens(self.config.join_secret, self.config.join_seconds)
        self.rooms = Rooms(self.config.room_size)


def request_actor(request: Request) -> Actor:
    """The caller of ``request`` (see the module docstring).

    Raises:
        Forbidden: the token names no patient or user.
    """
    grant = current_grant.get()
    if grant is None:
        named = request.headers.get(ACTOR_HEADER)
        return parse_actor(named) if named else Actor("system", system=True)
    if grant.patient and grant.role in (None, "patient"):
        return Actor(f"Patient/{grant.patient}")
    if grant.fhir_user:
        return parse_actor(relative_ref(grant.fhir_user))
    if any(s.context == "system" for s in grant.scopes.clinical):
        return Actor(f"system:{grant.client_id}", system=True)
    raise Forbidden("the access token names no patient or user (fhirUser)")


def relative_ref(url: str) -> str:
    """``Type/id`` of an absolute or relative reference.

    >>> relative_ref("https://h.vn/fhir/Practitioner/dr1"), relative_ref("Patient/p1")
    ('Practitioner/dr1', 'Patient/p1')
    """
    parts = url.split("/_history")[0].rstrip("/").split("/")
    return "/".join(parts[-2:])


def touched(*resources: dict[str, Any]) -> None:
    """Record resources read or written in the request's audit record."""
    record = current_record.get()
    if record is not None:
        for r in resources:
            record.touch(str(r.get("resourceType")), str(r.get("id")), orjson.dumps(r))


async def json_body(request: Request) -> dict[str, Any]:
    """The request body as a JSON object.

    Raises:
        Incorrect: empty, not JSON, or not an object.
    """
    raw = await request.body()
    try:
        body = orjson.loads(raw or b"{}")
    except orjson.JSONDecodeError as exc:
        raise Incorrect(f"the body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise Incorrect("the body must be a JSON object")
    return body


def field_str(body: dict[str, Any], name: str, *, required: bool = True) -> str:
    """A string field of ``body``.

    >>> field_str({"slot": "s1"}, "slot")
    's1'
    """
    value = body.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise Incorrect(f"'{name}' must be a non-empty string", expression=name)
    return value


def field_time(body: dict[str, Any], name: str) -> datetime:
    """A dateTime field with a time zone.

    Raises:
        Incorrect: missing or not a dateTime.
    """
    text = field_str(body, name)
    try:
        return parse_instant(text)
    except ValueError:
        raise Incorrect(f"'{name}' is not a dateTime: {text!r}", expression=name) from None

