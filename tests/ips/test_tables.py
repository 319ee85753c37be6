"""CareHub's IPS table: provenance, the required sections, and regeneration from the IG package."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from carehub.fhir_model.tables_build import dump_table
from carehub.ips.tables import ips_tables, parse_tables
from carehub.ips.tables_build import build_ips_table, read_ips_tarball, tarball_name

CACHE = Path(os.environ.get("CAREHUB_NPM_CACHE", Path.home() / ".cache" / "carehub" / "npm"))
TARBALL = CACHE / tarball_name()
TABLE = Path(__file__).resolve().parents[2] / "carehub" / "ips" / "data" / "ips_tables.json"


def test_table_records_its_source() -> None:
    source = ips_tables().source
    assert (source["package"], source["version"]) == ("hl7.fhir.uv.ips", "2.0.0")
    assert source["tarball"] == "hl7.fhir.uv.ips-2.0.0.tgz"
    assert re.fullmatch(r"[0-9a-f]{64}", source["sha256"])
    assert source["fhirVersions"] == ["4.0.1"]


def test_required_sections_and_codes() -> None:
    t = ips_tables()
    required = {s.slice: s.code for s in t.sections if s.required}
    assert required == {"sectionProblems": "11450-4", "sectionAllergies": "48765-2",
                        "sectionMedications": "10160-0"}
    assert t.section("sectionResults").code == "30954-2"
    assert t.section("sectionImmunizations").code == "11369-6"
    assert t.section("sectionProceduresHx").code == "47519-4"
    assert all(s.system == "http://loinc.org" for s in t.sections)
    assert t.section("sectionProblems").empty_reason == (
        "http://hl7.org/fhir/ValueSet/list-empty-reason")
    assert "ips-comp-1" in t.constraints and "bdl-ips-1" in t.constraints


def test_profiles_carry_required_elements() -> None:
    t = ips_tables()
    assert t.profiles["Bundle-uv-ips"]["fixed"]["Bundle.type"] == "document"
    composition = {p for p, _, _ in t.profiles["Composition-uv-ips"]["required"]}
    assert {"Composition.subject", "Composition.author", "Composition.title"} <= composition
    lab = t.profiles["Observation-results-laboratory-pathology-uv-ips"]
    assert ["Observation.performer", 1, "*"] in lab["required"]
    assert lab["slices"][0][1] == "laboratory"


def test_unknown_section_suggests() -> None:
    with pytest.raises(Exception, match="Did you mean 'sectionProblems'"):
        ips_tables().section("sectionProblem")


def test_malformed_table_is_a_fault() -> None:
    with pytest.raises(Exception, match="malformed"):
        parse_tables({"source": {}})


@pytest.mark.skipif(not TARBALL.is_file(),
                    reason=f"npm tarball {tarball_name()} not cached in {CACHE}")
def test_table_regenerates_from_the_npm_package() -> None:
    manifest, resources, sha = read_ips_tarball(TARBALL)
    table = build_ips_table(manifest, resources, sha, TARBALL.name)
    assert dump_table(table) == TABLE.read_text(encoding="utf-8")
