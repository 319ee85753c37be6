"""The ``carehub`` command line.

``carehub serve`` runs the FHIR R4 API, ``carehub import`` loads NDJSON and
Bundle files into the store, ``carehub warehouse`` builds and refreshes the
SQL-on-FHIR warehouse, ``carehub settings`` shows the configuration in
force, ``carehub --version`` prints the version. Every
command reads its configuration from the ``CAREHUB_*`` environment variables
declared in :mod:`carehub.settings`.

A :class:`~carehub.errors.CareHubError` raised by any command is printed as one
line on stderr and the process exits with status 2; other exceptions are bugs
and keep their traceback.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from carehub import __version__
from carehub.cli.audit import app as audit_app
from carehub.cli.demo import demo
from carehub.cli.hl7 import app as hl7_app
from carehub.cli.import_data import import_data
from carehub.cli.ops import app as ops_app
from carehub.cli.research import app as research_app
from carehub.cli.screening import app as screening_app
from carehub.cli.serve import serve
from carehub.cli.show_settings import show_settings
from carehub.cli.synth import synth
from carehub.cli.users import clients_app, users_app
from carehub.cli.vn_insurance import app as vn_insurance_app
from carehub.cli.warehouse import app as warehouse_app
from carehub.errors import CareHubError

ERROR_EXIT_CODE = 2
"""Exit status of a command that failed with a :class:`CareHubError`."""


def one_line(exc: BaseException) -> str:
    """Return the message of ``exc`` squeezed onto a single line.

    >>> one_line(ValueError("bad\\n  value"))
    'bad value'
    """
    return " ".join(str(exc).split()) or type(exc).__name__


class CareHubGroup(TyperGroup):
    """The root command group: turns :class:`CareHubError` into a one-line message."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except CareHubError as exc:
            typer.echo(f"carehub: error: {one_line(exc)}", err=True)
            raise typer.Exit(code=ERROR_EXIT_CODE) from None


app = typer.Typer(
    name="carehub",
    cls=CareHubGroup,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    help=(
        "CareHub: an open smart-hospital data platform. "
        "Configuration comes from CAREHUB_* environment variables; "
        "`carehub settings` lists them."
    ),
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"carehub {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """CareHub: an open smart-hospital data platform."""


app.command("serve")(serve)
app.command("settings")(show_settings)
app.command("synth")(synth)
app.command("import")(import_data)
app.command("demo")(demo)
app.add_typer(warehouse_app, name="warehouse")
app.add_typer(ops_app, name="ops")
app.add_typer(screening_app, name="screening")
app.add_typer(hl7_app, name="hl7")
app.add_typer(vn_insurance_app, name="vn-insurance")
app.add_typer(users_app, name="users")
app.add_typer(clients_app, name="clients")
app.add_typer(audit_app, name="audit")
app.add_typer(research_app, name="research")
