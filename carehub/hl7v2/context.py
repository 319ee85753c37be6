"""What every mapper gets: the message, the mapping tables, the event's rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from carehub.hl7v2.datatypes import datetime_of, instant_of
from carehub.hl7v2.errors import REQUIRED_FIELD, SEGMENT_SEQUENCE, Loc, MessageError
from carehub.hl7v2.mapping import Tables
from carehub.hl7v2.parse import Message, Rep, Segment


@dataclass(slots=True)
class Context:
    """One message being mapped.

    Attributes:
        msg: the parsed message.
        tables: the mapping tables.
        event: the ``events.json`` entry of the message's type and event.
        time: when the event happened (``EVN-6``, else ``EVN-2``, else ``MSH-7``)
            as a FHIR dateTime, or None.
    """

    msg: Message
    tables: Tables
    event: dict[str, Any]
    time: str | None = field(default=None)

    def __post_init__(self) -> None:
        evn = self.msg.first("EVN")
        for seg, n in ((evn, 6), (evn, 2), (self.msg.msh, 7)):
            if seg is not None and seg.get(n):
                self.time = self.dt(seg.get(n), seg.loc(n))
                break

    def dt(self, value: str, loc: Loc) -> str:
        """A v2 date/time as a FHIR dateTime (the default time zone when it has none)."""
        return datetime_of(value, loc, self.tables.timezone)

    def field_dt(self, seg: Segment | None, n: int) -> str | None:
        """Field ``n`` of ``seg`` as a FHIR dateTime, or None when empty."""
        if seg is None or not seg.get(n):
            return None
        return self.dt(seg.get(n), seg.loc(n, 1))

    def field_instant(self, seg: Segment | None, n: int) -> str | None:
        """Field ``n`` of ``seg`` as a FHIR instant, or None (empty or no time of day)."""
        if seg is None or not seg.get(n):
            return None
        return instant_of(seg.get(n), seg.loc(n, 1), self.tables.timezone)


def require_segment(msg: Message, name: str, after: str = "") -> Segment:
    """The first ``name`` segment.

    Raises:
        MessageError: 100, the message has none.
    """
    seg = msg.first(name)
    if seg is None:
        raise MessageError(
            SEGMENT_SEQUENCE,
            f"{msg.message_type} needs a {name} segment" + (f" after {after}" if after else ""),
            Loc(name),
        )
    return seg


def require_rep(seg: Segment, n: int, what: str) -> Rep:
    """The first repetition of field ``n``.

    Raises:
        MessageError: 101, the field is empty.
    """
    rep = seg.rep(n)
    if rep is None:
        raise MessageError(REQUIRED_FIELD, f"{seg.name}-{n} ({what}) is required", seg.loc(n))
    return rep


def groups(msg: Message, head: str, members: tuple[str, ...]) -> list[list[Segment]]:
    """The message's segments grouped: each ``head`` segment with the ``members`` after it.

    Segments before the first ``head`` and segments not in ``members`` are left out.
    """
    out: list[list[Segment]] = []
    for seg in msg.segments:
        if seg.name == head:
            out.append([seg])
        elif out and seg.name in members:
            out[-1].append(seg)
    return out
