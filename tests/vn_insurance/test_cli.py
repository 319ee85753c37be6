"""``carehub vn-insurance``: export from NDJSON, validate, import into a SQLite store."""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from carehub.app.wiring import open_store
from carehub.cli.main import app
from carehub.settings import load_settings
from tests.vn_insurance.episodes import FIXTURES, population
from tests.vn_insurance.test_export import DIED, INPATIENT

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"CAREHUB_DATA_DIR": str(tmp_path / "data"), "CAREHUB_STORAGE": "sqlite",
            "CAREHUB_VN_FACILITY_CODE": "01001", "CAREHUB_VN_HEAD_ID": "0123456789",
            "CAREHUB_VN_TARIFF": str(FIXTURES / "tariff.csv"), "CAREHUB_SQLITE_PATH": ""}


@pytest.fixture
def ndjson(tmp_path: Path) -> Path:
    folder = tmp_path / "ndjson"
    folder.mkdir()
    by_type: dict[str, list[bytes]] = {}
    for res in population():
        by_type.setdefault(res["resourceType"], []).append(orjson.dumps(res))
    for resource_type, lines in by_type.items():
        (folder / f"{resource_type}.ndjson").write_bytes(b"\n".join(lines) + b"\n")
    return folder


def stored(env: dict[str, str]) -> dict[str, int]:
    store = open_store(load_settings(env))
    try:
        with store.session() as session:
            return {k: v for k, v in session.count_by_type().items() if v}
    finally:
        store.close()


def test_export_validate_import(env: dict[str, str], ndjson: Path, tmp_path: Path) -> None:
    out, checkin = tmp_path / "out.xml", tmp_path / "checkin.xml"
    result = runner.invoke(app, ["vn-insurance", "export", "--ndjson", str(ndjson),
                                 "--encounter", INPATIENT, "--encounter", DIED,
                                 "--out", str(out), "--checkin", str(checkin)], env=env)
    assert result.exit_code == 0, result.output
    assert "2 episodes" in result.output
    assert ET.fromstring(checkin.read_bytes()).tag == "CHI_TIEU_TRANG_THAI_KCB"

    result = runner.invoke(app, ["vn-insurance", "validate", str(out)], env=env)
    assert result.exit_code == 0 and "0 problems" in result.output

    result = runner.invoke(app, ["vn-insurance", "import", str(out)], env=env)
    assert result.exit_code == 0, result.output
    counts = stored(env)
    assert counts["Patient"] == 2 and counts["Encounter"] == 2

    # Running it again updates in place.
    assert runner.invoke(app, ["vn-insurance", "import", str(out)], env=env).exit_code == 0
    assert stored(env) == counts


def test_bad_file_stores_nothing(env: dict[str, str], ndjson: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.xml"
    runner.invoke(app, ["vn-insurance", "export", "--ndjson", str(ndjson),
                        "--encounter", INPATIENT, "--out", str(out)], env=env)
    assert runner.invoke(app, ["vn-insurance", "import", str(out)], env=env).exit_code == 0
    before = stored(env)

    # A new, valid episode first, then one with broken money in its XML2 file:
    # the valid one must not be stored either.
    both = tmp_path / "both.xml"
    runner.invoke(app, ["vn-insurance", "export", "--ndjson", str(ndjson), "--encounter", DIED,
                        "--encounter", INPATIENT, "--out", str(both)], env=env)
    root = ET.fromstring(both.read_bytes())
    hoso = root.findall("THONGTINHOSO/DANHSACHHOSO/HOSO")[-1]
    for entry in hoso.iterfind("FILEHOSO"):
        if entry.findtext("LOAIHOSO") == "XML2":
            node = entry.find("NOIDUNGFILE")
            assert node is not None and node.text
            inner = base64.b64decode(node.text).decode()
            inner = re.sub(r"<THANH_TIEN_BV>\d+</THANH_TIEN_BV>",
                           "<THANH_TIEN_BV>1</THANH_TIEN_BV>", inner, count=1)
            node.text = base64.b64encode(inner.encode()).decode()
    bad = tmp_path / "bad.xml"
    bad.write_bytes(ET.tostring(root, encoding="utf-8"))

    result = runner.invoke(app, ["vn-insurance", "validate", str(bad)], env=env)
    assert result.exit_code == 1 and "XML2[1].THANH_TIEN_BV" in result.output
    result = runner.invoke(app, ["vn-insurance", "import", str(bad)], env=env)
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "XML2[1].THANH_TIEN_BV" in result.output
    assert stored(env) == before

    garbage = tmp_path / "garbage.xml"
    garbage.write_bytes(b"<GIAMDINHHS><THONGTINHOSO>")
    assert runner.invoke(app, ["vn-insurance", "import", str(garbage)], env=env).exit_code == 2
    assert stored(env) == before


def test_export_needs_configuration(env: dict[str, str], ndjson: Path, tmp_path: Path) -> None:
    env = {**env, "CAREHUB_VN_FACILITY_CODE": ""}
    result = runner.invoke(app, ["vn-insurance", "export", "--ndjson", str(ndjson),
                                 "--encounter", INPATIENT, "--out", str(tmp_path / "x")], env=env)
    assert result.exit_code == 2 and "CAREHUB_VN_FACILITY_CODE" in result.output
