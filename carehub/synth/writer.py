"""Writing the output folder: Bulk Data NDJSON files, ground truth, manifest.

https://hl7.org/fhir/uv/bulkdata/export.html (file layout and manifest)

One ``<ResourceType>.ndjson`` file per type, one resource per line, UTF-8,
plus ``ground_truth.csv`` and a ``manifest.json`` shaped like a Bulk Data
export manifest (``output`` lists each file with its ``type`` and ``count``;
the run's parameters are under ``extension``). Files are written as
``<name>.part`` and renamed when the run completes, so a failed run never
leaves a half-written file under its final name. Bytes are appended as
blocks arrive; the writer holds no resources, only the bed-allocation
bookkeeping of :class:`~carehub.synth.beds.BedAllocator`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, Any

import orjson

from carehub.errors import Incorrect
from carehub.synth import truth
from carehub.synth.beds import BedAllocator, placeholder_offsets
from carehub.synth.block import Block
from carehub.synth.record import ALL_TYPES

GROUND_TRUTH = "ground_truth.csv"
MANIFEST = "manifest.json"


def _prepare(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise Incorrect(f"--out {out_dir} exists and is not a directory")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise Incorrect(f"cannot create --out {out_dir}: {exc.strerror or exc}") from None


class BulkWriter:
    """Appends blocks to the files of one output folder.

    Args:
        out_dir: the folder; created if missing.

    Raises:
        Incorrect: ``out_dir`` is a file or cannot be created.
    """

    def __init__(self, out_dir: Path) -> None:
        _prepare(out_dir)
        self.out_dir = out_dir
        self.counts = dict.fromkeys(ALL_TYPES, 0)
        self.beds = BedAllocator()
        self._files: dict[str, IO[bytes]] = {}
        for name in (*ALL_TYPES, "truth"):
            self._files[name] = self._part(name).open("wb")
        self._files["truth"].write(truth.header())

    def _final(self, name: str) -> Path:
        return self.out_dir / (GROUND_TRUTH if name == "truth" else f"{name}.ndjson")

    def _part(self, name: str) -> Path:
        final = self._final(name)
        return final.with_name(final.name + ".part")

    def write_block(self, block: Block) -> None:
        """Append the lines of ``block`` (blocks must come in patient order)."""
        for resource_type, data in block.ndjson.items():
            handle = self._files[resource_type]
            if resource_type == "Encounter" and block.admissions:
                base = handle.tell()
                offsets = [base + o for o in placeholder_offsets(data)]
                self.beds.add(block.admissions, offsets)
            handle.write(data)
            self.counts[resource_type] += block.counts[resource_type]
        self._files["truth"].write(block.truth)

    def write_resources(self, resources: Iterable[dict[str, Any]]) -> None:
        """Append individual resources (the hospital's own) to their files."""
        for resource in resources:
            resource_type = resource["resourceType"]
            self._files[resource_type].write(
                orjson.dumps(resource, option=orjson.OPT_APPEND_NEWLINE)
            )
            self.counts[resource_type] += 1

    def allocate_beds(self, planned: Mapping[str, int]) -> dict[str, int]:
        """Assign beds to every admission written so far; return the beds per ward."""
        self._files["Encounter"].flush()
        beds, wards = self.beds.allocate(planned)
        if len(self.beds):
            self.beds.patch(self._part("Encounter"), beds)
        return wards

    def finish(self, manifest: Mapping[str, Any]) -> None:
        """Close every file, give them their final names and write the manifest."""
        for handle in self._files.values():
            handle.close()
        for name in self._files:
            self._part(name).replace(self._final(name))
        output = [{"type": t, "url": f"{t}.ndjson", "count": self.counts[t]} for t in ALL_TYPES]
        document = {**manifest, "output": output, "error": []}
        data = orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)
        (self.out_dir / MANIFEST).write_bytes(data)

    def abort(self) -> None:
        """Close and delete the partial files (after a failure)."""
        for name, handle in self._files.items():
            handle.close()
            with contextlib.suppress(OSError):
                self._part(name).unlink()
