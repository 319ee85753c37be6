"""``carehub import``: loading NDJSON and Bundle files from this machine.

https://hl7.org/fhir/uv/bulkdata/STU2/ (NDJSON) and https://hl7.org/fhir/R4/http.html#transaction

The command takes files and folders (a folder's ``*.ndjson`` and ``*.json``
files, not its sub-folders). Each file is loaded by its kind:

* ``*.ndjson`` — :class:`~carehub.bulk.loader.NdjsonLoader`, in type order
  (:func:`~carehub.bulk.ndjson.load_rank`: the type its name declares, else the
  type of its first line);
* ``*.json`` holding a Bundle — :func:`~carehub.bulk.bundle_files.load_bundle`,
  after all NDJSON files, Synthea's shared-resource files first.

A ``*.json`` file of a folder that is not a Bundle is skipped with a warning;
one named on the command line is a failure.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from carehub.bulk.bundle_files import bundle_order, is_bundle, load_bundle
from carehub.bulk.loader import DEFAULT_BATCH_SIZE, IssueSink, LoadStats, NdjsonLoader
from carehub.bulk.ndjson import declared_type, load_rank
from carehub.bulk.outcomes import line_issue
from carehub.errors import Incorrect, Issue
from carehub.fhir_api.hub import Hub

NDJSON_SUFFIX = ".ndjson"
BUNDLE_SUFFIX = ".json"

#: called as bytes are consumed: (file name, bytes done over all files, counts so far)
ProgressCallback = Callable[[str, int, LoadStats], None]


@dataclass(frozen=True, slots=True)
class ImportFile:
    """One file to load: its path, kind (``ndjson``/``bundle``) and declared type."""

    path: Path
    kind: str
    declared: str | None = None
    named: bool = False


@dataclass(slots=True)
class ImportSummary:
    """What an import did."""

    stats: LoadStats = field(default_factory=LoadStats)
    files: int = 0
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        """Lines and entries processed per second."""
        return self.stats.processed / self.seconds if self.seconds > 0 else 0.0

    def line(self) -> str:
        """The one-line summary.

        >>> ImportSummary(LoadStats(3, 1, 0), 2, [], 0.5).line()
        'loaded 3, unchanged 1, failed 0 from 2 files in 0.50 s (8 resources/s)'
        """
        s = self.stats
        skipped = f", {len(self.skipped)} skipped" if self.skipped else ""
        return (
            f"loaded {s.loaded}, unchanged {s.unchanged}, failed {s.failed} "
            f"from {self.files} file{'' if self.files == 1 else 's'}{skipped} "
            f"in {self.seconds:.2f} s ({self.rate:,.0f} resources/s)"
        )


def collect_files(paths: Sequence[Path], is_type: Callable[[str], bool]) -> list[ImportFile]:
    """The files to load, in load order.

    Raises:
        Incorrect: a path does not exist, a named file is neither ``.ndjson`` nor
            ``.json``, or there is nothing to load.
    """
    found: list[ImportFile] = []
    for path in paths:
        if path.is_dir():
            for child in sorted(path.iterdir()):
                if child.is_file() and child.suffix in (NDJSON_SUFFIX, BUNDLE_SUFFIX):
                    found.append(_classify(child, is_type, named=False))
        elif path.is_file():
            if path.suffix not in (NDJSON_SUFFIX, BUNDLE_SUFFIX):
                raise Incorrect(f"{path}: not an .ndjson or .json file")
            found.append(_classify(path, is_type, named=True))
        else:
            raise Incorrect(f"no such file or folder: {path}")
    if not found:
        raise Incorrect("no .ndjson or .json files in " + ", ".join(str(p) for p in paths))
    unique = list({f.path.resolve(): f for f in found}.values())
    ndjson = sorted(
        (f for f in unique if f.kind == "ndjson"),
        key=lambda f: (load_rank(f.declared or _first_type(f.path)), f.path.name),
    )
    bundles = {f.path: f for f in unique if f.kind == "bundle"}
    return ndjson + [bundles[p] for p in bundle_order(bundles)]


def _classify(path: Path, is_type: Callable[[str], bool], named: bool) -> ImportFile:
    if path.suffix == NDJSON_SUFFIX:
        return ImportFile(path, "ndjson", declared_type(path.name, is_type), named)
    return ImportFile(path, "bundle", None, named)


def _first_type(path: Path) -> str | None:
    """The resourceType of the first non-blank line, for ordering only (None if unreadable)."""
    try:
        with path.open("rb") as handle:
            for raw in handle:
                if raw.strip():
                    data = orjson.loads(raw)
                    rtype = data.get("resourceType") if isinstance(data, dict) else None
                    return rtype if isinstance(rtype, str) else None
    except (OSError, orjson.JSONDecodeError):
        return None
    return None


class LocalImport:
    """Loads local files into a hub's store.

    Args:
        hub: the store and validation rules (as the API's).
        on_issue: receives one issue per bad line, failed Bundle or skipped file.
        batch_size: NDJSON lines per store session.
        on_progress: progress callback, called after each batch and file.
    """

    def __init__(
        self,
        hub: Hub,
        on_issue: IssueSink,
        batch_size: int = DEFAULT_BATCH_SIZE,
        on_progress: ProgressCallback | None = None,
    ) -> None:
        self.hub = hub
        self.on_issue = on_issue
        self.loader = NdjsonLoader(hub, on_issue, batch_size)
        self.on_progress = on_progress

    def run(self, files: Sequence[ImportFile]) -> ImportSummary:
        """Load ``files`` in the order given.

        Raises:
            Busy: the store is unreachable.
        """
        summary = ImportSummary(files=len(files))
        started = time.perf_counter()
        done = 0
        for item in files:
            name = item.path.name

            def advance(stats: LoadStats, size: int, name: str = name) -> None:
                nonlocal done
                summary.stats += stats
                done += size
                if self.on_progress is not None:
                    self.on_progress(name, done, summary.stats)

            if item.kind == "ndjson":
                with item.path.open("rb") as handle:
                    lines = (raw.rstrip(b"\r\n") for raw in handle)
                    self.loader.load(name, lines, expected_type=item.declared, on_batch=advance)
            else:
                advance(self._bundle_file(item, summary), item.path.stat().st_size)
        if summary.stats.loaded:
            self.hub.store.optimize()
        summary.seconds = time.perf_counter() - started
        return summary

    def _bundle_file(self, item: ImportFile, summary: ImportSummary) -> LoadStats:
        name = item.path.name
        try:
            data = orjson.loads(item.path.read_bytes())
        except orjson.JSONDecodeError as exc:
            self.on_issue(line_issue(name, None, Incorrect(f"not valid JSON ({exc})")))
            return LoadStats(failed=1)
        if is_bundle(data):
            return load_bundle(self.hub, name, data, self.on_issue)
        what = data.get("resourceType") if isinstance(data, dict) else None
        reason = f"not a Bundle ({f'a {what}' if isinstance(what, str) else 'no resourceType'})"
        if item.named:
            self.on_issue(line_issue(name, None, Incorrect(reason)))
            return LoadStats(failed=1)
        summary.skipped.append(name)
        self.on_issue(Issue("warning", "informational", f"{name}: skipped, {reason}"))
        return LoadStats()
