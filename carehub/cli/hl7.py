"""``carehub hl7``: HL7 v2 ingest (MLLP listener, file import, sending, dead letters).

Usage::

    carehub hl7 listen [--host 127.0.0.1] [--port 2575] [--max-batch 64] [--parse-workers 1]
        [--store-process | --store-thread]
    carehub hl7 import FILE|DIR... [--batch 64]
    carehub hl7 send FILE|DIR... [--host 127.0.0.1] [--port 2575] [--timeout 30]
    carehub hl7 dead-letters [--limit 20] [--all] [--show ID] [--json]

Messages are stored in the FHIR store the settings name (``CAREHUB_STORAGE``...);
the control-id ledger and the dead letters live in
``<CAREHUB_DATA_DIR>/hl7v2/hl7v2.sqlite3``. See :mod:`carehub.hl7v2`.

``import`` prints each NAK on stderr and a summary on stdout; exit status 1
when a message was NAKed. ``send`` prints each ACK code; exit status 1 when
one was not ``AA``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from carehub.settings import Settings, load_settings

if TYPE_CHECKING:
    from carehub.hl7v2.ingest import Ingestor

app = typer.Typer(
    name="hl7",
    no_args_is_help=True,
    help="HL7 v2 ingest: MLLP listener, file import, sending, dead letters.",
)

FAILED_EXIT_CODE = 1
SHOWN_NAKS = 20


def state_path(settings: Settings) -> Path:
    """The SQLite file of the ledger and the dead letters."""
    from carehub.hl7v2.ledger import STATE_FILE

    return settings.data_dir / "hl7v2" / STATE_FILE


def _ingestor(settings: Settings) -> Ingestor:
    from carehub.app.wiring import build_hub
    from carehub.hl7v2.dead_letter import DeadLetters
    from carehub.hl7v2.ingest import Ingestor
    from carehub.hl7v2.ledger import Ledger

    path = state_path(settings)
    return Ingestor(build_hub(settings), Ledger(path), DeadLetters(path))


def _ingestor_from_environment() -> Ingestor:
    """The ingestor of the settings in the environment (what the store process builds)."""
    return _ingestor(load_settings())


def _close(ingestor: Ingestor) -> None:
    ingestor.close()


@app.command("listen")
def listen(
    port: Annotated[int, typer.Option(help="TCP port to listen on.")] = 2575,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    max_batch: Annotated[
        int, typer.Option(min=1, help="Most messages stored in one store session.")
    ] = 64,
    parse_workers: Annotated[
        int,
        typer.Option(min=0, help="Processes parsing and mapping messages (0: a thread)."),
    ] = 1,
    store_process: Annotated[
        bool,
        typer.Option(
            "--store-process/--store-thread",
            help="Store messages in a process of its own (or in a thread of the listener's).",
        ),
    ] = True,
) -> None:
    """Receive HL7 v2 messages over MLLP and store them (ACK/NAK each)."""
    from carehub.hl7v2.listener import Listener

    settings = load_settings()
    level = str(settings["CAREHUB_LOG_LEVEL"]).upper()
    logging.basicConfig(level=getattr(logging, level, logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    ingestor = None if store_process else _ingestor(settings)

    async def run() -> None:
        factory = _ingestor_from_environment if store_process else None
        listener = Listener(ingestor, host, port, max_batch=max_batch,
                            parse_workers=parse_workers, store_factory=factory)
        await listener.start()
        store = f" (store process {listener.store_pid})" if listener.store_pid else ""
        typer.echo(f"carehub: HL7 MLLP listener on {host}:{listener.port}{store}")
        sys.stdout.flush()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        await listener.close()
        s = listener.stats
        typer.echo(
            f"carehub: stopped; {s.messages} messages: {s.accepted} accepted, "
            f"{s.duplicates} duplicates, {s.rejected} rejected; {s.batches} store groups"
        )

    try:
        asyncio.run(run())
    finally:
        if ingestor is not None:
            _close(ingestor)


@app.command("import")
def import_files(
    paths: Annotated[
        list[Path],
        typer.Argument(help="HL7 v2 files (ER7 text or MLLP frames), or folders of them.",
                       show_default=False),
    ],
    batch: Annotated[
        int, typer.Option(min=1, help="Most messages stored in one store session.")
    ] = 64,
) -> None:
    """Store the HL7 v2 messages of files, exactly as if they had come over MLLP."""
    from carehub.hl7v2.files import collect

    settings = load_settings()
    ingestor = _ingestor(settings)
    counts = {"accepted": 0, "duplicates": 0, "rejected": 0}
    shown = 0
    try:
        for path, messages in collect(paths):
            source = f"file://{path.resolve()}"
            for start in range(0, len(messages), batch):
                chunk = messages[start : start + batch]
                for n, result in enumerate(ingestor.ingest_many([(m, source) for m in chunk]),
                                           start + 1):
                    if result.duplicate:
                        counts["duplicates"] += 1
                    elif result.code == "AA":
                        counts["accepted"] += 1
                    else:
                        counts["rejected"] += 1
                        if shown < SHOWN_NAKS and result.error is not None:
                            shown += 1
                            e = result.error
                            typer.echo(
                                f"carehub: {path.name} message {n} ({result.message_type} "
                                f"{result.control_id}): {result.code} {e.code} at {e.loc}: "
                                f"{e.message}",
                                err=True,
                            )
    finally:
        _close(ingestor)
    total = sum(counts.values())
    typer.echo(
        f"{total} messages: {counts['accepted']} accepted, {counts['duplicates']} duplicates, "
        f"{counts['rejected']} rejected (dead letters: carehub hl7 dead-letters)"
    )
    if counts["rejected"]:
        raise typer.Exit(code=FAILED_EXIT_CODE)


@app.command("send")
def send(
    paths: Annotated[
        list[Path],
        typer.Argument(help="HL7 v2 files (ER7 text or MLLP frames), or folders of them.",
                       show_default=False),
    ],
    host: Annotated[str, typer.Option(help="The listener's address.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="The listener's port.")] = 2575,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for each ACK.")] = 30.0,
    retry_for: Annotated[
        float, typer.Option(help="Seconds to keep retrying a message not acknowledged.")
    ] = 120.0,
) -> None:
    """Send HL7 v2 messages to an MLLP listener, retrying until each is acknowledged."""
    from carehub.hl7v2.files import collect
    from carehub.hl7v2.sender import send_messages

    messages = [m for _, ms in collect(paths) for m in ms]
    acks = send_messages(host, port, messages, timeout=timeout, retry_for=retry_for)
    failed = 0
    for ack in acks:
        line = f"{ack.code} {ack.control_id}"
        for err in ack.errors:
            line += f" [{err.code} at {err.location}: {err.message}]"
        typer.echo(line)
        failed += not ack.accepted
    if failed:
        raise typer.Exit(code=FAILED_EXIT_CODE)


@app.command("dead-letters")
def dead_letters(
    limit: Annotated[int, typer.Option(min=1, help="Most entries listed.")] = 20,
    include_resolved: Annotated[
        bool, typer.Option("--all", help="Also list entries resolved by a later resend.")
    ] = False,
    show: Annotated[
        int | None, typer.Option(help="Print this entry's message (as received).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the NAKed messages kept in the dead-letter store, with their reason."""
    from carehub.errors import NotFound
    from carehub.hl7v2.dead_letter import DeadLetters
    from carehub.hl7v2.dead_letter import as_json as to_json

    store = DeadLetters(state_path(load_settings()))
    try:
        if show is not None:
            entry = store.get(show)
            if entry is None:
                raise NotFound(f"no dead letter {show}")
            if as_json:
                typer.echo(to_json([entry]).decode())
            else:
                typer.echo(entry.message.decode("utf-8", "replace").replace("\r", "\n"))
            return
        entries = store.list(limit=limit, include_resolved=include_resolved)
        if as_json:
            typer.echo(to_json(entries).decode())
            return
        for e in entries:
            flag = " (resolved)" if e.resolved else ""
            typer.echo(
                f"{e.id}\t{e.last_seen}\t{e.message_type or '?'}\t{e.control_id or '?'}\t"
                f"{e.ack_code} {e.error_code} at {e.location or '?'}: {e.reason}"
                f"{flag} (x{e.attempts})"
            )
        typer.echo(f"{store.count(include_resolved=include_resolved)} dead letters")
    finally:
        store.close()
