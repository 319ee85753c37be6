"""``carehub audit verify``: check that the audit trail is intact.

https://hl7.org/fhir/R4/auditevent.html

Recomputes the hash chain of ``<CAREHUB_DATA_DIR>/audit.sqlite`` and compares
it with the head anchor; exits 1 and lists the problems when any entry was
altered, deleted or added, 0 when the trail is intact.
"""

from __future__ import annotations

import typer

from carehub.settings import load_settings

app = typer.Typer(help="The audit trail.", no_args_is_help=True)


@app.command("verify")
def verify() -> None:
    """Verify the audit trail's hash chain."""
    from carehub.audit.log import AuditLog

    settings = load_settings()
    path = settings.data_dir / "audit.sqlite"
    if not path.exists():
        typer.echo(f"carehub: no audit trail at {path}", err=True)
        raise typer.Exit(code=1)
    trail = AuditLog(path)
    try:
        result = trail.verify()
    finally:
        trail.close()
    if result.ok:
        typer.echo(f"carehub: audit trail intact ({result.entries} entries)")
        return
    for problem in result.problems:
        typer.echo(f"carehub: {problem}", err=True)
    typer.echo(f"carehub: audit trail TAMPERED ({len(result.problems)} problems)", err=True)
    raise typer.Exit(code=1)
