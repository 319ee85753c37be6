"""Rebuild CareHub's IPS table (``carehub/ips/data/ips_tables.json``).

Fetches the International Patient Summary IG package ``hl7.fhir.uv.ips@2.0.0``
from the npm registry with ``npm pack`` into a cache folder (unless the tarball
is already there, or given with ``--tarball``), and writes the compact table
described in :mod:`carehub.ips.tables_build`, recording the package version
and the tarball's sha256. Run at development time only; CareHub never
downloads anything at run time.

Usage::

    python scripts/build_ips_tables.py
    python scripts/build_ips_tables.py --tarball hl7.fhir.uv.ips-2.0.0.tgz --out /tmp/ips.json
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from npm_tarball import DEFAULT_CACHE, npm_pack

from carehub.errors import CareHubError
from carehub.fhir_model.tables_build import dump_table
from carehub.ips.tables_build import (
    IPS_PACKAGE,
    IPS_VERSION,
    build_ips_table,
    read_ips_tarball,
)

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "carehub" / "ips" / "data" / "ips_tables.json"



def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, build the table and write it; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tarball", type=Path, help="the npm tarball (default: fetch to cache)")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="npm tarball folder")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output file")
    args = parser.parse_args(argv)
    tarball = args.tarball or npm_pack(IPS_PACKAGE, IPS_VERSION, args.cache)
    try:
        manifest, resources, sha = read_ips_tarball(tarball)
        table = build_ips_table(manifest, resources, sha, tarball.name)
    except CareHubError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(dump_table(table), encoding="utf-8")
    print(f"{args.out}  {args.out.stat().st_size:,} bytes  (sha256 {sha[:12]}...)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
