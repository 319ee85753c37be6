"""The demo's data: a generated population loaded into the configured store, once.

``carehub demo`` calls :func:`prepare_demo`: the first run generates a
population with :mod:`carehub.synth` into ``<data dir>/demo-population`` and
imports it; later runs find the marker file ``<data dir>/demo.json`` (written
only after a complete import) and reuse the store, so they start in seconds.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from carehub.bulk.loader import LoadStats
from carehub.bulk.local_files import LocalImport, collect_files
from carehub.errors import Issue
from carehub.fhir_api.hub import Hub
from carehub.settings import Settings
from carehub.storage.base import ResourceStore
from carehub.synth import SynthConfig, generate

if TYPE_CHECKING:
    from carehub.ops.supply.seeding import SeedReport

MARKER = "demo.json"
POPULATION_DIR = "demo-population"

#: (step name, amount done, total) for progress bars
StepProgress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class DemoData:
    """What the demo store holds and whether this run created it."""

    created: bool
    counts: dict[str, int]
    failed: int = 0


def prepare_demo(
    hub: Hub,
    data_dir: Path,
    config: SynthConfig,
    progress: StepProgress | None = None,
    on_issue: Callable[[Issue], None] | None = None,
) -> DemoData:
    """Make sure the store holds the demo population; return its resource counts.

    Raises:
        CareHubError: generation or import could not run (bad folder, store down).
    """
    marker = data_dir / MARKER
    if marker.exists():
        with hub.store.session() as session:
            counts = session.count_by_type()
        if counts:
            return DemoData(False, counts)
    step = progress or (lambda name, done, total: None)
    out = data_dir / POPULATION_DIR
    done = [0]

    def generated(patients: int) -> None:
        done[0] += patients
        step("generate", done[0], config.patients)

    generate(config, out, generated)
    files = collect_files([out], hub.defs.is_resource_type)
    total = sum(f.path.stat().st_size for f in files)

    def imported(name: str, done_bytes: int, stats: LoadStats) -> None:
        step("import", done_bytes, total)

    issues: list[Issue] = []
    sink = on_issue or issues.append
    summary = LocalImport(hub, sink, on_progress=imported).run(files)
    with hub.store.session() as session:
        counts = session.count_by_type()
    marker.write_bytes(
        orjson.dumps(
            {
                "patients": config.patients,
                "years": config.years,
                "seed": config.seed,
                "loaded": summary.stats.loaded,
                "failed": summary.stats.failed,
            }
        )
    )
    return DemoData(True, counts, summary.stats.failed)


@dataclass(frozen=True, slots=True)
class Analytics:
    """What :func:`prepare_analytics` did: whether it built, the tables and the screening run,
    and the drugs its inventory seeding stocked (0 when the ledger already had entries)."""

    built: bool
    tables: int
    patients_screened: int
    worklist: int
    inventory_items: int = 0


def prepare_analytics(
    store: ResourceStore, settings: Settings, as_of: datetime.date
) -> Analytics:
    """Build the warehouse and run screening (with write-back) once, on the demo data,
    and seed the inventory ledger from the dispensed drugs (:func:`prepare_inventory`).

    A later run finds the ``screening_worklist`` table and does nothing.

    Raises:
        CareHubError: the warehouse could not be built.
    """
    from carehub.app.warehouse_source import StoreSource
    from carehub.screening.job import run_job
    from carehub.screening.programmes.base import Profile
    from carehub.warehouse.build import build, plan_build
    from carehub.warehouse.config import WarehouseConfig

    warehouse = WarehouseConfig.from_settings(settings).warehouse()
    try:
        built = "screening_worklist" not in warehouse.tables() and not _has_table(
            warehouse.connection, "screening_worklist"
        )
        screened = 0
        if built:
            build(plan_build(), StoreSource(store), warehouse.engine, warehouse, as_of=as_of)
            job = run_job(
                warehouse.connection, as_of, settings.data_dir / "screening", store=store,
                profile=Profile.from_settings(settings),
            )
            screened = job.run.patients
        row = warehouse.connection.execute("SELECT COUNT(*) FROM screening_worklist").fetchone()
        stocked = prepare_inventory(warehouse.connection, settings, as_of)
        return Analytics(built, len(warehouse.tables()), screened, int(row[0]) if row else 0,
                         stocked.items)
    finally:
        warehouse.close()


def prepare_inventory(conn: Any, settings: Settings, as_of: datetime.date) -> SeedReport:
    """Seed the inventory ledger (``CAREHUB_OPS_INVENTORY_PATH``) from the warehouse's
    dispensing, once, with the demo population's seed (from ``demo.json``), so the
    dashboard's reorder list shows drugs in every status band.

    Raises:
        NotFound: the warehouse has no dispensing view.
        Fault: the ledger file cannot be written.
    """
    from carehub.ops.supply.config import SupplyConfig
    from carehub.ops.supply.ledger_sqlite import SqliteLedger
    from carehub.ops.supply.seeding import dispensed_drugs, seed_inventory

    marker = settings.data_dir / MARKER
    seed = int(orjson.loads(marker.read_bytes()).get("seed", 0)) if marker.exists() else 0
    supply = SupplyConfig.from_settings(settings)
    ledger = SqliteLedger(supply.inventory_path)
    try:
        return seed_inventory(ledger, dispensed_drugs(conn), as_of, seed,
                              options=supply.options(forecast=False))
    finally:
        ledger.close()


def _has_table(conn: Any, name: str) -> bool:
    row = conn.execute(
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = ?", [name]
    ).fetchone()
    return bool(row and row[0])
