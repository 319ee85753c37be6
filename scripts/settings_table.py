"""Print the README's configuration table, generated from ``carehub.settings.SETTINGS``.

Usage: ``.venv/bin/python scripts/settings_table.py`` and paste the output under
"Configuration" in README.md; ``tests/test_settings_docs.py`` checks it.
"""

from __future__ import annotations

from carehub.settings import SETTINGS, Setting

HEADER = "| Variable | Default | Meaning |\n|---|---|---|"
EMPTY = "*(empty)*"


def cell(text: str) -> str:
    """Escape ``text`` for a markdown table cell.

    >>> cell("a|b")
    'a\\\\|b'
    """
    return text.replace("|", "\\|").replace("\n", " ")


def default_cell(default: str) -> str:
    """How a default value is written in the table.

    >>> default_cell("8080"), default_cell("")
    ('`8080`', '*(empty)*')
    """
    return f"`{cell(default)}`" if default else EMPTY


def row(setting: Setting) -> str:
    """One table row: variable, default, meaning."""
    return f"| `{setting.name}` | {default_cell(setting.default)} | {cell(setting.help)} |"


def table() -> str:
    """The whole markdown table."""
    return "\n".join([HEADER, *(row(s) for s in SETTINGS)])


if __name__ == "__main__":
    print(table())
