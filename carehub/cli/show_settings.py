"""``carehub settings``: print the configuration table and the values in force."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from carehub.settings import SETTINGS, load_settings


def format_value(value: Any) -> str:
    """Render a setting value the way it would be written in the environment.

    >>> format_value(True), format_value(8080), format_value("")
    ('true', '8080', '')
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def settings_table() -> Table:
    """Build the table of every setting: name, value in force, default and help.

    Raises:
        Incorrect: a value in the environment cannot be parsed.
    """
    settings = load_settings()
    table = Table(title="CareHub settings (environment variables)", title_justify="left")
    table.add_column("Name", no_wrap=True)
    table.add_column("Value", overflow="fold")
    table.add_column("Default", overflow="fold")
    table.add_column("Help", overflow="fold")
    for setting in SETTINGS:
        value = format_value(settings[setting.name])
        changed = value != format_value(setting.cast(setting.default))
        table.add_row(
            setting.name,
            Text(value or "(empty)", style="bold" if changed else "dim" if not value else ""),
            Text(setting.default or "(empty)", style="" if setting.default else "dim"),
            setting.help,
        )
    return table


def show_settings() -> None:
    """Print every setting with the value in force, its default and its meaning."""
    Console().print(settings_table())
