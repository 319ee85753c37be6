"""One message in, one ACK out: parse, check, map, de-duplicate, store, acknowledge.

:func:`prepare` (pure: no store) parses a message (:mod:`carehub.hl7v2.parse`),
checks its header and maps it to a :class:`~carehub.hl7v2.plan.Plan`;
:meth:`Ingestor.commit` then, for each prepared message:

1. a message that failed to parse or map is **NAKed** (``AR`` for header
   problems, ``AE`` for content) and kept in the **dead-letter store** with the
   reason;
2. a message whose (sender, control id) is in the **ledger** is a resend: the
   same content is ACKed ``AA`` again and nothing is written; other content
   under a used control id is NAKed ``AE`` (error 205) and dead-lettered;
3. otherwise its plan is applied in **one store session**: the session commits
   only if every write of the message succeeded, so a failing message leaves
   nothing behind. The message is then added to the ledger and ACKed ``AA``.

Messages handed over together (:meth:`Ingestor.ingest_many`, the listener's
queue) are applied in one session, one after the other, to save commits; if
any of them fails the session is rolled back and each message is applied
again in a session of its own, so every message is still stored entirely or
not at all and a bad message never costs a good one its place. Two messages
of one group with the same control id are handled one after the other.

When the store is temporarily unable to write (``Busy``, a write conflict),
the message is tried again a few times, then NAKed ``AR`` with error 206 and
not dead-lettered: the sender should send it again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from carehub.errors import Busy, CareHubError, Conflict, PreconditionFailed
from carehub.fhir_api.hub import Hub
from carehub.fhir_model.validation import validate as fhir_validate
from carehub.hl7v2.ack import AckOptions, Header, build_ack
from carehub.hl7v2.apply import Applier
from carehub.hl7v2.context import Context
from carehub.hl7v2.dead_letter import DeadLetters, now_utc
from carehub.hl7v2.errors import (
    DUPLICATE_KEY,
    INTERNAL,
    RECORD_LOCKED,
    REQUIRED_FIELD,
    UNSUPPORTED_EVENT,
    UNSUPPORTED_PROCESSING_ID,
    UNSUPPORTED_TYPE,
    UNSUPPORTED_VERSION,
    Loc,
    MessageError,
)
from carehub.hl7v2.ledger import Entry, Ledger
from carehub.hl7v2.map_adt import map_adt, map_merge
from carehub.hl7v2.map_orders import map_order
from carehub.hl7v2.map_oru import map_oru
from carehub.hl7v2.map_pharmacy import map_pharmacy_dispense, map_pharmacy_order
from carehub.hl7v2.mapping import Tables, load_tables
from carehub.hl7v2.parse import Message, parse_message
from carehub.hl7v2.plan import Plan, check_plan, plan_from_wire, plan_to_wire
from carehub.search.model import SearchQuery

log = logging.getLogger("carehub.hl7v2")

Mapper = Callable[[Context], Plan]
MAPPERS: dict[str, Mapper] = {
    "adt": map_adt,
    "merge": map_merge,
    "oru": map_oru,
    "order": map_order,
    "pharmacy-order": map_pharmacy_order,
    "pharmacy-dispense": map_pharmacy_dispense,
}
"""``events.json`` ``mapper`` name → mapping function."""

TRANSIENT_RETRIES = 3


@dataclass(slots=True)
class Prepared:
    """A message parsed and mapped (or the error that stopped it)."""

    raw: bytes
    source: str
    header: Header
    digest: str = ""
    plan: Plan | None = None
    error: MessageError | None = None
    #: the ``AA`` ACK, built when the message was mapped (so the store stage need
    #: not), and the options it was built with (used only if the store's are equal)
    ack: str = ""
    ack_by: AckOptions | None = None

    @property
    def key(self) -> tuple[str, str]:
        """(sender, control id): the ledger key."""
        h = self.header
        return (f"{h.sending_application}|{h.sending_facility}", h.control_id)

    def __reduce__(self) -> tuple[Any, ...]:
        plan = plan_to_wire(self.plan) if self.plan is not None else None
        by = self.ack_by
        return (_unwire, (self.raw, self.source, self.header.to_tuple(), self.digest, plan,
                          self.error, self.ack,
                          (by.application, by.facility, by.timezone) if by else None))


def _unwire(
    raw: bytes,
    source: str,
    header: tuple[Any, ...],
    digest: str,
    plan: bytes | None,
    error: MessageError | None,
    ack: str = "",
    ack_by: tuple[str, str, str] | None = None,
) -> Prepared:
    return Prepared(raw, source, Header.from_tuple(header), digest,
                    plan_from_wire(plan) if plan is not None else None, error, ack,
                    AckOptions(*ack_by) if ack_by else None)


@dataclass(slots=True)
class Result:
    """What became of one message, with its ACK."""

    ack: str
    code: str
    control_id: str
    message_type: str
    codec: str = "utf-8"
    duplicate: bool = False
    error: MessageError | None = None
    written: tuple[str, ...] = field(default=())
    dead_letter: int | None = None

    def ack_bytes(self) -> bytes:
        """The ACK encoded in the message's character set."""
        return self.ack.encode(self.codec, "replace")


def check_header(msg: Message, tables: Tables) -> dict[str, object]:
    """The ``events.json`` entry of the message, after checking ``MSH``.

    Raises:
        MessageError: ``AR`` for a missing control id or type, an unsupported
            type, event, processing id or version.
    """
    if not msg.control_id:
        raise MessageError(REQUIRED_FIELD, "MSH-10 (message control id) is required",
                           Loc("MSH", 1, 10), ack="AR")
    if not msg.message_code or not msg.trigger_event:
        raise MessageError(REQUIRED_FIELD, "MSH-9 needs a message type and a trigger event",
                           Loc("MSH", 1, 9), ack="AR")
    event = tables.events.get(msg.message_type)
    if event is None:
        codes = {k.split("^")[0] for k in tables.events}
        if msg.message_code not in codes:
            raise MessageError(
                UNSUPPORTED_TYPE, f"message type '{msg.message_code}' is not supported",
                Loc("MSH", 1, 9, 1, 1),
            )
        events = sorted(k.split("^")[1] for k in tables.events if k.startswith(msg.message_code))
        raise MessageError(
            UNSUPPORTED_EVENT,
            f"{msg.message_code} event '{msg.trigger_event}' is not supported "
            f"({', '.join(events)} are)",
            Loc("MSH", 1, 9, 1, 2),
        )
    processing = msg.processing_id
    if processing and processing.upper() not in tables.defaults["processing_ids"]:
        raise MessageError(UNSUPPORTED_PROCESSING_ID,
                           f"processing id '{processing}' is not supported", Loc("MSH", 1, 11))
    version = msg.version
    if version and version not in tables.defaults["versions"]:
        raise MessageError(UNSUPPORTED_VERSION, f"HL7 version '{version}' is not supported",
                           Loc("MSH", 1, 12))
    return event


def map_message(msg: Message, tables: Tables) -> Plan:
    """The plan of a checked message.

    Raises:
        MessageError: see :func:`check_header` and the mappers.
    """
    event = check_header(msg, tables)
    return MAPPERS[str(event["mapper"])](Context(msg, tables, event))


def prepare(raw: bytes, source: str = "", tables: Tables | None = None) -> Prepared:
    """Parse, check and map one message; never raises (errors are in the result)."""
    tables = tables or load_tables()
    try:
        msg = parse_message(raw, tables.charsets)
        header = Header.of(msg)
    except MessageError as exc:
        return Prepared(raw, source, Header.guess(raw), error=exc)
    try:
        plan = map_message(msg, tables)
        check_plan(plan, fhir_validate)
    except MessageError as exc:
        return Prepared(raw, source, header, msg.digest(), error=exc)
    except Exception as exc:  # a bug in a mapper: NAK the message, keep it
        log.exception("mapping %s %s failed", header.message_type, header.control_id)
        error = MessageError(INTERNAL, f"mapping failed: {type(exc).__name__}: {exc}")
        return Prepared(raw, source, header, msg.digest(), error=error)
    options = ack_options(tables)
    return Prepared(raw, source, header, msg.digest(), plan,
                    ack=build_ack(header, "AA", options=options), ack_by=options)


def ack_options(tables: Tables) -> AckOptions:
    """Who CareHub says it is in ACKs: the mapping tables' receiving application and facility."""
    return AckOptions(
        str(tables.defaults.get("receiving_application", "CAREHUB")),
        str(tables.defaults.get("receiving_facility", "CAREHUB")),
        tables.timezone,
    )


class Ingestor:
    """Stores messages through the hub, with the ledger and the dead letters.

    Args:
        hub: the FHIR hub (store and validation).
        ledger: accepted control ids.
        dead_letters: NAKed messages.
        tables: the mapping tables (the packaged ones by default).
    """

    def __init__(
        self,
        hub: Hub,
        ledger: Ledger,
        dead_letters: DeadLetters,
        tables: Tables | None = None,
    ) -> None:
        self.hub = hub
        self.ledger = ledger
        self.dead_letters = dead_letters
        self.tables = tables or load_tables()
        self.ack_options = ack_options(self.tables)
        self._unresolved = dead_letters.count() > 0
        self._queries: dict[str, SearchQuery] = {}

    def close(self) -> None:
        """Close the store, the ledger and the dead letters."""
        self.hub.store.close()
        self.ledger.close()
        self.dead_letters.close()

    # -- entry points ------------------------------------------------------------------
    def ingest(self, raw: bytes, source: str = "") -> Result:
        """Ingest one message in its own store session."""
        return self.commit([prepare(raw, source, self.tables)])[0]

    def ingest_many(self, items: Iterable[tuple[bytes, str]]) -> list[Result]:
        """Ingest several messages (``(raw, source)``), in order, sharing store sessions."""
        return self.commit([prepare(raw, source, self.tables) for raw, source in items])

    def commit(self, prepared: Sequence[Prepared]) -> list[Result]:
        """Store prepared messages (see the module docstring); one result each, in order."""
        results: list[Result | None] = [None] * len(prepared)
        pending = []
        for i, p in enumerate(prepared):
            if p.error is not None or p.plan is None:
                results[i] = self._reject(p, p.error or MessageError(INTERNAL, "no plan"))
            else:
                pending.append(i)
        if pending:
            known = self.ledger.lookup(prepared[i].key for i in pending)
            fresh: list[int] = []
            later: list[int] = []
            seen: set[tuple[str, str]] = set()
            for i in pending:
                p = prepared[i]
                entry = known.get(p.key)
                if entry is not None:
                    results[i] = self._duplicate(p, entry)
                elif p.key in seen:
                    later.append(i)
                else:
                    seen.add(p.key)
                    fresh.append(i)
            if len(fresh) > 1:
                self._store_group(prepared, fresh, results)
            elif fresh:
                results[fresh[0]] = self._store_one(prepared[fresh[0]])
            if later:
                for i, result in zip(later, self.commit([prepared[i] for i in later]),
                                     strict=True):
                    results[i] = result
        return [r for r in results if r is not None]

    # -- storing ------------------------------------------------------------------------
    def _store_group(
        self, prepared: Sequence[Prepared], indexes: list[int], results: list[Result | None]
    ) -> None:
        written: dict[int, list[str]] = {}
        try:
            with self.hub.store.session(write=True) as session:
                applier = Applier(self.hub, session, self._queries)
                applier.prefetch([p.plan for i in indexes if (p := prepared[i]).plan is not None])
                for i in indexes:
                    plan = prepared[i].plan
                    assert plan is not None
                    written[i] = applier.apply(plan)
        except Exception:
            for i in indexes:
                results[i] = self._store_one(prepared[i])
            return
        accepted = self._accepted([(prepared[i], written[i]) for i in indexes])
        for i, result in zip(indexes, accepted, strict=True):
            results[i] = result

    def _store_one(self, p: Prepared) -> Result:
        assert p.plan is not None
        for attempt in range(TRANSIENT_RETRIES + 1):
            try:
                with self.hub.store.session(write=True) as session:
                    applier = Applier(self.hub, session, self._queries)
                    applier.prefetch([p.plan])
                    written = applier.apply(p.plan)
            except MessageError as exc:
                return self._reject(p, exc)
            except (Busy, Conflict) as exc:
                if isinstance(exc, PreconditionFailed) or attempt == TRANSIENT_RETRIES:
                    return self._reject(p, MessageError(
                        RECORD_LOCKED, f"the store could not take the message now: {exc}",
                        ack="AR", transient=not isinstance(exc, PreconditionFailed),
                    ))
                time.sleep(0.05 * (attempt + 1))
            except CareHubError as exc:
                return self._reject(p, MessageError(INTERNAL, f"storing failed: {exc}"))
            except Exception as exc:  # a bug: NAK and keep the message
                log.exception("storing %s %s failed", p.header.message_type, p.header.control_id)
                return self._reject(
                    p, MessageError(INTERNAL, f"storing failed: {type(exc).__name__}: {exc}")
                )
            else:
                return self._accepted([(p, written)])[0]
        raise AssertionError("unreachable")  # pragma: no cover

    def _accepted(self, done: list[tuple[Prepared, list[str]]]) -> list[Result]:
        stamp = now_utc()
        entries = [
            Entry(p.key[0], p.key[1], p.digest, p.header.message_type, stamp, tuple(w))
            for p, w in done
        ]
        try:
            self.ledger.record(entries)
        except Exception:  # the message is stored; a resend would write nothing again
            log.exception("recording %d messages in the ledger failed", len(entries))
        if self._unresolved:
            try:
                self.dead_letters.resolve([p.key for p, _ in done])
            except Exception:
                log.exception("resolving dead letters failed")
        return [
            Result(
                p.ack if p.ack and p.ack_by == self.ack_options
                else build_ack(p.header, "AA", options=self.ack_options),
                "AA",
                p.header.control_id,
                p.header.message_type,
                p.header.codec,
                written=tuple(w),
            )
            for p, w in done
        ]

    def _duplicate(self, p: Prepared, entry: Entry) -> Result:
        if entry.digest != p.digest:
            error = MessageError(
                DUPLICATE_KEY,
                f"control id '{p.header.control_id}' was already used by another message "
                f"(accepted {entry.received}); this one is not stored",
                Loc("MSH", 1, 10),
            )
            return self._reject(p, error)
        text = f"duplicate of the message accepted {entry.received}; not stored again"
        return Result(
            build_ack(p.header, "AA", text=text, options=self.ack_options),
            "AA",
            p.header.control_id,
            p.header.message_type,
            p.header.codec,
            duplicate=True,
        )

    def _reject(self, p: Prepared, error: MessageError) -> Result:
        letter = None
        if not error.transient:
            try:
                letter = self.dead_letters.add(p.raw, p.header, error, p.source)
                self._unresolved = True
            except Exception:
                log.exception("keeping a dead letter failed")
        log.info("NAK %s %s %s %s at %s: %s", error.ack, p.header.message_type,
                 p.header.control_id, error.code, error.loc, error.message)
        return Result(
            build_ack(p.header, error.ack, error=error, options=self.ack_options),
            error.ack,
            p.header.control_id,
            p.header.message_type,
            p.header.codec,
            error=error,
            dead_letter=letter,
        )
