"""``carehub ops reorder``: files in, CSV/JSON out, --save, --from-warehouse, error exit."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
from typer.testing import CliRunner

from carehub.cli.main import ERROR_EXIT_CODE, app

runner = CliRunner()


def _env(tmp_path: Path) -> dict[str, str]:
    return {"CAREHUB_DATA_DIR": str(tmp_path / "data"), "CAREHUB_WAREHOUSE_PATH": "",
            "CAREHUB_OPS_INVENTORY_PATH": ""}


def test_reorder_from_files(tmp_path: Path, fixtures: Path) -> None:
    out = tmp_path / "reorder.csv"
    args = ["ops", "reorder", "--ledger", str(fixtures / "ledger.csv"), "--items",
            str(fixtures / "items.csv"), "--on-order", str(fixtures / "on_order.csv"),
            "--as-of", "2024-03-31", "--out", str(out), "--no-forecast"]
    result = runner.invoke(app, args, env=_env(tmp_path))
    assert result.exit_code == 0, result.output
    assert "3 item(s)" in result.output
    rows = out.read_text().splitlines()
    assert len(rows) == 4 and rows[0].startswith("item,")
    assert not (tmp_path / "data" / "ops" / "inventory.sqlite").exists()


def test_save_then_use_the_stored_ledger(tmp_path: Path, fixtures: Path) -> None:
    env = _env(tmp_path)
    first = runner.invoke(app, ["ops", "reorder", "--ledger", str(fixtures / "ledger.csv"),
                                "--items", str(fixtures / "items.csv"), "--save",
                                "--as-of", "2024-03-31", "--format", "json", "--no-forecast"],
                          env=env)
    assert first.exit_code == 0, first.output
    assert (tmp_path / "data" / "ops" / "inventory.sqlite").is_file()
    bad = runner.invoke(app, ["ops", "reorder", "--ledger", str(fixtures / "ledger_bad.csv"),
                              "--save"], env=env)
    assert bad.exit_code == ERROR_EXIT_CODE
    assert "ledger_bad.csv:3: date" in bad.output
    again = runner.invoke(app, ["ops", "reorder", "--as-of", "2024-03-31", "--format", "json"],
                          env=env)
    assert again.exit_code == 0, again.output
    data = json.loads(again.stdout)
    lines = {ln["item"]: ln for ln in data["lines"]}
    assert lines["amox"]["ven"] == "V" and lines["amox"]["stock_on_hand"] == 200
    assert lines["amox"]["model"] == "mean"  # 3 months: too short for AutoETS


def test_from_warehouse(tmp_path: Path) -> None:
    wh = tmp_path / "wh.duckdb"
    with duckdb.connect(str(wh)) as con:
        con.execute(
            "CREATE TABLE medications_dispensed AS SELECT * FROM (VALUES "
            "('C08CA01', '2024-01-03T10:00:00+07:00', 60.0, 'completed'), "
            "('C08CA01', '2024-02-10', 90.0, 'completed')) "
            "t(medication_code, when_handed_over, quantity, status)"
        )
    env = {**_env(tmp_path), "CAREHUB_WAREHOUSE_PATH": str(wh)}
    result = runner.invoke(app, ["ops", "reorder", "--from-warehouse", "--as-of", "2024-02-29",
                                 "--format", "json", "--no-forecast"], env=env)
    assert result.exit_code == 0, result.output
    (line,) = json.loads(result.stdout)["lines"]
    assert (line["item"], line["amc"], line["stock_on_hand"]) == ("C08CA01", 75.0, 0.0)


def test_missing_warehouse_is_an_error(tmp_path: Path) -> None:
    env = {**_env(tmp_path), "CAREHUB_WAREHOUSE_PATH": str(tmp_path / "none.duckdb")}
    result = runner.invoke(app, ["ops", "reorder", "--from-warehouse"], env=env)
    assert result.exit_code == ERROR_EXIT_CODE
    assert "carehub warehouse build" in result.output
