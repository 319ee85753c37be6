"""CareHub's standard ViewDefinitions, shipped as JSON files in this package.

https://build.fhir.org/ig/FHIR/sql-on-fhir-v2/StructureDefinition-ViewDefinition.html

Each ``*.json`` file here is one ViewDefinition; its ``name`` is the table
``carehub warehouse build`` creates. The views are data: adding a file adds
a table (and a section in the data dictionary).
"""

from __future__ import annotations

import functools
from importlib import resources

import orjson

from carehub.errors import NotFound, did_you_mean
from carehub.warehouse.viewdef.model import ViewDefinition, parse_view


@functools.cache
def _files() -> dict[str, bytes]:
    folder = resources.files(__name__)
    return {
        item.name[: -len(".json")]: item.read_bytes()
        for item in folder.iterdir()
        if item.name.endswith(".json")
    }


def view_names() -> list[str]:
    """Names of the standard views, sorted.

    >>> "patients" in view_names()
    True
    """
    return sorted(_files())


def load_view(name: str) -> ViewDefinition:
    """The standard view ``name``.

    Raises:
        NotFound: no such view (with a suggestion).
    """
    raw = _files().get(name)
    if raw is None:
        raise NotFound(f"no standard view named '{name}'." + did_you_mean(name, _files()))
    return parse_view(orjson.loads(raw))


def standard_views() -> list[ViewDefinition]:
    """Every standard view, in name order."""
    return [load_view(name) for name in view_names()]
