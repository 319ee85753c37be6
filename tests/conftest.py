"""Fixtures shared by every CareHub test.

* ``repo_root``: the repository root.
* ``shared_dir``: the shared reference data (FHIR definitions, samples,
  conformance suites): ``$CAREHUB_SHARED``, else the ``shared`` folder beside
  the repository. Tests that need it are skipped when it is absent.
* ``postgres_dsn``: a libpq URI of an empty PostgreSQL database owned by the
  connecting role. ``$CAREHUB_TEST_POSTGRES_DSN`` when set; otherwise a
  throw-away cluster is started for the session
  (:mod:`tests.support.postgres_cluster`). When neither works the tests are
  skipped, or fail if ``CAREHUB_TEST_REQUIRE_POSTGRES=1`` (as in CI).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.postgres_cluster import ClusterUnavailable, start_cluster

REPO_ROOT = Path(__file__).resolve().parent.parent


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository root (the folder holding ``pyproject.toml``)."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The shared reference-data folder; skips the test when it is absent."""
    configured = os.environ.get("CAREHUB_SHARED")
    path = Path(configured) if configured else REPO_ROOT.parent / "shared"
    if not path.is_dir():
        pytest.skip(f"shared reference data not found at {path} (set CAREHUB_SHARED)")
    return path


@pytest.fixture(scope="session")
def postgres_dsn() -> Iterator[str]:
    """A PostgreSQL DSN for the whole session; see the module docstring."""
    configured = os.environ.get("CAREHUB_TEST_POSTGRES_DSN", "").strip()
    if configured:
        yield configured
        return
    try:
        dsn, stop = start_cluster()
    except ClusterUnavailable as exc:
        reason = f"PostgreSQL unavailable: {exc}"
    else:
        reason = ""
    if reason:
        if _flag("CAREHUB_TEST_REQUIRE_POSTGRES"):
            pytest.fail(f"{reason} (CAREHUB_TEST_REQUIRE_POSTGRES is set)", pytrace=False)
        pytest.skip(reason)
    try:
        yield dsn
    finally:
        stop()
