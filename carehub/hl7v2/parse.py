"""Reading ER7 (pipe-and-hat) HL7 v2 messages: bytes → :class:`Message`.

http://www.hl7.eu/HL7v2x/v251/std251/ch02.html (2.5 message construction rules,
2.7 use of escape sequences in text fields)

The structure (segments, fields, repetitions, components, subcomponents,
with the delimiters the message declares in ``MSH-1``/``MSH-2``) is split the
way python-hl7's :func:`hl7.parse` splits it (:func:`split_segment`,
:func:`split_field`; a test holds the two to the same tree), but lazily: a
segment is cut into fields when the message is read, a field into
repetitions and components only when it is first asked for. That is about a
tenth of the work of building python-hl7's container tree, most of whose
fields a mapper never reads. :class:`Segment` and :class:`Rep` give a regular
1-based view of it that never raises for absent parts (an absent field is
``""``).

Text is decoded in two steps, as the standard says:

* **bytes → str** with the character set of ``MSH-18`` (``UNICODE UTF-8`` and
  an empty ``MSH-18`` are UTF-8; ``8859/1``, ``ASCII``, Windows-1258 and the
  others of ``mapping/defaults.json``; Windows-1258 text, whose tone marks are
  combining characters, is composed to NFC). A message whose bytes are not
  valid in its character set is rejected (``AR``, error 102 at ``MSH-18``).
* **escape sequences** in each value (:func:`unescape`): ``\\F\\ \\S\\ \\T\\ \\R\\ \\E\\``
  (and ``\\P\\``, v2.7 truncation) give back the delimiters, ``\\Xhh…\\`` are
  bytes in the message's character set (UTF-8 when it is ``ASCII``, the way a
  7-bit message carries other letters; consecutive ``\\X`` sequences are
  joined before decoding, so UTF-8 sequences of Vietnamese letters split over
  several of them decode correctly), ``\\.br\\`` is a line break, highlighting
  (``\\H\\ \\N\\``) is dropped. Character-set switches (``\\C..\\``, ``\\M..\\``)
  are not supported: such a value is an error 102 rather than garbled text.

:func:`escape` is the inverse, used to write ER7 (ACKs, tests): a value
unescaped and escaped again is the same text.

The values of the encoding characters ``MSH-1`` and ``MSH-2`` are never unescaped.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from carehub.hl7v2.encoding import (
    Delimiters,
    decode,
    normalize_segments,
    unescape,
)
from carehub.hl7v2.errors import SEGMENT_SEQUENCE, Loc, MessageError

_HEADER_NAMES = ("MSH", "BHS", "FHS")


# -- the parsed message ---------------------------------------------------------------
Field = list[list[list[str]]]
"""One field: repetitions of components of subcomponents, still escaped."""


class Rep:
    """One repetition of a field: 1-based component/subcomponent access, unescaped."""

    __slots__ = ("_comps", "_field", "_msg", "_rep", "_seg")

    def __init__(
        self, comps: list[list[str]], msg: Message, seg: Segment, field: int, rep: int
    ) -> None:
        self._comps = comps
        self._msg = msg
        self._seg = seg
        self._field = field
        self._rep = rep

    @property
    def loc(self) -> Loc:
        """The field's location with this repetition number."""
        return _loc(self._seg.name, self._seg.seq, self._field, self._rep, None, None)

    def c(self, comp: int = 1, sub: int = 1) -> str:
        """Component ``comp`` (subcomponent ``sub``), unescaped; ``""`` when absent."""
        comps = self._comps
        if comp > len(comps):
            return ""
        subs = comps[comp - 1]
        if sub > len(subs):
            return ""
        value = subs[sub - 1]
        if not value or value == '""':
            return ""
        if self._msg.delims.escape in value:
            return self._msg.text_of(value, self.at(comp, sub))
        return value

    def subs(self, comp: int) -> list[str]:
        """Every subcomponent of ``comp``, unescaped."""
        if comp > len(self._comps):
            return []
        return [self.c(comp, i + 1) for i in range(len(self._comps[comp - 1]))]

    def at(self, comp: int | None = None, sub: int | None = None) -> Loc:
        """The location of one component of this repetition."""
        return _loc(self._seg.name, self._seg.seq, self._field, self._rep, comp, sub)

    @property
    def empty(self) -> bool:
        """Whether every component is empty."""
        for subs in self._comps:
            for s in subs:
                if s and s != '""':
                    return False
        return True

    @property
    def is_null(self) -> bool:
        """Whether the value is the explicit null ``""`` (delete the stored value)."""
        return self._comps == [['""']]

    def __repr__(self) -> str:
        return f"Rep({self.loc}: {self._comps!r})"


class Segment:
    """One segment: ``name``, its occurrence ``seq`` among same-named segments, its fields."""

    __slots__ = ("_fields", "_msg", "_raw", "_whole", "index", "name", "seq")

    def __init__(
        self, name: str, seq: int, index: int, raw: list[str], msg: Message, *, whole: int = 0
    ) -> None:
        self.name = name
        self.seq = seq
        self.index = index
        self._raw = raw
        self._msg = msg
        self._whole = whole  # fields 1..whole are never split (MSH-1, MSH-2)
        self._fields: dict[int, Field] = {}

    def loc(
        self,
        field: int | None = None,
        comp: int | None = None,
        rep: int | None = None,
        sub: int | None = None,
    ) -> Loc:
        """A location in this segment."""
        return _loc(self.name, self.seq, field, rep, comp, sub)

    def field(self, n: int) -> Field:
        """Field ``n`` (``MSH-n`` for the header), still escaped; ``[]`` when absent."""
        cached = self._fields.get(n)
        if cached is None:
            raw = self._raw
            if n >= len(raw):
                cached = []
            elif 0 < n <= self._whole:
                cached = [[[raw[n]]]]
            else:
                cached = split_field(raw[n], self._msg.delims)
            self._fields[n] = cached
        return cached

    def reps(self, n: int) -> list[Rep]:
        """The non-empty repetitions of field ``n``."""
        out = []
        for i, comps in enumerate(self.field(n), 1):
            rep = Rep(comps, self._msg, self, n, i)
            if not rep.empty:
                out.append(rep)
        return out

    def rep(self, n: int) -> Rep | None:
        """The first non-empty repetition of field ``n``, or None."""
        for i, comps in enumerate(self.field(n), 1):
            rep = Rep(comps, self._msg, self, n, i)
            if not rep.empty:
                return rep
        return None

    def get(self, n: int, comp: int = 1, sub: int = 1) -> str:
        """Component ``comp`` of the first repetition of field ``n``, unescaped (``""``: absent)."""
        fld = self.field(n)
        if not fld:
            return ""
        comps = fld[0]
        if comp > len(comps):
            return ""
        subs = comps[comp - 1]
        if sub > len(subs):
            return ""
        value = subs[sub - 1]
        if not value or value == '""':
            return ""
        if self._msg.delims.escape in value:
            return self._msg.text_of(value, Loc(self.name, self.seq, n, 1, comp, sub))
        return value

    def is_null(self, n: int) -> bool:
        """Whether field ``n`` is the explicit null ``""``."""
        raw = self._raw
        return n < len(raw) and raw[n] == '""'

    def raw(self, n: int) -> str:
        """Field ``n`` as written (escaped ER7), ``""`` when absent."""
        raw = self._raw
        if n >= len(raw):
            return ""
        return raw[n]

    def __repr__(self) -> str:
        return f"Segment({self.name}[{self.seq}])"


def _loc(
    segment: str, seq: int, field: int | None, rep: int | None, comp: int | None,
    sub: int | None,
) -> Loc:
    """``Loc(segment, seq, field, rep, comp, sub)``, shared: mappers name the same few
    places in every message (mostly for errors that never happen), and a location
    is immutable."""
    key = (segment, seq, field, rep, comp, sub)
    loc = _LOCS.get(key)
    if loc is None:
        if len(_LOCS) >= 4096:
            _LOCS.clear()
        loc = _LOCS[key] = Loc(segment, seq, field, rep, comp, sub)
    return loc


_LOCS: dict[tuple[str, int, int | None, int | None, int | None, int | None], Loc] = {}


def split_segment(text: str, delims: Delimiters) -> tuple[list[str], int]:
    """The fields of one segment as written (index 0: the segment id), and how many
    leading fields are never split further.

    A header segment (``MSH``, ``BHS``, ``FHS``) has its field separator as
    field 1 and its encoding characters as field 2, both kept whole (so
    ``MSH-n`` is index ``n``); fields are split on the message's field separator.

    >>> from carehub.hl7v2.encoding import DEFAULT_DELIMITERS
    >>> split_segment("MSH|^~\\\\&|HIS|BV", DEFAULT_DELIMITERS)
    (['MSH', '|', '^~\\\\&', 'HIS', 'BV'], 2)
    >>> split_segment("PID|1||BN1^^^BV^MR", DEFAULT_DELIMITERS)
    (['PID', '1', '', 'BN1^^^BV^MR'], 0)
    """
    if text[:3] in _HEADER_NAMES and _has_delimiter(text, delims):
        sep = text[3]
        end = text.find(sep, 4)
        rest = text[end + 1 :]
        head = [text[:3], sep, text[4:end]]
        return (head + rest.split(delims.field) if rest else head), 2
    return text.split(delims.field), 0


def _has_delimiter(text: str, d: Delimiters) -> bool:
    """Whether ``text`` holds a field, repetition, component or subcomponent separator."""
    return (
        d.field in text or d.repetition in text or d.component in text
        or d.subcomponent in text
    )


def split_field(value: str, delims: Delimiters) -> Field:
    """One field as written → repetitions → components → subcomponents (still escaped).

    >>> from carehub.hl7v2.encoding import DEFAULT_DELIMITERS
    >>> split_field("BN1^^^BV&x^MR~0792", DEFAULT_DELIMITERS)
    [[['BN1'], [''], [''], ['BV', 'x'], ['MR']], [['0792']]]
    >>> split_field("", DEFAULT_DELIMITERS)
    [[['']]]
    """
    comp, sub = delims.component, delims.subcomponent
    if comp not in value and sub not in value and delims.repetition not in value:
        return [[[value]]]
    return [
        [c.split(sub) for c in rep.split(comp)] for rep in value.split(delims.repetition)
    ]


class Message:
    """A parsed HL7 v2 message.

    Args:
        text: the message (segments separated by ``\\r``), as :func:`decode` returns it.
        codec: the character set its ``\\X`` escapes are decoded with.

    Raises:
        MessageError: no ``MSH`` first, ``MSH-2`` unusable, or a segment without a
            valid segment id (``AR``).
    """

    def __init__(self, text: str, codec: str = "utf-8") -> None:
        self.text = text
        self.codec = codec
        if not text.startswith("MSH") or len(text) < 8:
            raise MessageError(
                SEGMENT_SEQUENCE, "the message does not start with an MSH segment", Loc("MSH"),
                ack="AR",
            )
        end = text.find(text[3], 4)
        self.delims = Delimiters.from_msh(text[3], text[4:end] if end > 0 else "")
        self.segments: list[Segment] = []
        self._by_name: dict[str, list[Segment]] = {}
        # surrounding white space goes, as python-hl7 drops it
        for index, line in enumerate(text.strip().split("\r")):
            raw, whole = split_segment(line, self.delims)
            name = raw[0]
            same = self._by_name.setdefault(name, [])
            seg = Segment(name, len(same) + 1, index, raw, self, whole=whole)
            same.append(seg)
            self.segments.append(seg)
        for seg in self.segments:
            if len(seg.name) != 3 or not seg.name.isalnum() or not seg.name.isupper():
                raise MessageError(
                    SEGMENT_SEQUENCE,
                    f"segment {seg.index + 1} has no valid segment id ('{seg.name[:10]}')",
                    Loc(seg.name[:3] or "???", seg.seq),
                    ack="AR",
                )
        self.msh = self.segments[0]

    # -- access ------------------------------------------------------------------------
    def text_of(self, value: str, loc: Loc | None = None) -> str:
        """One raw value unescaped with this message's delimiters and character set."""
        if self.delims.escape not in value:
            return value
        return unescape(value, self.delims, codec=self.codec, loc=loc)

    def first(self, name: str) -> Segment | None:
        """The first segment called ``name``, or None."""
        same = self._by_name.get(name)
        return same[0] if same else None

    def all(self, name: str) -> list[Segment]:
        """Every segment called ``name``, in order."""
        return self._by_name.get(name, [])

    # -- header ------------------------------------------------------------------------
    @property
    def control_id(self) -> str:
        """``MSH-10``."""
        return self.msh.get(10)

    @property
    def message_code(self) -> str:
        """``MSH-9.1`` (``ADT``)."""
        return self.msh.get(9, 1).upper()

    @property
    def trigger_event(self) -> str:
        """``MSH-9.2`` (``A01``)."""
        return self.msh.get(9, 2).upper()

    @property
    def message_type(self) -> str:
        """``ADT^A01``."""
        return f"{self.message_code}^{self.trigger_event}"

    @property
    def version(self) -> str:
        """``MSH-12.1``."""
        return self.msh.get(12)

    @property
    def processing_id(self) -> str:
        """``MSH-11.1``."""
        return self.msh.get(11)

    @property
    def sender(self) -> str:
        """Who sent it: ``MSH-3`` and ``MSH-4`` as written (the scope of ``MSH-10``)."""
        return f"{self.msh.raw(3)}|{self.msh.raw(4)}"

    @property
    def sending_application(self) -> str:
        """``MSH-3.1``."""
        return self.msh.get(3)

    @property
    def timestamp(self) -> str:
        """``MSH-7.1`` as written."""
        return self.msh.get(7)

    def digest(self) -> str:
        """SHA-256 of the message with ``MSH-7`` blanked (a resend restamped by its sender
        is the same message)."""
        head, sep, rest = self.text.partition("\r")
        parts = head.split(self.delims.field)
        if len(parts) > 6:
            parts[6] = ""
        body = self.delims.field.join(parts) + sep + rest
        return hashlib.sha256(body.encode("utf-8")).hexdigest()


def parse_message(raw: bytes | str, charsets: Mapping[str, str] | None = None) -> Message:
    """Decode and parse one message (character sets: those of ``mapping/defaults.json``).

    Raises:
        MessageError: see :func:`decode` and :class:`Message`.

    >>> m = parse_message("MSH|^~\\\\&|HIS|BV|||20240105||ADT^A08|42|P|2.5\\r"
    ...                   "PID|||BN1^^^BV^MR||L\\\\XC3AA\\\\")
    >>> m.message_type, m.control_id, m.first("PID").get(5)
    ('ADT^A08', '42', 'Lê')
    """
    if isinstance(raw, str):
        return Message(normalize_segments(raw.strip("\x0b\x1c\r\n \t")))
    if charsets is None:
        from carehub.hl7v2.mapping import load_tables

        charsets = load_tables().charsets
    text, codec = decode(raw, charsets)
    return Message(text, codec)
