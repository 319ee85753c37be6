"""Build CareHub's compact IPS table from the IPS implementation guide's npm package.

https://hl7.org/fhir/uv/ips/STU2/ (package ``hl7.fhir.uv.ips@2.0.0``)

CareHub never reads the IG at run time. ``scripts/build_ips_tables.py`` fetches
the package with ``npm pack`` once, runs :func:`build_ips_table` over its
StructureDefinitions and writes ``carehub/ips/data/ips_tables.json``, which
:mod:`carehub.ips.tables` reads. The table is CareHub's own format:

``source``
    package name, version, FHIR version, licence, tarball file name and sha256.
``profiles``
    profile id → ``url``, ``type``, ``required`` (``[path, min, max]`` of every
    element with ``min > 0`` outside slices), ``fixed`` (path → fixed or pattern
    value) and ``slices`` (``[path, slice name, min, max, pattern]`` of each
    slice with a minimum or a pattern, extension slices left out).
``sections``
    the Composition's section slices, in IG order: ``slice``, ``min``, ``max``,
    ``code`` (LOINC coding of the pattern), ``entries`` (entry slice → target
    profile URLs) and ``empty_reason`` (the value set bound to ``emptyReason``).
``constraints``
    key → ``severity``, ``human`` and ``expression`` of the IG's own invariants
    (``ips-*``, ``bdl-ips-*``), with the ``elements`` that carry them.
"""

from __future__ import annotations

import hashlib
import json
import tarfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from carehub.errors import Incorrect

__all__ = [
    "IPS_PACKAGE",
    "IPS_VERSION",
    "build_ips_table",
    "read_ips_tarball",
    "section_entry",
    "strip_version",
    "tarball_name",
]

IPS_PACKAGE = "hl7.fhir.uv.ips"
IPS_VERSION = "2.0.0"
JsonObject = dict[str, Any]

_SECTION_PREFIX = "Composition.section:"


def tarball_name(package: str = IPS_PACKAGE, version: str = IPS_VERSION) -> str:
    """The file name ``npm pack`` gives a package's tarball.

    >>> tarball_name()
    'hl7.fhir.uv.ips-2.0.0.tgz'
    """
    return f"{package}-{version}.tgz"


def strip_version(url: str) -> str:
    """A canonical URL without its ``|version`` suffix.

    >>> strip_version("http://hl7.org/fhir/ValueSet/list-empty-reason|4.0.1")
    'http://hl7.org/fhir/ValueSet/list-empty-reason'
    """
    return url.split("|", 1)[0]


def read_ips_tarball(path: Path) -> tuple[JsonObject, list[JsonObject], str]:
    """Read ``package.json``, the top-level resources and the sha256 of an npm tarball.

    Raises:
        Incorrect: the file is missing or not a gzipped tar with ``package/package.json``.
    """
    if not path.is_file():
        raise Incorrect(f"no npm package tarball at {path}")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    manifest: JsonObject | None = None
    resources: list[JsonObject] = []
    try:
        with tarfile.open(path, "r:gz") as tar:
            for member in tar:
                parts = member.name.split("/")
                if not member.isfile() or len(parts) != 2 or not parts[1].endswith(".json"):
                    continue
                stream = tar.extractfile(member)
                if stream is None:
                    continue
                data = json.loads(stream.read())
                if parts[1] == "package.json":
                    manifest = data
                elif isinstance(data, dict) and "resourceType" in data:
                    resources.append(data)
    except (tarfile.TarError, OSError, json.JSONDecodeError) as exc:
        raise Incorrect(f"{path} is not a readable npm package tarball: {exc}") from None
    if manifest is None:
        raise Incorrect(f"{path} has no package/package.json")
    resources.sort(key=lambda r: (r["resourceType"], str(r.get("id"))))
    return manifest, resources, digest


def _fixed(element: JsonObject) -> Any:
    for key, value in element.items():
        if key.startswith(("fixed", "pattern")):
            return value
    return None


def _targets(element: JsonObject) -> list[str]:
    return sorted(
        strip_version(p) for t in element.get("type", []) for p in t.get("targetProfile", [])
    )


def _profile(sd: JsonObject) -> JsonObject:
    required: list[list[Any]] = []
    fixed: dict[str, Any] = {}
    slices: list[list[Any]] = []
    for element in sd["snapshot"]["element"]:
        eid: str = element["id"]
        if "." not in eid:
            continue
        value = _fixed(element)
        if ":" not in eid:
            if element.get("min", 0) > 0:
                required.append([eid, element["min"], element.get("max", "*")])
            if value is not None:
                fixed[eid] = value
            continue
        head, _, name = eid.rpartition(":")
        if "." in name or head.endswith(("extension", "modifierExtension")):
            continue  # inside a slice, or an extension slice
        if element.get("min", 0) > 0 or value is not None:
            slices.append([head, name, element.get("min", 0), element.get("max", "*"), value])
    return {
        "url": sd["url"],
        "type": sd["type"],
        "required": required,
        "fixed": fixed,
        "slices": slices,
    }


def section_entry(elements: Iterable[JsonObject], slice_name: str) -> dict[str, list[str]]:
    """Entry slice name → target profile URLs of one Composition section slice.

    >>> section_entry([{"id": "Composition.section:s.entry:e", "type": [
    ...     {"code": "Reference", "targetProfile": ["http://x/C|1"]}]}], "s")
    {'e': ['http://x/C']}
    """
    prefix = f"{_SECTION_PREFIX}{slice_name}.entry:"
    return {
        e["id"][len(prefix) :]: _targets(e)
        for e in elements
        if e["id"].startswith(prefix) and "." not in e["id"][len(prefix) :]
    }


def _sections(sd: JsonObject) -> list[JsonObject]:
    elements: list[JsonObject] = sd["snapshot"]["element"]
    by_id = {e["id"]: e for e in elements}
    out: list[JsonObject] = []
    for e in elements:
        eid = e["id"]
        if not eid.startswith(_SECTION_PREFIX) or "." in eid[len(_SECTION_PREFIX) :]:
            continue
        name = eid[len(_SECTION_PREFIX) :]
        code = _fixed(by_id[f"{eid}.code"]) or {}
        coding = (code.get("coding") or [{}])[0]
        empty = by_id.get(f"{eid}.emptyReason", {}).get("binding", {}).get("valueSet")
        out.append({
            "slice": name,
            "min": e.get("min", 0),
            "max": e.get("max", "*"),
            "code": {"system": coding.get("system"), "code": coding.get("code")},
            "entries": section_entry(elements, name),
            "empty_reason": strip_version(empty) if empty else None,
        })
    return out


def _constraints(sds: Iterable[JsonObject]) -> dict[str, JsonObject]:
    out: dict[str, JsonObject] = {}
    for sd in sds:
        for element in sd["snapshot"]["element"]:
            for c in element.get("constraint", []):
                key = c["key"]
                if not key.startswith(("ips-", "bdl-ips-")):
                    continue
                entry = out.setdefault(key, {
                    "severity": c.get("severity"),
                    "human": c.get("human"),
                    "expression": c.get("expression"),
                    "elements": [],
                })
                if element["id"] not in entry["elements"]:
                    entry["elements"].append(element["id"])
    return out


def build_ips_table(
    manifest: JsonObject, resources: Iterable[JsonObject], sha256: str, tarball: str
) -> JsonObject:
    """The IPS table (see the module docstring) from a package's manifest and resources.

    Raises:
        Incorrect: the package is not ``hl7.fhir.uv.ips`` or has no Composition profile.
    """
    if manifest.get("name") != IPS_PACKAGE:
        raise Incorrect(f"expected the {IPS_PACKAGE} package, not {manifest.get('name')!r}")
    sds = [
        r
        for r in resources
        if r.get("resourceType") == "StructureDefinition"
        and r.get("kind") == "resource"
        and r.get("derivation") == "constraint"
    ]
    by_id = {sd["id"]: sd for sd in sds}
    if "Composition-uv-ips" not in by_id:
        raise Incorrect("the package has no Composition-uv-ips profile")
    return {
        "source": {
            "package": manifest["name"],
            "version": manifest.get("version"),
            "fhirVersions": manifest.get("fhirVersions"),
            "license": manifest.get("license"),
            "canonical": manifest.get("canonical"),
            "tarball": tarball,
            "sha256": sha256,
            "built_by": "scripts/build_ips_tables.py",
        },
        "profiles": {pid: _profile(sd) for pid, sd in sorted(by_id.items())},
        "sections": _sections(by_id["Composition-uv-ips"]),
        "constraints": _constraints(sds),
    }
