"""Feedback on cards: what the user did with them (CDS Hooks 2.0).

https://cds-hooks.hl7.org/2.0/#feedback

A CDS Client POSTs ``{"feedback": [...]}`` to
``{baseUrl}/cds-services/{id}/feedback``. :func:`parse_feedback` checks each
entry (``card``, ``outcome`` ``accepted|overridden``, ``acceptedSuggestions``
for accepted outcomes, ``overrideReason``, ``outcomeTimestamp``) and a
:class:`FeedbackStore` keeps them: :class:`MemoryFeedbackStore` for tests,
:class:`JsonlFeedbackStore` (one JSON line per entry) for a deployment.
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import orjson

from carehub.errors import Incorrect

OUTCOMES = ("accepted", "overridden")


@dataclass(frozen=True, slots=True)
class Feedback:
    """One feedback entry, as received, with the service and the time it arrived."""

    service_id: str
    card: str
    outcome: str
    outcome_timestamp: str
    accepted_suggestions: tuple[str, ...] = ()
    override_reason: Mapping[str, Any] | None = None
    received: str = ""

    def to_json(self) -> dict[str, Any]:
        """JSON form (as stored)."""
        return {
            "serviceId": self.service_id,
            "card": self.card,
            "outcome": self.outcome,
            "acceptedSuggestions": [{"id": s} for s in self.accepted_suggestions],
            "overrideReason": dict(self.override_reason) if self.override_reason else None,
            "outcomeTimestamp": self.outcome_timestamp,
            "received": self.received,
        }


def _timestamp(text: Any, where: str) -> str:
    if not isinstance(text, str):
        raise Incorrect(
            f"{where}.outcomeTimestamp is required", expression=f"{where}.outcomeTimestamp"
        )
    try:
        datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise Incorrect(f"{where}.outcomeTimestamp is not an ISO 8601 date-time: {text!r}",
                        expression=f"{where}.outcomeTimestamp") from exc
    return text


def _entry(service_id: str, item: Any, where: str, now: str) -> Feedback:
    if not isinstance(item, Mapping):
        raise Incorrect(f"{where} must be a JSON object", expression=where)
    card = item.get("card")
    if not isinstance(card, str) or not card:
        raise Incorrect(f"{where}.card (the card's uuid) is required", expression=f"{where}.card")
    outcome = item.get("outcome")
    if outcome not in OUTCOMES:
        raise Incorrect(f"{where}.outcome must be accepted or overridden, not {outcome!r}",
                        expression=f"{where}.outcome")
    accepted: list[str] = []
    for s in item.get("acceptedSuggestions") or ():
        if not isinstance(s, Mapping) or not isinstance(s.get("id"), str):
            raise Incorrect(f"{where}.acceptedSuggestions entries need an id",
                            expression=f"{where}.acceptedSuggestions")
        accepted.append(s["id"])
    if outcome == "accepted" and not accepted:
        raise Incorrect(f"{where}.acceptedSuggestions is required for accepted outcomes",
                        expression=f"{where}.acceptedSuggestions")
    reason = item.get("overrideReason")
    if reason is not None and not isinstance(reason, Mapping):
        raise Incorrect(f"{where}.overrideReason must be a JSON object",
                        expression=f"{where}.overrideReason")
    return Feedback(service_id, card, outcome, _timestamp(item.get("outcomeTimestamp"), where),
                    tuple(accepted), reason, now)


def parse_feedback(
    service_id: str, body: Any, now: datetime.datetime | None = None
) -> list[Feedback]:
    """The feedback entries of a request body.

    Raises:
        Incorrect: not ``{"feedback": [...]}``, or an entry breaks the specification;
            ``expression`` names the entry (``feedback[0].outcome``).

    >>> body = {"feedback": [{"card": "c1", "outcome": "overridden",
    ...                       "outcomeTimestamp": "2020-12-11T00:00:00Z"}]}
    >>> [f.outcome for f in parse_feedback("svc", body)]
    ['overridden']
    >>> parse_feedback("svc", {"feedback": [{"card": "c1", "outcome": "accepted",
    ...                                      "outcomeTimestamp": "2020-12-11T00:00:00Z"}]})
    Traceback (most recent call last):
    carehub.errors.Incorrect: feedback[0].acceptedSuggestions is required for accepted outcomes
    """
    if not isinstance(body, Mapping) or not isinstance(body.get("feedback"), list):
        raise Incorrect('the feedback body must be {"feedback": [...]}', expression="feedback")
    stamp = (now or datetime.datetime.now(datetime.UTC)).isoformat()
    return [_entry(service_id, item, f"feedback[{i}]", stamp)
            for i, item in enumerate(body["feedback"])]


class FeedbackStore(Protocol):
    """Where feedback goes."""

    def add(self, entries: Sequence[Feedback]) -> None:
        """Keep ``entries``."""

    def all(self) -> list[Feedback]:
        """Every entry kept, oldest first."""


class MemoryFeedbackStore:
    """Feedback kept in memory (tests, demos)."""

    def __init__(self) -> None:
        self._items: list[Feedback] = []
        self._lock = threading.Lock()

    def add(self, entries: Sequence[Feedback]) -> None:
        """Keep ``entries``."""
        with self._lock:
            self._items.extend(entries)

    def all(self) -> list[Feedback]:
        """Every entry kept, oldest first."""
        with self._lock:
            return list(self._items)


class JsonlFeedbackStore:
    """Feedback appended to a JSON-lines file (created with its folder on first write)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def add(self, entries: Sequence[Feedback]) -> None:
        """Append ``entries``, one JSON object per line."""
        if not entries:
            return
        data = b"".join(orjson.dumps(e.to_json()) + b"\n" for e in entries)
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("ab") as fh:
                fh.write(data)

    def all(self) -> list[Feedback]:
        """Every entry in the file, oldest first."""
        if not self.path.is_file():
            return []
        out = []
        for line in self.path.read_bytes().splitlines():
            if not line.strip():
                continue
            j = orjson.loads(line)
            out.append(Feedback(j["serviceId"], j["card"], j["outcome"], j["outcomeTimestamp"],
                                tuple(s["id"] for s in j["acceptedSuggestions"]),
                                j["overrideReason"], j["received"]))
        return out
