"""Reading HL7 v2 messages from files (``carehub hl7 import``, ``carehub hl7 send``).

A file may hold one message or many, as:

* MLLP frames (``0x0B`` … ``0x1C 0x0D``), as captured from a connection;
* plain ER7 text, segments ending in ``\\r``, ``\\n`` or ``\\r\\n``, each message
  starting with its ``MSH`` line, optionally wrapped in batch/file envelopes
  (``FHS``/``BHS`` … ``BTS``/``FTS``, HL7 v2.5.1 2.10.3), which are skipped.

Messages keep their bytes as written (their character set is read from their
own ``MSH-18`` when they are parsed).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from carehub.errors import Incorrect
from carehub.hl7v2.mllp import START, Decoder

ENVELOPES = (b"FHS", b"BHS", b"BTS", b"FTS")
SUFFIXES = (".hl7", ".er7", ".txt", ".mllp", ".msg")
"""File name endings picked up in folders."""


def split_messages(data: bytes) -> list[bytes]:
    r"""The messages of a file's bytes, segments joined with ``\r``.

    >>> split_messages(b"FHS|^~\\&\nMSH|a\nPID|1\r\nMSH|b\rPID|2\nFTS|1\n")
    [b'MSH|a\rPID|1', b'MSH|b\rPID|2']
    >>> split_messages(b"\x0bMSH|a\rPID|1\x1c\r")
    [b'MSH|a\rPID|1']
    """
    if START in data[:1024] and b"\x1c" in data:
        return [m.strip(b"\r\n") for m in Decoder(max_message=len(data) + 1).feed(data)]
    messages: list[list[bytes]] = []
    for line in data.replace(b"\r\n", b"\r").replace(b"\n", b"\r").split(b"\r"):
        line = line.strip(b" \t\x00")
        if line.startswith(b"\xef\xbb\xbf"):
            line = line[3:]
        if not line or line[:3] in ENVELOPES:
            continue
        if line.startswith(b"MSH"):
            messages.append([line])
        elif messages:
            messages[-1].append(line)
    return [b"\r".join(m) for m in messages]


def collect(paths: list[Path]) -> Iterator[tuple[Path, list[bytes]]]:
    """Each file (folders: their ``*.hl7``-like files, sorted) with its messages.

    Raises:
        Incorrect: a path does not exist or cannot be read.
    """
    for path in paths:
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.suffix.lower() in SUFFIXES)
        elif path.exists():
            files = [path]
        else:
            raise Incorrect(f"{path}: no such file or folder")
        for file in files:
            try:
                data = file.read_bytes()
            except OSError as exc:
                raise Incorrect(f"cannot read {file}: {exc.strerror}") from None
            yield file, split_messages(data)
