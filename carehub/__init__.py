"""CareHub: an open smart-hospital data platform.

The FHIR R4 hub (:mod:`carehub.fhir_api`) sits on a storage protocol
(:mod:`carehub.storage`) whose SQLite and PostgreSQL implementations share one
SQL core; resource definitions, validation and search-index extraction live in
:mod:`carehub.fhir_model` and have no I/O.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("carehub")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = ["__version__"]
