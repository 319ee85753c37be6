"""Write timestamps: UTC, microsecond precision, strictly increasing within a process."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

_lock = threading.Lock()
_last: list[datetime] = [datetime.min.replace(tzinfo=UTC)]


def next_instant() -> str:
    """The next write time as a fixed-width UTC instant ``YYYY-MM-DDTHH:MM:SS.ffffff``.

    >>> a, b = next_instant(), next_instant()
    >>> len(a) == 26 and a < b
    True
    """
    now = datetime.now(UTC)
    with _lock:
        if now <= _last[0]:
            now = _last[0] + timedelta(microseconds=1)
        _last[0] = now
    return now.isoformat(timespec="microseconds")[:26]


def to_fhir_instant(fixed: str) -> str:
    """A fixed-width UTC instant as a FHIR ``instant``.

    >>> to_fhir_instant("2024-01-02T03:04:05.123456")
    '2024-01-02T03:04:05.123456Z'
    """
    return fixed + "Z"
