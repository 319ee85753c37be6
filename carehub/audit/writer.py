"""Writing audit events off the request path: a queue and one background writer thread.

https://hl7.org/fhir/R4/auditevent.html

Requests only enqueue an :class:`~carehub.audit.event.AuditInput` (no I/O, no
JSON work); the writer thread builds the AuditEvents, finds their patients
and appends them in batches gathered for up to :data:`LINGER_S` (one commit
and one head update per batch, so the per-request cost stays small).
:meth:`AuditWriter.flush` waits until everything queued so far is written
(tests, shutdown); :meth:`AuditWriter.close` flushes and stops the thread.

Failure modes: a failed write is logged (without event content) and the
batch retried on the next round; events are never silently dropped while the
process runs.
"""

from __future__ import annotations

import logging
import queue
import threading
import time

from carehub.audit.event import AuditInput, audit_event
from carehub.audit.log import AuditLog
from carehub.errors import Fault

log = logging.getLogger("carehub.audit")
BATCH = 500
#: how long the writer gathers events before one write (one commit, one head update)
LINGER_S = 0.1


class AuditWriter:
    """Background writer of one :class:`AuditLog`."""

    def __init__(self, trail: AuditLog) -> None:
        self.trail = trail
        self.queue: queue.Queue[AuditInput | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="carehub-audit", daemon=True)
        self._thread.start()

    def submit(self, item: AuditInput) -> None:
        """Queue one request's audit input (returns at once)."""
        self.queue.put_nowait(item)

    def _run(self) -> None:
        stop = False
        pending: list[AuditInput] = []
        while not stop:
            item = self.queue.get()
            count = 1
            if item is None:
                stop = True
            else:
                pending.append(item)
            deadline = time.monotonic() + LINGER_S
            while len(pending) < BATCH and not stop:
                try:
                    more = self.queue.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                count += 1
                if more is None:
                    stop = True
                    break
                pending.append(more)
            try:
                self.trail.append([audit_event(p) for p in pending])
                pending = []
            except Fault:
                log.error("audit trail write failed; %d events kept for retry", len(pending))
            for _ in range(count):
                self.queue.task_done()

    def flush(self) -> None:
        """Wait until every queued event is written."""
        self.queue.join()

    def close(self) -> None:
        """Write what is queued and stop the thread."""
        if self._thread.is_alive():
            self.queue.put(None)
            self._thread.join(timeout=30)
        self.trail.close()
