"""Checkpoints of a SQLite write-ahead log, run by a thread of their own.

https://www.sqlite.org/wal.html#checkpointing

By default the connection whose commit pushes the log past
``wal_autocheckpoint`` pages copies it back into the database file there
and then, and waits for the file to be synced: a writer (an HL7 v2 store
stage, a bulk import, an API request) pays for everyone's pages at random
moments. A :class:`Checkpointer` instead runs ``PRAGMA wal_checkpoint(PASSIVE)``
on its own connection every ``interval`` seconds: PASSIVE copies what no
reader still needs without taking the write lock, so writers go on while it
works, and SQLite releases the interpreter while it copies, so it runs on
another core. The writers keep an automatic checkpoint at a larger
threshold as a backstop, should this thread fall behind.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

log = logging.getLogger("carehub.storage")


class Checkpointer:
    """A daemon thread checkpointing the log of the SQLite file ``path``.

    Args:
        path: the database file (in WAL mode).
        interval: seconds between checkpoints.
    """

    def __init__(self, path: Path, interval: float = 0.25) -> None:
        self.path = Path(path)
        self.interval = interval
        self.checkpoints = 0
        """Checkpoints that copied at least one page."""
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"checkpoint-{self.path.name}", daemon=True
        )
        self._thread.start()

    def _run(self) -> None:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                               timeout=0)
        try:
            while not self._stop.wait(self.interval):
                self.checkpoint(conn)
        finally:
            conn.close()

    def checkpoint(self, conn: sqlite3.Connection) -> int:
        """One passive checkpoint on ``conn``; the pages it copied (0 when busy or idle)."""
        try:
            row = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error as exc:  # locked by another checkpoint, file gone...: next time
            log.debug("checkpoint of %s skipped: %s", self.path, exc)
            return 0
        copied = int(row[2]) if row and row[2] > 0 else 0
        if copied:
            self.checkpoints += 1
        return copied

    def close(self) -> None:
        """Stop the thread (after the checkpoint it may be running)."""
        self._stop.set()
        self._thread.join(timeout=30)
