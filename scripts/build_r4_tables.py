"""Rebuild CareHub's compact R4 definition tables (``carehub/fhir_model/data/``).

Reads the HL7 FHIR R4 4.0.1 definitions from either the npm package
``hl7.fhir.r4.examples@4.0.1`` (tarball or unpacked directory) or the folder of
published definition Bundles, and writes the tables described in
:mod:`carehub.fhir_model.tables_build`. Both sources give identical bytes.

Usage::

    python scripts/build_r4_tables.py --npm-package hl7.fhir.r4.examples-4.0.1.tgz
    python scripts/build_r4_tables.py --bundles ../shared/fhir-r4-definitions --out /tmp/t
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from carehub.errors import CareHubError
from carehub.fhir_model.tables_build import (
    build_tables,
    read_bundles,
    read_npm_package,
    write_tables,
)

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "carehub" / "fhir_model" / "data"


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, build the tables and write them; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--npm-package", type=Path, help="npm package .tgz or unpacked dir")
    source.add_argument("--bundles", type=Path, help="folder of the R4 definition Bundles")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    args = parser.parse_args(argv)
    try:
        if args.npm_package is not None:
            resources = read_npm_package(args.npm_package)
        else:
            resources = read_bundles(args.bundles)
        tables = build_tables(resources)
    except CareHubError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for path in write_tables(tables, args.out):
        print(f"{path}  {path.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
