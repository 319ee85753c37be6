"""Where the warehouse reads FHIR resources from: the :class:`FhirSource` protocol.

https://hl7.org/fhir/uv/bulkdata/export.html#file-format

The warehouse never imports the FHIR API or a concrete store. It reads
through :class:`FhirSource`; :class:`NdjsonSource` reads Bulk Data NDJSON
files (one resource per line, any file names), :class:`MemorySource` holds
resources in a list (tests, ``$run`` with inline resources), and the
composition root (:mod:`carehub.app.warehouse_source`) adapts the FHIR store.

``since`` values are FHIR instants (``2024-01-02T03:04:05.123Z``); a source
returns the resources whose ``meta.lastUpdated`` is at or after it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import orjson

from carehub.errors import Incorrect


class FhirSource(Protocol):
    """Resources to build the warehouse from."""

    def resource_types(self) -> list[str]:
        """The resource types the source holds."""
        ...

    def resources(self, resource_type: str, since: str | None = None) -> Iterator[bytes]:
        """JSON texts of the current resources of a type, changed at or after ``since``."""
        ...

    def deleted(self, resource_type: str, since: str) -> Iterator[str]:
        """Ids of the resources of a type deleted at or after ``since``."""
        ...


def last_updated(resource: Mapping[str, Any]) -> str:
    """``meta.lastUpdated`` of a resource, or ``""``.

    >>> last_updated({"meta": {"lastUpdated": "2024-01-02T03:04:05Z"}})
    '2024-01-02T03:04:05Z'
    """
    meta = resource.get("meta")
    if isinstance(meta, Mapping):
        value = meta.get("lastUpdated")
        if isinstance(value, str):
            return value
    return ""


def changed_since(resource: Mapping[str, Any], since: str | None) -> bool:
    """Whether a resource was updated at or after ``since`` (instants compared as UTC).

    >>> resource = {"meta": {"lastUpdated": "2024-01-02T03:00:00+02:00"}}
    >>> changed_since(resource, "2024-01-02T02:00:00Z")
    False
    """
    if since is None:
        return True
    stamp = last_updated(resource)
    if not stamp:
        return True
    from carehub.fhir_model.values import date_range

    return date_range(stamp)[1] >= date_range(since)[0]


class MemorySource:
    """Resources held in memory.

    Args:
        resources: parsed resources (each with ``resourceType``).
        deleted: ``(resource_type, id, instant)`` of deletions, for refresh.
    """

    def __init__(
        self,
        resources: Iterable[Mapping[str, Any]] = (),
        deleted: Iterable[tuple[str, str, str]] = (),
    ) -> None:
        self.items = [dict(r) for r in resources]
        self.deletions = list(deleted)

    def resource_types(self) -> list[str]:
        return sorted({str(r.get("resourceType")) for r in self.items})

    def resources(self, resource_type: str, since: str | None = None) -> Iterator[bytes]:
        for resource in self.items:
            if resource.get("resourceType") == resource_type and changed_since(resource, since):
                yield orjson.dumps(resource)

    def deleted(self, resource_type: str, since: str) -> Iterator[str]:
        from carehub.fhir_model.values import date_range

        low = date_range(since)[0]
        for kind, rid, when in self.deletions:
            if kind == resource_type and date_range(when)[1] >= low:
                yield rid


class NdjsonSource:
    """Bulk Data NDJSON files: every ``*.ndjson`` file under the given paths.

    A file named after its resource type (``Patient.ndjson``,
    ``Patient.000.ndjson``: the Bulk Data convention) is taken to hold only
    that type, as its first line says; any other file is read once to find
    the types it holds. Files that are not FHIR (an export ``log.ndjson``
    without ``resourceType``) are skipped. Deletions are not visible in
    NDJSON, so :meth:`deleted` finds none.

    Args:
        paths: NDJSON files or folders holding them.

    Raises:
        Incorrect: a path does not exist.
    """

    def __init__(self, paths: Sequence[str | os.PathLike[str]]) -> None:
        files: list[Path] = []
        for raw in paths:
            path = Path(raw)
            if path.is_dir():
                files.extend(sorted(path.glob("*.ndjson")))
            elif path.is_file():
                files.append(path)
            else:
                raise Incorrect(f"NDJSON source {path} does not exist")
        self.by_type: dict[str, list[Path]] = {}
        self.mixed: set[Path] = set()
        for file in files:
            kind = _first_type(file)
            if kind is None:
                continue
            if file.name.split(".")[0] == kind:
                self.by_type.setdefault(kind, []).append(file)
                continue
            kinds = _all_types(file)
            if len(kinds) > 1:
                self.mixed.add(file)
            for each in kinds:
                self.by_type.setdefault(each, []).append(file)

    def resource_types(self) -> list[str]:
        return sorted(self.by_type)

    def files(self, resource_type: str) -> list[Path]:
        """The files holding resources of ``resource_type``."""
        return list(self.by_type.get(resource_type, ()))

    def exclusive(self, resource_type: str) -> bool:
        """Whether the files of ``resource_type`` hold nothing else."""
        return not any(f in self.mixed for f in self.by_type.get(resource_type, ()))

    def resources(self, resource_type: str, since: str | None = None) -> Iterator[bytes]:
        for file in self.files(resource_type):
            check_type = file in self.mixed
            with file.open("rb") as handle:
                for line in handle:
                    line = line.strip()
                    if not line:
                        continue
                    if since is None and not check_type:
                        yield line
                        continue
                    resource = orjson.loads(line)
                    if check_type and resource.get("resourceType") != resource_type:
                        continue
                    if changed_since(resource, since):
                        yield line

    def deleted(self, resource_type: str, since: str) -> Iterator[str]:
        return iter(())


def _all_types(file: Path) -> set[str]:
    kinds: set[str] = set()
    with file.open("rb") as handle:
        for line in handle:
            if line.strip():
                kind = orjson.loads(line).get("resourceType")
                if isinstance(kind, str):
                    kinds.add(kind)
    return kinds


def _first_type(file: Path) -> str | None:
    with file.open("rb") as handle:
        for line in handle:
            if line.strip():
                try:
                    first = orjson.loads(line)
                except orjson.JSONDecodeError as exc:
                    raise Incorrect(f"{file} is not NDJSON: {exc}") from exc
                kind = first.get("resourceType") if isinstance(first, dict) else None
                return kind if isinstance(kind, str) else None
    return None
