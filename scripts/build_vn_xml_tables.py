"""Rebuild CareHub's table definitions of the Vietnamese health-insurance XML.

Reads the appendix tables of Decision 4750/QĐ-BYT (amending 130/QĐ-BYT) and
guide 1245/BHXH-CNTT as plain text (see :mod:`carehub.vn_insurance.tables_build`)
and writes ``carehub/vn_insurance/data/tables.json``.

Usage::

    python scripts/build_vn_xml_tables.py --source ../shared/reference/vn-insurance-xml
    python scripts/build_vn_xml_tables.py --source DIR --out /tmp/tables.json
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from carehub.errors import CareHubError
from carehub.vn_insurance.tables_build import build_tables, dumps, read_sources

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = ROOT.parent / "shared" / "reference" / "vn-insurance-xml"
DEFAULT_OUT = ROOT / "carehub" / "vn_insurance" / "data" / "tables.json"


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, build the tables and write them; return the exit status."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="folder of the texts")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output JSON file")
    args = parser.parse_args(argv)
    try:
        document = build_tables(*read_sources(args.source))
    except CareHubError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(dumps(document), encoding="utf-8")
    print(f"{args.out}  {len(document['tables'])} tables")
    return 0


if __name__ == "__main__":
    sys.exit(main())
