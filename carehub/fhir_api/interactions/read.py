"""read and vread.

https://hl7.org/fhir/R4/http.html#read and https://hl7.org/fhir/R4/http.html#vread
"""

from __future__ import annotations

from carehub.errors import Gone, Incorrect, NotFound
from carehub.fhir_api.hub import Hub
from carehub.storage.base import StoredResource, StoreSession


def read(hub: Hub, session: StoreSession, resource_type: str, id: str) -> StoredResource:
    """The current version.

    Raises:
        NotFound: never stored. Gone: deleted.
    """
    hub.check_type(resource_type)
    stored = session.read(resource_type, id)
    if stored is None:
        raise NotFound(f"{resource_type}/{id} is not known")
    if stored.deleted:
        raise Gone(f"{resource_type}/{id} was deleted (version {stored.version})")
    return stored


def vread(
    hub: Hub, session: StoreSession, resource_type: str, id: str, version: str
) -> StoredResource:
    """One version.

    Raises:
        Incorrect: the version is not a number. NotFound: no such version.
        Gone: that version is a deletion.
    """
    hub.check_type(resource_type)
    if not version.isdigit():
        raise NotFound(f"{resource_type}/{id} has no version '{version}'")
    stored = session.vread(resource_type, id, int(version))
    if stored is None:
        if session.read(resource_type, id) is None:
            raise NotFound(f"{resource_type}/{id} is not known")
        raise NotFound(f"{resource_type}/{id} has no version {version}")
    if stored.deleted:
        raise Gone(f"version {version} of {resource_type}/{id} is a deletion")
    return stored


__all__ = ["Incorrect", "read", "vread"]
