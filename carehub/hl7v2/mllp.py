"""MLLP framing (Minimal Lower Layer Protocol, HL7 v2 over TCP).

https://www.hl7.org/documentcenter/public/wg/inm/mllp_transport_specification.PDF

A message travels as ``<VT> message <FS><CR>`` (bytes ``0x0B`` … ``0x1C 0x0D``).
:func:`frame` wraps one message; :class:`Decoder` takes the bytes of a
connection as they arrive, in chunks of any size, and returns the whole
messages; bytes outside a frame are dropped, and a frame growing past the
size limit is an error (the connection should be closed).
"""

from __future__ import annotations

START = b"\x0b"
END = b"\x1c"
CR = b"\r"
TRAILER = END + CR

DEFAULT_MAX_MESSAGE = 16 * 1024 * 1024
"""Largest message accepted (bytes)."""


class FrameTooLarge(ValueError):
    """A frame grew past the size limit."""


def frame(message: bytes) -> bytes:
    """``message`` framed for MLLP.

    >>> frame(b"MSH|x")
    b'\\x0bMSH|x\\x1c\\r'
    """
    return START + message + TRAILER


class Decoder:
    """Incremental MLLP decoder.

    >>> d = Decoder()
    >>> d.feed(b"junk\\x0bMSH|1\\x1c\\r\\x0bMS"), d.feed(b"H|2\\x1c\\r")
    ([b'MSH|1'], [b'MSH|2'])
    """

    def __init__(self, max_message: int = DEFAULT_MAX_MESSAGE) -> None:
        self.max_message = max_message
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        """Add received bytes; return the messages now complete, in order.

        Raises:
            FrameTooLarge: an unfinished frame is longer than ``max_message``.
        """
        buf = self._buf
        buf += data
        out: list[bytes] = []
        while buf:
            start = buf.find(START)
            if start < 0:
                buf.clear()
                break
            if start:
                del buf[:start]
            end = buf.find(END, 1)
            if end < 0:
                if len(buf) > self.max_message + 1:
                    buf.clear()
                    raise FrameTooLarge(f"an MLLP frame exceeds {self.max_message} bytes")
                break
            out.append(bytes(buf[1:end]))
            cut = end + 1
            if cut < len(buf) and buf[cut] == 0x0D:
                cut += 1
            del buf[:cut]
        return out

    @property
    def pending(self) -> int:
        """Bytes of an unfinished frame."""
        return len(self._buf)
