"""Character sets, delimiters and escape sequences of HL7 v2 text (v2.5.1 chapter 2.7).

:func:`decode` turns received bytes into text in the codec MSH-18 names
(Vietnamese tone marks composed to NFC), :func:`escape` and :func:`unescape`
write and read the escape sequences of the message's :class:`Delimiters`.
Failures are :class:`~carehub.hl7v2.errors.MessageError` naming the place.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from carehub.hl7v2.errors import DATA_TYPE, SEGMENT_SEQUENCE, Loc, MessageError

DEFAULT_CHARSETS: Mapping[str, str] = {"": "utf-8", "UNICODE UTF-8": "utf-8", "ASCII": "ascii"}
"""MSH-18 value → Python codec, when no mapping table is given."""


@dataclass(frozen=True, slots=True)
class Delimiters:
    """The delimiters of one message (``MSH-1`` and ``MSH-2``).

    >>> Delimiters.from_msh("|", "^~\\\\&").component
    '^'
    """

    field: str = "|"
    component: str = "^"
    repetition: str = "~"
    escape: str = "\\"
    subcomponent: str = "&"
    truncation: str = ""

    @classmethod
    def from_msh(cls, field: str, encoding: str) -> Delimiters:
        """The delimiters declared by ``MSH-1`` (``field``) and ``MSH-2`` (``encoding``).

        Raises:
            MessageError: fewer than four encoding characters, or repeated ones.
        """
        chars = field + encoding
        if len(encoding) < 4 or len(set(chars)) != len(chars) or field.isalnum():
            raise MessageError(
                DATA_TYPE,
                f"MSH-2 encoding characters '{encoding}' are not four distinct delimiters",
                Loc("MSH", 1, 2),
                ack="AR",
            )
        return cls(field, encoding[0], encoding[1], encoding[2], encoding[3], encoding[4:5])

    @property
    def encoding_characters(self) -> str:
        """``MSH-2``."""
        return (
            self.component + self.repetition + self.escape + self.subcomponent + self.truncation
        )


DEFAULT_DELIMITERS = Delimiters()


# -- escape sequences ------------------------------------------------------------------
def escape(text: str, delims: Delimiters = DEFAULT_DELIMITERS, *, codec: str = "utf-8") -> str:
    r"""Escape ``text`` for an ER7 value: delimiters, line breaks, and characters ``codec`` lacks.

    Characters the character set cannot encode become ``\X..\`` with their
    UTF-8 bytes (so with ``codec="ascii"`` every non-ASCII letter is escaped).

    >>> escape("Nguyễn | Trần & con^A\\B")
    'Nguyễn \\F\\ Trần \\T\\ con\\S\\A\\E\\B'
    >>> escape("Đặng", codec="ascii")
    '\\XC490\\\\XE1BAB7\\ng'
    >>> escape("a\nb")
    'a\\.br\\b'
    """
    e = delims.escape
    if text.isascii() and not _has_special(text, delims):
        return text
    table = {
        delims.field: f"{e}F{e}",
        delims.component: f"{e}S{e}",
        delims.subcomponent: f"{e}T{e}",
        delims.repetition: f"{e}R{e}",
        e: f"{e}E{e}",
        "\r": f"{e}.br{e}",
        "\n": f"{e}.br{e}",
    }
    if delims.truncation:
        table[delims.truncation] = f"{e}P{e}"
    out: list[str] = []
    for ch in text:
        if ch in table:
            if ch == "\n" and out and out[-1] == table["\r"]:
                continue
            out.append(table[ch])
        elif ord(ch) < 0x80 or _encodable(ch, codec):
            out.append(ch)
        else:
            out.append(f"{e}X{ch.encode('utf-8').hex().upper()}{e}")
    return "".join(out)


def _has_special(text: str, d: Delimiters) -> bool:
    """Whether ``text`` holds a delimiter or a line break (what :func:`escape` replaces)."""
    return (
        d.field in text or d.component in text or d.subcomponent in text
        or d.repetition in text or d.escape in text or "\r" in text or "\n" in text
        or (bool(d.truncation) and d.truncation in text)
    )


def _encodable(ch: str, codec: str) -> bool:
    try:
        ch.encode(codec)
    except UnicodeEncodeError:
        return False
    return True


_FORMATTING = {".br": "\n", ".sp": "\n", ".fi": "", ".nf": "", ".ce": "\n", "H": "", "N": ""}


def unescape(
    value: str,
    delims: Delimiters = DEFAULT_DELIMITERS,
    *,
    codec: str = "utf-8",
    loc: Loc | None = None,
) -> str:
    r"""The text of one ER7 value, escape sequences replaced.

    Raises:
        MessageError: 102 for ``\X`` bytes that are not valid in ``codec`` and
            for character-set switches (``\C``, ``\M``).

    >>> unescape(r"Nguy\XE1BB85\n \T\ Tr\XE1BAA7\n")
    'Nguyễn & Trần'
    >>> unescape(r"a\F\b\S\c\R\d\E\e\.br\f")
    'a|b^c~d\\e\nf'
    >>> unescape("no escapes")
    'no escapes'
    """
    e = delims.escape
    if e not in value:
        return value
    simple = {
        "F": delims.field,
        "S": delims.component,
        "T": delims.subcomponent,
        "R": delims.repetition,
        "E": e,
        "P": delims.truncation,
    }
    out: list[str] = []
    pending = bytearray()
    pos = 0
    n = len(value)
    while pos < n:
        start = value.find(e, pos)
        end = value.find(e, start + 1) if start >= 0 else -1
        if start < 0 or end < 0:
            _flush(out, pending, codec, loc)
            out.append(value[pos:])
            break
        if start > pos:
            _flush(out, pending, codec, loc)
            out.append(value[pos:start])
        body = value[start + 1 : end]
        pos = end + 1
        if body[:1] == "X" and len(body) > 1:
            try:
                pending.extend(bytes.fromhex(body[1:]))
            except ValueError:
                raise MessageError(
                    DATA_TYPE, f"'{e}{body}{e}' is not a hexadecimal escape", loc
                ) from None
            continue
        _flush(out, pending, codec, loc)
        if body in simple:
            out.append(simple[body])
        elif body in _FORMATTING:
            out.append(_FORMATTING[body])
        elif body[:3] in (".sp", ".in", ".ti", ".sk"):
            out.append("\n" if body.startswith(".sp") else " ")
        elif body[:1] in ("C", "M"):
            raise MessageError(
                DATA_TYPE,
                f"character-set switch '{e}{body}{e}' is not supported; send UTF-8 (MSH-18)",
                loc,
            )
        elif body[:1] == "Z" or not body:
            continue  # locally defined escape, or an empty one: dropped
        else:
            out.append(f"{e}{body}{e}")  # not an escape sequence: kept as written
    _flush(out, pending, codec, loc)
    return "".join(out)


def _flush(out: list[str], pending: bytearray, codec: str, loc: Loc | None) -> None:
    if not pending:
        return
    if codec == "ascii":
        codec = "utf-8"  # a 7-bit message carries other letters as escaped UTF-8 bytes
    try:
        out.append(pending.decode(codec))
    except UnicodeDecodeError as exc:
        raise MessageError(
            DATA_TYPE, f"hexadecimal escape is not valid {codec}: {exc.reason}", loc
        ) from None
    pending.clear()


# -- bytes → text ----------------------------------------------------------------------
def codec_of(charset: str, charsets: Mapping[str, str] = DEFAULT_CHARSETS) -> str:
    """The Python codec of an ``MSH-18`` value.

    Raises:
        MessageError: an unknown character set (102 at MSH-18, rejected).

    >>> codec_of("UNICODE UTF-8")
    'utf-8'
    """
    key = charset.strip().upper()
    if key in charsets:
        return charsets[key]
    raise MessageError(
        DATA_TYPE, f"MSH-18 character set '{charset}' is not supported", Loc("MSH", 1, 18), ack="AR"
    )


def decode(raw: bytes, charsets: Mapping[str, str] = DEFAULT_CHARSETS) -> tuple[str, str]:
    """Decode a message's bytes with the character set its ``MSH-18`` names.

    Returns the text (segments separated by ``\\r``, line feeds accepted too)
    and the codec used.

    Raises:
        MessageError: not starting with ``MSH``, unknown character set, or bytes
            invalid in it (all rejected, ``AR``).

    >>> decode("MSH|^~\\\\&|A||||||ADT^A08|1|P|2.5|||||VNM|UNICODE UTF-8\\rPID|||1||Lê".encode())[1]
    'utf-8'
    """
    raw = raw.strip(b"\x0b\x1c\r\n \t\x00")
    if raw[:3] != b"MSH" or len(raw) < 8:
        raise MessageError(
            SEGMENT_SEQUENCE, "the message does not start with an MSH segment", Loc("MSH"), ack="AR"
        )
    first = raw.split(b"\r", 1)[0].split(b"\n", 1)[0]
    sep = first[3:4]
    parts = first.split(sep)
    charset = b""
    if len(parts) > 17:
        repetition = parts[1][1:2] or b"~"
        charset = parts[17].split(repetition, 1)[0]
    codec = codec_of(charset.decode("ascii", "replace"), charsets)
    try:
        text = raw.decode(codec)
    except UnicodeDecodeError as exc:
        raise MessageError(
            DATA_TYPE,
            f"the message is not valid {codec} (byte {exc.start}): check MSH-18",
            Loc("MSH", 1, 18),
            ack="AR",
        ) from None
    if codec in _DECOMPOSED:
        text = unicodedata.normalize("NFC", text)
    return normalize_segments(text), codec


_DECOMPOSED = frozenset({"cp1258"})
"""Codecs that write Vietnamese tone marks as combining characters: composed (NFC)
after decoding, so "Thị" is the same text whichever way it came."""


def normalize_segments(text: str) -> str:
    """Segments separated by single ``\\r``, blank lines dropped.

    >>> normalize_segments("MSH|a\\r\\nPID|b\\n\\nPV1|c\\r")
    'MSH|a\\rPID|b\\rPV1|c'
    """
    lines = text.replace("\r\n", "\r").replace("\n", "\r").split("\r")
    return "\r".join(line for line in lines if line.strip())
