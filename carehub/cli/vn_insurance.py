"""``carehub vn-insurance``: Viet Nam health-insurance XML (QĐ 130/QĐ-BYT, amended by 4750/QĐ-BYT).

* ``export``: episodes (one ``--encounter`` per MA_LK, or ``--from``/``--to``
  days) from the FHIR store, or from NDJSON files with ``--ndjson``, to a
  GIAMDINHHS envelope (and the check-in file with ``--checkin``). Every episode
  is validated; one that fails is reported and left out (exit status 1).
* ``validate``: check an envelope or a single table file; every problem is
  printed with its table, record and field (exit status 1 when any).
* ``import``: store the episodes of an envelope from another facility, all in
  one transaction: an invalid file stores nothing.
* ``submit``: send an envelope (and a check-in file) to the appraisal portal.

This module wires the concrete store and the HTTP portal client.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer

from carehub.errors import CareHubError, Incorrect
from carehub.settings import Settings, load_settings
from carehub.vn_insurance.context import ExportContext
from carehub.vn_insurance.envelope import read_envelope
from carehub.vn_insurance.episode import (
    Episode,
    FhirReader,
    MemoryReader,
    Resource,
    collect_episode,
    episodes_between,
)
from carehub.vn_insurance.export import Exported, checkin_bytes, envelope_bytes, export_episode
from carehub.vn_insurance.import_xml import import_hoso, transaction
from carehub.vn_insurance.portal_client import HttpPortal
from carehub.vn_insurance.tariff import load_tariff
from carehub.vn_insurance.validate import Problem, validate_hoso
from carehub.vn_insurance.xml_files import parse_xml, read_table

app = typer.Typer(
    name="vn-insurance",
    no_args_is_help=True,
    add_completion=False,
    help="Viet Nam health-insurance XML (QĐ 130/4750): export, validate, import, submit.",
)

SCAN_CHUNK = 1000


class StoreReader:
    """The FHIR store as a :class:`~carehub.vn_insurance.episode.FhirReader`."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def read(self, resource_type: str, id: str) -> Resource | None:
        with self.store.session() as session:
            found = session.read(resource_type, id)
        if found is None or found.deleted or found.body is None:
            return None
        return dict(orjson.loads(found.body))

    def _scan(self, resource_type: str, patients: list[str] | None) -> Iterator[Resource]:
        after = 0
        while True:
            with self.store.session() as session:
                chunk = session.scan(resource_type, after=after, limit=SCAN_CHUNK,
                                     patients=patients)
            for position, body in chunk:
                after = position
                yield dict(orjson.loads(body))
            if len(chunk) < SCAN_CHUNK:
                return

    def for_patient(self, resource_type: str, patient_id: str) -> list[Resource]:
        return list(self._scan(resource_type, [patient_id]))

    def encounters_between(self, start: str, end: str) -> list[Resource]:
        return MemoryReader(self._scan("Encounter", None)).encounters_between(start, end)


def ndjson_reader(paths: list[Path]) -> MemoryReader:
    """Every resource of the NDJSON files (or folders of them) in ``paths``.

    Raises:
        Incorrect: a path is missing or a line is not JSON.
    """
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(path.glob("*.ndjson")))
        elif path.is_file():
            files.append(path)
        else:
            raise Incorrect(f"no such file or folder: {path}")
    resources: list[Resource] = []
    for file in files:
        for number, line in enumerate(file.read_bytes().splitlines(), start=1):
            if line.strip():
                try:
                    resources.append(orjson.loads(line))
                except orjson.JSONDecodeError:
                    raise Incorrect(f"{file}:{number} is not JSON") from None
    return MemoryReader(resources)


def export_context(settings: Settings, tariff: Path | None) -> ExportContext:
    """The facility and prices from the settings (``--tariff`` overrides).

    Raises:
        Incorrect: no facility code or no tariff configured.
    """
    facility = settings["CAREHUB_VN_FACILITY_CODE"]
    if not facility:
        raise Incorrect("set CAREHUB_VN_FACILITY_CODE (MA_CSKCB) to export")
    path = tariff or (Path(settings["CAREHUB_VN_TARIFF"]) if settings["CAREHUB_VN_TARIFF"]
                      else None)
    if path is None:
        raise Incorrect("no price list: pass --tariff or set CAREHUB_VN_TARIFF")
    now = dt.datetime.now(dt.timezone(dt.timedelta(hours=7))).strftime("%Y%m%d%H%M")
    return ExportContext(facility, settings["CAREHUB_VN_HEAD_ID"], load_tariff(path), now)


@app.command("export")
def export(
    out: Annotated[Path, typer.Option(help="GIAMDINHHS envelope file to write.")],
    encounter: Annotated[
        list[str] | None, typer.Option(help="Encounter id (MA_LK) to export; repeatable.")
    ] = None,
    date_from: Annotated[
        str | None, typer.Option("--from", help="First discharge day YYYY-MM-DD.")
    ] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last discharge day.")] = None,
    ndjson: Annotated[
        list[Path] | None, typer.Option(help="Read NDJSON files or folders, not the store.")
    ] = None,
    tariff: Annotated[Path | None, typer.Option(help="Price list CSV.")] = None,
    checkin: Annotated[Path | None, typer.Option(help="Also write the check-in file.")] = None,
) -> None:
    """Export episodes to a validated GIAMDINHHS envelope."""
    if not encounter and not (date_from and date_to):
        raise Incorrect("give --encounter, or both --from and --to")
    settings = load_settings()
    ctx = export_context(settings, tariff)
    store = None
    if ndjson:
        reader: FhirReader = ndjson_reader(ndjson)
    else:
        from carehub.app.wiring import open_store

        store = open_store(settings)
        reader = StoreReader(store)
    try:
        episodes: list[Episode] = (
            [collect_episode(reader, e) for e in encounter] if encounter
            else episodes_between(reader, str(date_from), str(date_to))
        )
        done: list[Exported] = []
        failed = 0
        for ep in episodes:
            try:
                done.append(export_episode(ep, ctx))
            except CareHubError as exc:
                if encounter:
                    raise
                failed += 1
                typer.echo(f"carehub: skipped {ep.ma_lk}: {' '.join(str(exc).split())}", err=True)
    finally:
        if store is not None:
            store.close()
    if not done:
        raise Incorrect("no episode could be exported")
    out.write_bytes(envelope_bytes(done, ctx))
    if checkin is not None:
        checkin.write_bytes(checkin_bytes(done))
    typer.echo(f"{len(done)} episodes → {out}" + (f" ({failed} skipped)" if failed else ""))
    if failed:
        raise typer.Exit(code=1)


def file_problems(data: bytes, name: str) -> list[Problem]:
    """Every problem of an envelope or single table file.

    Raises:
        Incorrect: not a file of the decision at all.
    """
    if parse_xml(data, name).tag == "GIAMDINHHS":
        problems: list[Problem] = []
        for hoso in read_envelope(data).episodes:
            problems.extend(validate_hoso(hoso))
        return problems
    tbl, records = read_table(data, name)
    return validate_hoso({tbl.key: records})


@app.command("validate")
def validate(file: Annotated[Path, typer.Argument(help="Envelope or table XML file.")]) -> None:
    """Check a file against the field tables and money rules; list every problem."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise Incorrect(f"cannot read {file}: {exc.strerror}") from None
    problems = file_problems(data, str(file))
    for problem in problems:
        typer.echo(str(problem))
    typer.echo(f"{file}: {len(problems)} problems")
    if problems:
        raise typer.Exit(code=1)


@app.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(help="GIAMDINHHS envelope from another facility.")],
) -> None:
    """Store the episodes of an envelope (one transaction: all or nothing)."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise Incorrect(f"cannot read {file}: {exc.strerror}") from None
    envelope = read_envelope(data)
    resources: list[Resource] = []
    for hoso in envelope.episodes:
        resources.extend(import_hoso(hoso, envelope.facility))
    from carehub.app.wiring import build_hub
    from carehub.fhir_api.interactions.transaction import process_bundle

    hub = build_hub(load_settings())
    try:
        process_bundle(hub, transaction(resources), hub.base_url or "urn:carehub:import",
                       lambda outcome, request: {})
    finally:
        hub.store.close()
    typer.echo(f"{len(envelope.episodes)} episodes, {len(resources)} resources stored")


@app.command("submit")
def submit(
    file: Annotated[Path, typer.Argument(help="GIAMDINHHS envelope to send.")],
    checkin: Annotated[Path | None, typer.Option(help="Check-in file to send first.")] = None,
) -> None:
    """Send files to the appraisal portal (CAREHUB_VN_PORTAL_*)."""
    settings = load_settings()
    portal = HttpPortal(settings["CAREHUB_VN_PORTAL_URL"], settings["CAREHUB_VN_PORTAL_USERNAME"],
                        settings["CAREHUB_VN_PORTAL_PASSWORD"],
                        settings["CAREHUB_VN_FACILITY_CODE"], settings["CAREHUB_VN_PROVINCE_CODE"])
    envelope = file.read_bytes()
    read_envelope(envelope)  # refuse to send what is not an envelope

    async def run() -> list[str]:
        token = await portal.take_token()
        lines = []
        if checkin is not None:
            receipt = await portal.check_in(token, checkin.read_bytes())
            lines.append(f"check-in: {receipt.transaction_id} {receipt.received_at}")
        receipt = await portal.submit(token, envelope)
        lines.append(f"envelope: {receipt.transaction_id} {receipt.received_at} {receipt.message}")
        return lines

    for line in asyncio.run(run()):
        typer.echo(line)
