"""Errors of HL7 v2 ingest, with the place in the message they concern.

https://hl7.org/fhir/uv/v2mappings/ and HL7 v2.5.1 chapter 2 (2.15.5 ERR, table 0357)

Every problem with a message is a :class:`MessageError`: it carries the HL7
error code of table 0357 (``101`` required field missing...), the acknowledgment
code the message gets (``AE`` application error or ``AR`` application reject)
and a :class:`Loc`, the segment, field, repetition and component that are wrong,
which becomes the ``ERR`` segment of the NAK.

Acknowledgment codes, as in HL7 v2 original mode:

* ``AR`` (reject): the message cannot be processed at all: it is not HL7, its
  ``MSH`` is unusable, its type, version or processing id is unsupported, or
  CareHub was temporarily unable to store it (then a resend may succeed).
* ``AE`` (error): the message is understood but its content is wrong or cannot
  be mapped: a required segment or field is missing, a value has the wrong
  format or is not in a mapping table, a key names nothing known.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from carehub.errors import Incorrect

#: HL7 table 0357 (message error condition codes) used by CareHub.
ERROR_TEXT = {
    "0": "Message accepted",
    "100": "Segment sequence error",
    "101": "Required field missing",
    "102": "Data type error",
    "103": "Table value not found",
    "200": "Unsupported message type",
    "201": "Unsupported event code",
    "202": "Unsupported processing id",
    "203": "Unsupported version id",
    "204": "Unknown key identifier",
    "205": "Duplicate key identifier",
    "206": "Application record locked",
    "207": "Application internal error",
}

SEGMENT_SEQUENCE = "100"
REQUIRED_FIELD = "101"
DATA_TYPE = "102"
TABLE_VALUE = "103"
UNSUPPORTED_TYPE = "200"
UNSUPPORTED_EVENT = "201"
UNSUPPORTED_PROCESSING_ID = "202"
UNSUPPORTED_VERSION = "203"
UNKNOWN_KEY = "204"
DUPLICATE_KEY = "205"
RECORD_LOCKED = "206"
INTERNAL = "207"


@dataclass(frozen=True, slots=True)
class Loc:
    """A place in a message: segment id, its occurrence, and a field path (all 1-based).

    ``seq`` counts the segments with the same id (the 2nd OBX is ``seq=2``), as
    ``ERR-2`` (error location) wants.

    >>> str(Loc("PID", 1, 3, 2, 4))
    'PID-3(2).4'
    >>> str(Loc("OBX", 2, 5))
    'OBX[2]-5'
    >>> Loc("PID", 1, 3, 1, 4).erl("^", "&")
    'PID^1^3^1^4'
    """

    segment: str
    seq: int = 1
    field: int | None = None
    rep: int | None = None
    comp: int | None = None
    sub: int | None = None

    def at(
        self,
        field: int | None = None,
        comp: int | None = None,
        rep: int | None = None,
        sub: int | None = None,
    ) -> Loc:
        """The same segment occurrence at another field path."""
        return Loc(self.segment, self.seq, field, rep, comp, sub)

    def __str__(self) -> str:
        text = self.segment + (f"[{self.seq}]" if self.seq != 1 else "")
        if self.field is not None:
            text += f"-{self.field}"
            if self.rep not in (None, 1):
                text += f"({self.rep})"
            if self.comp is not None:
                text += f".{self.comp}"
                if self.sub is not None:
                    text += f".{self.sub}"
        return text

    def erl(self, comp_sep: str, sub_sep: str) -> str:
        """The location as an ``ERL`` value (``ERR-2``, v2.5 and later)."""
        parts = [self.segment, str(self.seq)]
        if self.field is not None:
            parts.append(str(self.field))
            if self.rep is not None or self.comp is not None:
                parts.append(str(self.rep or 1))
            if self.comp is not None:
                parts.append(str(self.comp))
                if self.sub is not None:
                    parts.append(str(self.sub))
        return comp_sep.join(parts)

    def as_dict(self) -> dict[str, Any]:
        """JSON form (dead letters)."""
        return {
            k: v
            for k, v in (
                ("segment", self.segment),
                ("seq", self.seq),
                ("field", self.field),
                ("rep", self.rep),
                ("comp", self.comp),
                ("sub", self.sub),
            )
            if v is not None
        }


class MessageError(Incorrect):
    """A message that cannot be accepted: HL7 error ``code`` at ``loc``, answered ``ack``.

    Args:
        code: an HL7 table 0357 code (``101``...).
        message: what is wrong, in one line.
        loc: the offending segment/field, when known.
        ack: ``AE`` or ``AR``; by default ``AR`` for the 2xx codes about the
            message header and ``AE`` otherwise.
        transient: the failure was CareHub's, not the message's (a resend may
            succeed); such messages are not dead-lettered.

    >>> err = MessageError("101", "PID-3 is empty", Loc("PID", 1, 3))
    >>> err.ack, err.code, str(err.loc)
    ('AE', '101', 'PID-3')
    """

    def __init__(
        self,
        code: str,
        message: str,
        loc: Loc | None = None,
        *,
        ack: str | None = None,
        transient: bool = False,
    ) -> None:
        super().__init__(message, expression=str(loc) if loc else None)
        self.code = code
        self.loc = loc
        self.ack = ack or ("AR" if code in _REJECT_CODES else "AE")
        self.transient = transient

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _rebuild,
            (self.code, self.message, self.loc, self.ack, self.transient),
        )

    @property
    def code_text(self) -> str:
        """The table 0357 text of :attr:`code`."""
        return ERROR_TEXT.get(self.code, "Application error")


def _rebuild(code: str, message: str, loc: Loc | None, ack: str, transient: bool) -> MessageError:
    return MessageError(code, message, loc, ack=ack, transient=transient)


_REJECT_CODES = frozenset(
    {UNSUPPORTED_TYPE, UNSUPPORTED_EVENT, UNSUPPORTED_PROCESSING_ID, UNSUPPORTED_VERSION}
)
