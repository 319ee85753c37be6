"""Short-lived, signed tokens that let an appointment's participants into its video room.

https://www.rfc-editor.org/rfc/rfc7519 (JWT, HS256)

:func:`issue_join` checks that the caller takes part in the Appointment
(a participant's ``actor``; the care team may not join a patient's
consultation unless listed), that it is active and that the time is within
its window (from ``EARLY`` before the start to ``LATE`` after the end), then
signs a token naming the room (the Appointment id) and the participant. The
signalling endpoint accepts only a valid, unexpired token for its own room.

Failure modes: :class:`~carehub.errors.Forbidden` for outsiders, a closed or
not-yet-open room, and invalid, expired or other rooms' tokens.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

from carehub.errors import Forbidden, NotFound
from carehub.telemed.actor import Actor
from carehub.telemed.records import Records, parse_instant
from carehub.telemed.scheduling import ACTIVE, participants

EARLY = timedelta(minutes=30)
LATE = timedelta(minutes=60)
ALGORITHM = "HS256"
AUDIENCE = "carehub-telemed-room"


@dataclass(frozen=True, slots=True)
class JoinClaims:
    """What a valid join token says: the room, the participant and their display name."""

    room: str
    participant: str
    name: str


class JoinTokens:
    """Issues and checks join tokens with one HMAC secret.

    Args:
        secret: the signing secret; empty means a random one for this process
            (tokens then do not survive a restart, which is harmless: they live minutes).
        lifetime_s: how long a token may be used to enter a room.
    """

    def __init__(self, secret: str, lifetime_s: int) -> None:
        self._key = secret.encode() if secret else secrets.token_bytes(32)
        self.lifetime_s = lifetime_s

    def issue(self, room: str, participant: str, name: str, now: int) -> str:
        """A token for ``participant`` to enter ``room``, valid from unix time ``now``."""
        claims = {"aud": AUDIENCE, "room": room, "sub": participant, "name": name,
                  "iat": now, "exp": now + self.lifetime_s, "jti": secrets.token_hex(8)}
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)

    def verify(self, token: str, room: str, now: int) -> JoinClaims:
        """The claims of ``token`` if it is valid for ``room`` at unix time ``now``.

        Raises:
            Forbidden: bad signature, expired, malformed, or for another room.
        """
        try:
            claims = jwt.decode(token, self._key, algorithms=[ALGORITHM], audience=AUDIENCE,
                                options={"verify_exp": False, "require": ["exp", "room", "sub"]})
        except jwt.PyJWTError as exc:
            raise Forbidden(f"the join token is not valid: {exc}") from None
        if int(claims["exp"]) <= now:
            raise Forbidden("the join token has expired; ask for a new one")
        if claims["room"] != room:
            raise Forbidden("the join token is for another room")
        return JoinClaims(str(claims["room"]), str(claims["sub"]), str(claims.get("name", "")))


def display_name(records: Records, reference: str) -> str:
    """A person's name for the room (``given family``), or the reference itself."""
    kind, _, rid = reference.partition("/")
    try:
        person = records.get(kind, rid)
    except NotFound:
        return reference
    for name in person.get("name", []):
        text = name.get("text") or " ".join([*name.get("given", []), name.get("family", "")])
        if text.strip():
            return str(text).strip()
    return reference


def issue_join(records: Records, tokens: JoinTokens, actor: Actor, appointment_id: str,
               now: datetime) -> tuple[str, dict[str, object]]:
    """A join token for ``actor`` and the Appointment it opens.

    Raises:
        Forbidden: not a participant, the appointment is not active, or outside its window.
        NotFound: unknown appointment.
    """
    appointment = records.get("Appointment", appointment_id)
    if actor.reference not in participants(appointment):
        raise Forbidden("only the appointment's participants may join its room")
    if appointment.get("status") not in ACTIVE:
        raise Forbidden(f"the appointment is {appointment.get('status')}; its room is closed")
    start, end = parse_instant(appointment["start"]), parse_instant(appointment["end"])
    if not start - EARLY <= now <= end + LATE:
        raise Forbidden("the room opens 30 minutes before the appointment and closes an "
                        "hour after its end")
    name = display_name(records, actor.reference)
    return tokens.issue(appointment_id, actor.reference, name, int(now.timestamp())), appointment
