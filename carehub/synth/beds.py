"""Bed allocation: giving every admission a bed nobody else is lying in.

Patients are generated independently, so while a block is built nobody
knows which beds are free. Admissions are therefore written with the
placeholder bed number :data:`carehub.synth.encounters.BED_PLACEHOLDER`;
the writer records where each placeholder sits in ``Encounter.ndjson`` and
the admission's ward and period (a few dozen bytes per admission, in compact
arrays, never the resources). When all patients are written,
:meth:`BedAllocator.allocate` walks each ward's admissions in time order,
gives each the lowest-numbered free bed (a bed frees at discharge), and the
placeholders are overwritten in place with the bed numbers, which have the
same width. A ward gets as many beds as the larger of its planned size and
its peak occupancy.
"""

from __future__ import annotations

import heapq
from array import array
from collections.abc import Mapping
from pathlib import Path

from carehub.errors import Fault
from carehub.synth.encounters import BED_PLACEHOLDER
from carehub.synth.facility import WARDS
from carehub.synth.record import Admission

_TOKEN = f'-{BED_PLACEHOLDER}"'.encode()
_WIDTH = len(BED_PLACEHOLDER)
_STILL_ADMITTED = 2**62


def placeholder_offsets(data: bytes) -> list[int]:
    """Byte offsets of every bed placeholder in ``data``, in order.

    >>> placeholder_offsets(b'{"reference":"Location/bed-nhi-?????"}')
    [31]
    """
    found: list[int] = []
    start = data.find(_TOKEN)
    while start >= 0:
        found.append(start + 1)
        start = data.find(_TOKEN, start + len(_TOKEN))
    return found


class BedAllocator:
    """Collects admissions with the file offsets of their placeholders, then assigns beds."""

    def __init__(self) -> None:
        self._ward_index = {ward: i for i, ward in enumerate(WARDS)}
        self._wards = array("b")
        self._starts = array("q")
        self._ends = array("q")
        self._offsets = array("q")

    def __len__(self) -> int:
        return len(self._offsets)

    def add(self, admissions: list[Admission], offsets: list[int]) -> None:
        """Record a block's admissions and the absolute offsets of their placeholders.

        Raises:
            Fault: the counts differ (a placeholder without admission or the reverse).
        """
        if len(admissions) != len(offsets):
            raise Fault(
                f"{len(admissions)} admissions but {len(offsets)} bed placeholders in a block"
            )
        for (ward, start, end), offset in zip(admissions, offsets, strict=True):
            self._wards.append(self._ward_index[ward])
            self._starts.append(start)
            self._ends.append(end if end >= 0 else _STILL_ADMITTED)
            self._offsets.append(offset)

    def allocate(self, planned: Mapping[str, int]) -> tuple[list[int], dict[str, int]]:
        """Assign beds.

        Args:
            planned: planned beds per ward.

        Returns:
            the bed number (1-based) of every admission in the order added, and
            the number of beds of each ward.

        >>> alloc = BedAllocator()
        >>> alloc.add([("nhi", 0, 100), ("nhi", 50, 150), ("nhi", 100, 200)], [0, 1, 2])
        >>> alloc.allocate({"nhi": 1})
        ([1, 2, 1], {'nhi': 2})
        """
        order = sorted((start << 39) | i for i, start in enumerate(self._starts))
        busy: list[list[tuple[int, int]]] = [[] for _ in WARDS]
        free: list[list[int]] = [[] for _ in WARDS]
        used = [0] * len(WARDS)
        beds = [0] * len(self._offsets)
        for key in order:
            i = key & (2**39 - 1)
            w, start = self._wards[i], self._starts[i]
            while busy[w] and busy[w][0][0] <= start:
                heapq.heappush(free[w], heapq.heappop(busy[w])[1])
            if free[w]:
                bed = heapq.heappop(free[w])
            else:
                used[w] += 1
                bed = used[w]
            beds[i] = bed
            heapq.heappush(busy[w], (self._ends[i], bed))
        counts = {ward: max(planned.get(ward, 0), used[i]) for i, ward in enumerate(WARDS)}
        counts = {ward: n for ward, n in counts.items() if n or ward in planned}
        if any(n >= 10**_WIDTH for n in counts.values()):
            raise Fault(f"a ward needs {10**_WIDTH} beds or more; the bed numbers would not fit")
        return beds, counts

    def patch(self, encounter_file: Path, beds: list[int]) -> None:
        """Overwrite each placeholder in ``encounter_file`` with its bed number."""
        with encounter_file.open("r+b") as handle:
            for offset, bed in zip(self._offsets, beds, strict=True):
                handle.seek(offset)
                handle.write(f"{bed:0{_WIDTH}d}".encode())
