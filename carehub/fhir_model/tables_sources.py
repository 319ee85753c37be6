"""Readers of the HL7 FHIR R4 (4.0.1) definition sources used by the table builder.

https://hl7.org/fhir/R4/downloads.html and https://hl7.org/fhir/packages.html

Two sources hold the same definitions: the npm package
``hl7.fhir.r4.examples@4.0.1`` (one JSON file per resource) and the published
definition Bundles (``search-parameters.json``, ``profiles-*.json``,
``valuesets.json``). Both readers yield plain resource dicts; selecting the
core definitions is the job of :mod:`carehub.fhir_model.tables_build`.
"""

from __future__ import annotations

import gzip
import json
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from carehub.errors import Incorrect

#: Resource types the readers yield; everything else in a source is skipped.
DEFINITION_TYPES = frozenset({"SearchParameter", "StructureDefinition", "ValueSet", "CodeSystem"})
JsonObject = dict[str, Any]


def read_npm_package(path: Path) -> Iterator[JsonObject]:
    """Yield the definition resources of an R4 npm package (``.tgz`` or unpacked).

    Only ``SearchParameter-``, ``StructureDefinition-``, ``ValueSet-`` and
    ``CodeSystem-`` files are read; selecting the core definitions among them
    is left to :func:`carehub.fhir_model.tables_build.build_tables`.

    Args:
        path: the package tarball, or a directory holding its files (either the
            directory that contains ``package/`` or ``package/`` itself).

    Raises:
        Incorrect: the path is neither a tarball nor a directory.
    """
    prefixes = tuple(f"{t}-" for t in sorted(DEFINITION_TYPES))
    if path.is_dir():
        folder = path / "package" if (path / "package").is_dir() else path
        for file in sorted(folder.glob("*.json")):
            if file.name.startswith(prefixes):
                yield json.loads(file.read_bytes())
        return
    if not path.is_file():
        raise Incorrect(f"Not an npm package tarball or directory: {path}")
    with tarfile.open(path, "r:*") as tar:
        for member in tar:
            name = member.name.rsplit("/", 1)[-1]
            if member.isfile() and name.endswith(".json") and name.startswith(prefixes):
                stream = tar.extractfile(member)
                if stream is not None:
                    yield json.loads(stream.read())


BUNDLE_FILES = (
    "search-parameters.json",
    "profiles-types.json",
    "profiles-resources.json",
    "valuesets.json",
)


def read_bundles(folder: Path) -> Iterator[JsonObject]:
    """Yield the entry resources of the published R4 definition Bundles.

    Reads ``search-parameters.json``, ``profiles-types.json``,
    ``profiles-resources.json`` and ``valuesets.json`` from ``folder``; each
    may also be gzip-compressed (``.json.gz``).

    Raises:
        Incorrect: one of the four files is missing.
    """
    for name in BUNDLE_FILES:
        plain, packed = folder / name, folder / f"{name}.gz"
        if plain.is_file():
            data = plain.read_bytes()
        elif packed.is_file():
            data = gzip.decompress(packed.read_bytes())
        else:
            raise Incorrect(f"Missing definition Bundle {name} (or {name}.gz) in {folder}")
        for entry in json.loads(data).get("entry", []):
            resource = entry.get("resource")
            if isinstance(resource, dict) and resource.get("resourceType") in DEFINITION_TYPES:
                yield resource
