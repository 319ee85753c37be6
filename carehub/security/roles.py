"""Hospital staff roles and the scopes each may be granted (``data/roles.json``).

http://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html

A user's role caps what any token issued to them can hold: the scopes an app
asks for are narrowed to the role's (:func:`carehub.security.scopes.narrow`).
Roles flagged ``department`` have their ``user/`` scopes limited to the
patients of the user's department when the user has one; roles flagged
``break_glass`` may ask for emergency access (:data:`BREAK_GLASS_SCOPES`).

Failure modes: :func:`role` raises :class:`~carehub.errors.Incorrect` for an
unknown role, with a suggestion.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

from carehub.errors import Incorrect, did_you_mean
from carehub.security.scopes import ScopeSet

#: what an emergency (break-glass) grant holds: read and search everything, nothing else
BREAK_GLASS_SCOPES = "user/*.rs openid fhirUser"


@dataclass(frozen=True, slots=True)
class Role:
    """One staff role."""

    name: str
    scopes: ScopeSet
    department: bool
    break_glass: bool


@cache
def roles() -> dict[str, Role]:
    """Every role by name.

    >>> sorted(roles())[:3]
    ['admin', 'clinician', 'data_engineer']
    """
    text = resources.files("carehub.security").joinpath("data/roles.json").read_text("utf-8")
    data = json.loads(text)
    return {
        name: Role(name, ScopeSet.parse(v["scopes"]), bool(v["department"]), bool(v["break_glass"]))
        for name, v in data.items()
        if not name.startswith("_")
    }


def role(name: str) -> Role:
    """The role called ``name``.

    >>> role("nurse").break_glass
    True

    Raises:
        Incorrect: no such role.
    """
    found = roles().get(name)
    if found is None:
        raise Incorrect(f"unknown role '{name}'." + did_you_mean(name, roles()))
    return found
