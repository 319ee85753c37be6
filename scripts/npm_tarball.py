"""Fetch an npm package's tarball into a cache folder (development-time table builders).

The table builders in this folder read published FHIR packages from the npm
registry. ``npm pack`` fetches a tarball once into the cache folder
(``CAREHUB_NPM_CACHE``, default ``~/.cache/carehub/npm``); later runs reuse it.
CareHub itself never downloads anything at run time.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

DEFAULT_CACHE = Path(
    os.environ.get("CAREHUB_NPM_CACHE", Path.home() / ".cache" / "carehub" / "npm")
)


def tarball_name(package: str, version: str) -> str:
    """The file name ``npm pack`` gives a package's tarball.

    >>> tarball_name("hl7.terminology.r4", "7.0.1")
    'hl7.terminology.r4-7.0.1.tgz'
    """
    return f"{package}-{version}.tgz"


def npm_pack(package: str, version: str, cache: Path = DEFAULT_CACHE) -> Path:
    """The tarball of ``package@version`` in ``cache``, fetched with ``npm pack`` if absent.

    Raises:
        SystemExit: npm is not installed (the caller may take ``--tarball`` instead).
        subprocess.CalledProcessError: npm could not fetch the package.
    """
    target = cache / tarball_name(package, version)
    if target.is_file():
        return target
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is not installed; give --tarball instead")
    cache.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [npm, "pack", f"{package}@{version}", "--pack-destination", str(cache)], check=True
    )
    return target
