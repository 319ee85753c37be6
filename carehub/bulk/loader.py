"""Batched NDJSON loading: validate each line, keep ids, write only what changed.

https://hl7.org/fhir/uv/bulkdata/STU2/ (NDJSON) and https://hl7.org/fhir/R4/http.html#update

Each line is checked like a PUT of the API would check it (JSON object,
resource type, ``id``, :func:`~carehub.fhir_model.validation.validate` through
``Hub.validate``) and stored under its own id. Lines are written in batches,
one store session (one transaction) per batch of ``batch_size`` lines. A
resource whose content, ignoring ``meta``, equals the stored current version is
left alone, so loading the same files twice writes nothing the second time;
the stored versions of a batch are fetched with one
:meth:`~carehub.storage.base.StoreSession.read_many` per type.

A bad line never stops the load: it is reported as one issue
(``"<file> line <n>: <reason>"``, see :func:`~carehub.bulk.outcomes.line_issue`)
and the good lines around it are stored. If a batch cannot be written as a
whole (say a database error on one resource), its lines are retried one per
session so that only the culprit fails.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import orjson

from carehub.bulk.outcomes import line_issue
from carehub.errors import Busy, CareHubError, Fault, Incorrect, Issue
from carehub.fhir_api.hub import Hub
from carehub.fhir_api.interactions.outcome import check_id
from carehub.storage.base import StoreSession

log = logging.getLogger("carehub.bulk")

DEFAULT_BATCH_SIZE = 1000

IssueSink = Callable[[Issue], None]
Key = tuple[str, str]


@dataclass(slots=True)
class LoadStats:
    """Counts of a load: written (new or changed), unchanged, failed lines.

    >>> s = LoadStats(loaded=2, failed=1)
    >>> s += LoadStats(unchanged=4)
    >>> s.processed, s
    (7, LoadStats(loaded=2, unchanged=4, failed=1))
    """

    loaded: int = 0
    unchanged: int = 0
    failed: int = 0

    @property
    def processed(self) -> int:
        """Every line or entry looked at."""
        return self.loaded + self.unchanged + self.failed

    def __iadd__(self, other: LoadStats) -> LoadStats:
        self.loaded += other.loaded
        self.unchanged += other.unchanged
        self.failed += other.failed
        return self

    def as_dict(self) -> dict[str, int]:
        """The counts as a JSON object."""
        return {"loaded": self.loaded, "unchanged": self.unchanged, "failed": self.failed}


#: called after each batch with the batch's counts and the bytes it consumed
BatchCallback = Callable[[LoadStats, int], None]


def without_meta(resource: dict[str, Any]) -> dict[str, Any]:
    """A shallow copy of ``resource`` without ``meta`` (what import compares).

    >>> without_meta({"resourceType": "Patient", "id": "a", "meta": {"versionId": "3"}})
    {'resourceType': 'Patient', 'id': 'a'}
    """
    return {k: v for k, v in resource.items() if k != "meta"}


class NdjsonLoader:
    """Loads NDJSON lines into ``hub.store`` in batches.

    Args:
        hub: the store and the validation rules.
        on_issue: receives one issue per bad line.
        batch_size: lines per store session.
    """

    def __init__(self, hub: Hub, on_issue: IssueSink, batch_size: int = DEFAULT_BATCH_SIZE) -> None:
        self.hub = hub
        self.on_issue = on_issue
        self.batch_size = max(1, batch_size)

    def load(
        self,
        source: str,
        lines: Iterable[bytes],
        *,
        expected_type: str | None = None,
        on_batch: BatchCallback | None = None,
        check: Callable[[], None] | None = None,
    ) -> LoadStats:
        """Load every line of one file.

        Args:
            source: the file's name, used in issues.
            lines: the file's lines (blank ones are skipped; line numbers count them).
            expected_type: the type the file declares; other types are bad lines.
            on_batch: progress callback.
            check: called before each batch; may raise to stop the load.

        Returns:
            The counts for this file.

        Raises:
            CareHubError: whatever ``check`` raises; the store being unreachable
                (:class:`~carehub.errors.Busy`) is also raised, not reported per line.
        """
        total = LoadStats()
        batch: list[tuple[int, bytes]] = []
        size = 0
        for number, raw in enumerate(lines, 1):
            size += len(raw) + 1
            if raw.strip():
                batch.append((number, raw))
            if len(batch) >= self.batch_size:
                total += self._batch(source, batch, expected_type, size, on_batch, check)
                batch, size = [], 0
        if batch or size:
            total += self._batch(source, batch, expected_type, size, on_batch, check)
        return total

    def _batch(
        self,
        source: str,
        batch: list[tuple[int, bytes]],
        expected_type: str | None,
        size: int,
        on_batch: BatchCallback | None,
        check: Callable[[], None] | None,
    ) -> LoadStats:
        if check is not None:
            check()
        stats = LoadStats()
        good: list[tuple[int, dict[str, Any]]] = []
        for number, raw in batch:
            try:
                good.append((number, self.parse(raw, expected_type)))
            except CareHubError as exc:
                self._bad(source, number, exc, stats)
        if good:
            try:
                stats += self._store(good)
            except CareHubError as exc:
                if not _retryable(exc):
                    raise
                stats += self._one_by_one(source, good)
            except Exception:
                log.warning("batch of %s failed; retrying line by line", source, exc_info=True)
                stats += self._one_by_one(source, good)
        if on_batch is not None:
            on_batch(stats, size)
        return stats

    def parse(self, raw: bytes, expected_type: str | None = None) -> dict[str, Any]:
        """One line as a resource ready to store.

        Raises:
            Incorrect: not JSON, not an object, no or another ``resourceType``,
                no valid ``id``. NotFound: unknown resource type. Invalid: the
                resource fails validation.
        """
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise Incorrect(f"not valid JSON ({exc})") from None
        if not isinstance(data, dict):
            raise Incorrect(f"not a JSON object but a {type(data).__name__}")
        rtype = data.get("resourceType")
        if not isinstance(rtype, str):
            raise Incorrect("the line has no resourceType", expression="resourceType")
        if expected_type is not None and rtype != expected_type:
            raise Incorrect(
                f"resourceType '{rtype}' in a file of {expected_type} resources",
                expression="resourceType",
            )
        self.hub.check_type(rtype)
        rid = data.get("id")
        if not isinstance(rid, str):
            raise Incorrect(
                "the resource has no id (bulk import keeps the ids of its input)",
                expression=f"{rtype}.id",
            )
        check_id(rid)
        self.hub.validate(data)
        return data

    def _bad(self, source: str, number: int, exc: CareHubError, stats: LoadStats) -> None:
        stats.failed += 1
        self.on_issue(line_issue(source, number, exc))

    def _store(self, good: list[tuple[int, dict[str, Any]]]) -> LoadStats:
        """Write the changed resources of a batch in one session."""
        stats = LoadStats()
        with self.hub.store.session(write=True) as session:
            previous = _current_contents(session, [res for _, res in good])
            for _, resource in good:
                key = (resource["resourceType"], resource["id"])
                content = without_meta(resource)
                if previous.get(key) == content:
                    stats.unchanged += 1
                    continue
                session.put(resource, method="PUT")
                previous[key] = content
                stats.loaded += 1
        return stats

    def _one_by_one(self, source: str, good: list[tuple[int, dict[str, Any]]]) -> LoadStats:
        stats = LoadStats()
        for number, resource in good:
            try:
                stats += self._store([(number, resource)])
            except CareHubError as exc:
                if not _retryable(exc):
                    raise
                self._bad(source, number, exc, stats)
            except Exception as exc:
                log.warning("%s line %d could not be stored", source, number, exc_info=True)
                reason = Fault(f"could not be stored ({type(exc).__name__})")
                self._bad(source, number, reason, stats)
        return stats


def _retryable(exc: CareHubError) -> bool:
    """Whether a failed batch may be the fault of one of its lines (not an outage)."""
    return not isinstance(exc, Busy)


def _current_contents(
    session: StoreSession, resources: list[dict[str, Any]]
) -> dict[Key, dict[str, Any] | None]:
    """The stored content (without ``meta``) of each resource's current version.

    Deleted or absent resources map to None.
    """
    by_type: dict[str, list[str]] = {}
    for resource in resources:
        ids = by_type.setdefault(resource["resourceType"], [])
        ids.append(resource["id"])
    out: dict[Key, dict[str, Any] | None] = {}
    for rtype, ids in by_type.items():
        for rid, stored in session.read_many(rtype, list(dict.fromkeys(ids))).items():
            if stored.body is not None and not stored.deleted:
                out[(rtype, rid)] = without_meta(orjson.loads(stored.body))
    return out
