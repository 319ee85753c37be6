"""``carehub ops``: forecasts, reorder advice, rosters and bed plans.

Each sub-command lives in its own module (``ops_forecast``, ``ops_reorder``,
``ops_roster``, ``ops_beds``) and is registered here.
"""

from __future__ import annotations

import typer

from carehub.cli.ops_beds import beds
from carehub.cli.ops_forecast import forecast
from carehub.cli.ops_reorder import reorder
from carehub.cli.ops_roster import roster

app = typer.Typer(
    name="ops",
    no_args_is_help=True,
    help="Operations: demand forecasts, drug reorder advice, nurse rosters and bed plans.",
)

app.command("forecast")(forecast)
app.command("reorder")(reorder)
app.command("roster")(roster)
app.command("beds")(beds)
