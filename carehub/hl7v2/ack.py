"""ACK/NAK messages (original-mode acknowledgments).

http://www.hl7.eu/HL7v2x/v251/std251/ch02.html#Heading38 (2.9.2) and 2.15.5 (ERR)

Every message gets one ``ACK`` in the same encoding characters and character
set, whose ``MSA-2`` is the message's control id:

* ``MSA-1`` ``AA``: stored (or already stored: a duplicate);
* ``AE``: content error (a required field missing, an unknown code...);
* ``AR``: rejected (not HL7, unsupported type/version/processing id, or CareHub
  could not store it just now).

A NAK has one ``ERR`` segment: from v2.5 on ``ERR-2`` is the location
(``PID^1^3^1^4``: segment, its occurrence, field, repetition, component),
``ERR-3`` the HL7 error code (table 0357), ``ERR-4`` the severity ``E``, ``ERR-8``
the message in words; before v2.5 ``ERR-1`` holds location and code
(``PID^1^3^101&Required field missing&HL70357``). ``MSA-3`` (text) is sent up
to v2.6, where it was withdrawn.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from carehub.hl7v2.encoding import DEFAULT_DELIMITERS, Delimiters, escape
from carehub.hl7v2.errors import ERROR_TEXT, Loc, MessageError
from carehub.hl7v2.parse import Message, parse_message


@dataclass(frozen=True, slots=True)
class Header:
    """What an ACK needs from the message header (``MSH``), fields as written."""

    delims: Delimiters = DEFAULT_DELIMITERS
    sending_application: str = ""
    sending_facility: str = ""
    receiving_application: str = ""
    receiving_facility: str = ""
    event: str = ""
    message_type: str = ""
    control_id: str = ""
    processing_id: str = ""
    version: str = ""
    charset: str = ""
    codec: str = "utf-8"

    @classmethod
    def of(cls, msg: Message) -> Header:
        """The header of a parsed message."""
        msh = msg.msh
        return cls(
            delims=msg.delims,
            sending_application=msh.raw(3),
            sending_facility=msh.raw(4),
            receiving_application=msh.raw(5),
            receiving_facility=msh.raw(6),
            event=msg.trigger_event,
            message_type=msg.message_type,
            control_id=msh.raw(10),
            processing_id=msh.raw(11),
            version=msh.raw(12),
            charset=msh.raw(18),
            codec=msg.codec,
        )

    @classmethod
    def guess(cls, raw: bytes) -> Header:
        """A best-effort header of a message that could not be parsed.

        >>> Header.guess(b"MSH|^~\\\\&|LIS|BV|||x||ORU^R01|77|P|2.5\\rOBX").control_id
        '77'
        >>> Header.guess(b"garbage").control_id
        ''
        """
        text = raw.strip(b"\x0b\x1c\r\n \t").split(b"\r", 1)[0].split(b"\n", 1)[0]
        line = text.decode("utf-8", "replace")
        if not line.startswith("MSH") or len(line) < 8:
            return cls()
        sep = line[3]
        parts = line.split(sep)
        try:
            delims = Delimiters.from_msh(sep, parts[1])
        except MessageError:
            return cls()

        def part(n: int) -> str:
            return parts[n - 1] if len(parts) >= n else ""

        type_parts = part(9).split(delims.component)
        return cls(
            delims=delims,
            sending_application=part(3),
            sending_facility=part(4),
            receiving_application=part(5),
            receiving_facility=part(6),
            event=type_parts[1] if len(type_parts) > 1 else "",
            message_type="^".join(type_parts[:2]),
            control_id=part(10),
            processing_id=part(11),
            version=part(12),
        )

    def to_tuple(self) -> tuple[Any, ...]:
        """Plain values (to move between processes)."""
        d = self.delims
        return (
            (d.field, d.component, d.repetition, d.escape, d.subcomponent, d.truncation),
            self.sending_application, self.sending_facility, self.receiving_application,
            self.receiving_facility, self.event, self.message_type, self.control_id,
            self.processing_id, self.version, self.charset, self.codec,
        )

    @classmethod
    def from_tuple(cls, data: tuple[Any, ...]) -> Header:
        """The header :meth:`to_tuple` gave."""
        return cls(Delimiters(*data[0]), *data[1:])

    @property
    def version_id(self) -> str:
        """``MSH-12.1``."""
        return self.version.split(self.delims.component, 1)[0]


def _version_key(version: str) -> tuple[int, ...]:
    """``2.5.1`` → (2, 5, 1); unreadable versions sort as the newest.

    >>> _version_key("2.3.1") < _version_key("2.5") < _version_key("")
    True
    """
    try:
        return tuple(int(p) for p in version.split("."))
    except ValueError:
        return (99,)


_COUNTER = [0]


def new_control_id() -> str:
    """A fresh control id for an ACK (20 characters at most, as v2.5 ``MSH-10`` allows).

    >>> len(new_control_id()) <= 20
    True
    """
    _COUNTER[0] = (_COUNTER[0] + 1) % 1_000_000
    return f"CH{int(time.time()):x}{os.getpid() % 4096:03x}{_COUNTER[0]:06d}"[:20]


def _now(offset: str) -> str:
    return datetime.now(_zone(offset)).strftime("%Y%m%d%H%M%S%z")


@functools.cache
def _zone(offset: str) -> timezone:
    sign = -1 if offset.startswith("-") else 1
    hours, minutes = int(offset[1:3]), int(offset[4:6])
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


@dataclass(frozen=True, slots=True)
class AckOptions:
    """Who CareHub says it is in ACKs, and the offset of their timestamps."""

    application: str = "CAREHUB"
    facility: str = "CAREHUB"
    timezone: str = "+07:00"


def build_ack(
    header: Header,
    code: str,
    *,
    error: MessageError | None = None,
    text: str = "",
    options: AckOptions = AckOptions(),
) -> str:
    """The ER7 text of the ACK of ``header``'s message (segments end with ``\\r``).

    >>> h = Header(control_id="M1", event="A01", version="2.5.1")
    >>> err = MessageError("101", "PID-3 is required", Loc("PID", 1, 3))
    >>> msa, err = build_ack(h, "AE", error=err).split("\\r")[1:3]
    >>> msa
    'MSA|AE|M1|PID-3 is required'
    >>> err
    'ERR||PID^1^3|101^Required field missing^HL70357|E||||PID-3 is required'
    """
    d = header.delims
    f, c = d.field, d.component

    def esc(value: str) -> str:
        return escape(value, d, codec=header.codec)

    msh = [
        "MSH",
        d.encoding_characters,
        header.receiving_application or esc(options.application),
        header.receiving_facility or esc(options.facility),
        header.sending_application,
        header.sending_facility,
        _now(options.timezone),
        "",
        f"ACK{c}{esc(header.event)}{c}ACK" if header.event else "ACK",
        new_control_id(),
        header.processing_id or "P",
        header.version or "2.5.1",
    ]
    if header.charset:
        msh += ["", "", "", "", "", header.charset]
    version = _version_key(header.version_id)
    old = version < (2, 5)
    msa = ["MSA", code, header.control_id]
    message = text or (error.message if error else "")
    if message and version < (2, 7):
        msa.append(esc(message[:80]))
    segments = [f.join(msh), f.join(msa)]
    if error is not None:
        segments.append(f.join(_err(error, d, old, esc)))
    return "\r".join(segments) + "\r"


def _err(
    error: MessageError, d: Delimiters, old: bool, esc: Callable[[str], str]
) -> list[str]:
    c, s = d.component, d.subcomponent
    loc = error.loc or Loc("MSH")
    code_text = ERROR_TEXT.get(error.code, "Application error")
    if old:
        parts = [loc.segment, str(loc.seq), str(loc.field or "")]
        parts.append(s.join((error.code, esc(code_text), "HL70357")))
        return ["ERR", c.join(parts)]
    return [
        "ERR",
        "",
        loc.erl(c, s),
        c.join((error.code, esc(code_text), "HL70357")),
        "E",
        "",
        "",
        "",
        esc(error.message),
    ]


@dataclass(frozen=True, slots=True)
class AckError:
    """One ``ERR`` of a received ACK."""

    code: str
    location: str
    message: str


@dataclass(frozen=True, slots=True)
class Ack:
    """A received ACK: its code, the control id it acknowledges, its errors."""

    code: str
    control_id: str
    text: str = ""
    errors: tuple[AckError, ...] = field(default=())

    @property
    def accepted(self) -> bool:
        """Whether the message was accepted (``AA``, or ``CA`` in enhanced mode)."""
        return self.code in ("AA", "CA")


def parse_ack(raw: bytes | str) -> Ack:
    """Read an ACK.

    An ACK without ``ERR`` whose ``MSA`` needs no unescaping is read by
    splitting ``MSA`` (a sender reads one per message); any other is parsed like
    every message CareHub ingests (:func:`~carehub.hl7v2.parse.parse_message`).

    Raises:
        MessageError: not an HL7 message with an ``MSA`` segment.

    >>> a = parse_ack("MSH|^~\\\\&|CAREHUB||HIS||20240101||ACK^A01^ACK|1|P|2.5\\r"
    ...               "MSA|AE|M1\\rERR||PID^1^3|101^Required field missing^HL70357|E||||no id\\r")
    >>> a.code, a.control_id, a.errors[0].location, a.errors[0].message
    ('AE', 'M1', 'PID^1^3', 'no id')
    """
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    quick = _quick_ack(text)
    if quick is not None:
        return quick
    msg = parse_message(text)
    msa = msg.first("MSA")
    if msa is None:
        raise MessageError("100", "the acknowledgment has no MSA segment", Loc("MSA"), ack="AR")
    errors = []
    for err in msg.all("ERR"):
        if err.get(3):
            errors.append(AckError(err.get(3), err.raw(2), err.get(8) or err.get(7)))
        elif err.get(1):
            errors.append(AckError(err.get(1, 4), err.raw(1), ""))
    return Ack(msa.get(1), msa.get(2), msa.get(3), tuple(errors))


def _quick_ack(text: str) -> Ack | None:
    """The ACK of a plain ``MSA`` without ``ERR``, or None when it needs a real parse.

    >>> _quick_ack("MSH|^~\\\\&|A||||x||ACK|1|P|2.5\\rMSA|AA|M7|ok\\r")
    Ack(code='AA', control_id='M7', text='ok', errors=())
    """
    if len(text) < 8 or not text.startswith("MSH"):
        return None
    sep, escape = text[3], text[6]
    msa = None
    for segment in text.split("\r"):
        if segment.startswith("ERR"):
            return None
        if segment.startswith("MSA" + sep):
            msa = segment
    if msa is None or escape in msa:
        return None
    fields = msa.split(sep)
    fields += [""] * (4 - len(fields))
    return Ack(fields[1], fields[2], fields[3])
