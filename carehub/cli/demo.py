"""``carehub demo``: the main job — generated data in a local store, then the server.

The first run generates a population (default 2,000 patients over 3 years),
loads it into the configured store (the embedded SQLite file by default) and
serves the API; later runs reuse the data and start in seconds.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from carehub.cli.serve import FHIR_BASE_PATH, INSECURE_HELP, settings_for_serve


def demo(
    patients: Annotated[int, typer.Option(min=1, help="Patients to generate on first run.")] = 2000,
    years: Annotated[int, typer.Option(min=1, max=30, help="Years of hospital activity.")] = 3,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the generated population.")] = 1,
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(min=1, max=65535, help="Port.")] = None,
    serve: Annotated[bool, typer.Option(help="Start the server after preparing the data.")] = True,
    insecure_dev: Annotated[
        bool, typer.Option("--insecure-dev", help=INSECURE_HELP, show_default=False)
    ] = False,
) -> None:
    """Prepare the demo data (first run only) and serve CareHub."""
    settings = settings_for_serve(host, port, insecure_dev)
    from carehub.app.demo import prepare_demo
    from carehub.app.wiring import build_app, build_hub
    from carehub.synth import SynthConfig

    console = Console(stderr=True)
    config = SynthConfig(patients=patients, years=years, seed=seed)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    hub = build_hub(settings)
    bar = Progress(
        TextColumn("{task.description:>9}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )
    tasks: dict[str, TaskID] = {}

    def step(name: str, done: int, total: int) -> None:
        if name not in tasks:
            tasks[name] = bar.add_task(name, total=total)
        bar.update(tasks[name], completed=done, total=total)

    with bar:
        data = prepare_demo(hub, settings.data_dir, config, step)
    total = sum(data.counts.values())
    verb = "loaded" if data.created else "reusing"
    console.print(
        f"carehub: {verb} {total:,} resources in {settings['CAREHUB_STORAGE']} "
        f"({settings.data_dir})" + (f", {data.failed} failed" if data.failed else "")
    )
    from carehub.app.demo import prepare_analytics

    with console.status("carehub: building the warehouse and running screening (first run)"):
        analytics = prepare_analytics(hub.store, settings, config.end_date)
    console.print(
        f"carehub: warehouse {analytics.tables} tables; screening worklist "
        f"{analytics.worklist:,} items"
        + (f" ({analytics.patients_screened:,} patients screened)" if analytics.built else "")
    )
    if not serve:
        hub.store.close()
        return
    import uvicorn

    app = build_app(settings, hub.store)
    base = f"http://{settings['CAREHUB_HOST']}:{settings['CAREHUB_PORT']}"
    console.print(f"carehub: web application {base}/app/")
    console.print(f"carehub: FHIR R4 API      {base}{FHIR_BASE_PATH}/metadata")
    console.print(f"carehub: patients        {base}{FHIR_BASE_PATH}/Patient?_count=10")
    console.print(f"carehub: API docs        {base}/docs")
    console.print(f"carehub: CDS Hooks       {base}/cds-services")
    console.print(f"carehub: worklists       {settings.data_dir / 'screening'}")
    _print_accounts(console, app, base)
    uvicorn.run(
        app,
        host=settings["CAREHUB_HOST"],
        port=settings["CAREHUB_PORT"],
        log_level=settings["CAREHUB_LOG_LEVEL"].lower(),
        access_log=False,  # its lines carry URLs (ids, search values); the middleware logs
    )


def _print_accounts(console: Console, app: object, base: str) -> None:
    """Create (first run) and print the demo accounts, or warn that authorization is off."""
    server = getattr(getattr(app, "state", None), "auth", None)
    if server is None:
        console.print("carehub: [bold red]authorization is OFF[/] (--insecure-dev, loopback only)")
        return
    from carehub.security.demo_accounts import DEMO_CLIENT, ensure_demo_accounts

    hub = getattr(getattr(app, "state", None), "hub", None)
    accounts = ensure_demo_accounts(server.accounts, base, getattr(hub, "store", None))
    console.print(f"carehub: sign-in          {base}/auth/authorize (SMART client {DEMO_CLIENT})")
    for a in accounts:
        shown = a.password or "(shown on the first run only)"
        console.print(f"carehub: account {a.username:<11} {a.role:<16} password {shown}")
