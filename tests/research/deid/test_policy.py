"""De-identification policies: shipped files load, bad files fail with one clear message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from carehub.errors import Incorrect, NotFound
from carehub.research.deid import load_policy, shipped_policies
from carehub.research.deid.policy import COLUMN_RULES


def test_shipped_policies_load_and_state_their_rules() -> None:
    assert {"default", "year-dates"} <= set(shipped_policies())
    default, year = load_policy("default"), load_policy("year-dates")
    assert (default.dates, year.dates) == ("shift", "year")
    assert year.views == default.views and year.digest != default.digest
    for rules in default.views.values():
        assert rules["patient_id"] == "research_id"
        assert set(rules.values()) <= set(COLUMN_RULES)
    identifying = {"mrn", "family_name", "given_names", "birth_date", "city", "district",
                   "postal_code"}
    assert all(default.views["patients"][c] == "drop" for c in identifying)
    assert default.regions["Hà Nội"] == default.regions["Hải Phòng"] != default.regions["Cà Mau"]


def test_a_json_file_and_a_yaml_file_give_the_same_policy(tmp_path: Path) -> None:
    raw = load_policy("default").raw
    (tmp_path / "p.json").write_text(json.dumps(raw), encoding="utf-8")
    assert load_policy(tmp_path / "p.json").digest == load_policy("default").digest


@pytest.mark.parametrize(
    ("content", "message", "path"),
    [
        ("name: x\nversion: 1\nviews: [", "is not valid YAML/JSON at line", None),
        ("- a\n- b\n", "must be a mapping of settings, not list", None),
        ("extends: default\nk_anonymity: {k: 1}\n", "k_anonymity.k must be an integer >= 2",
         "k_anonymity.k"),
        ("extends: default\ndates: month\n", "dates must be one of shift, year, not 'month'",
         "dates"),
        ("extends: default\nk_anonymty: {k: 5}\n", "k_anonymty is not a policy setting. "
         "Did you mean 'k_anonymity'?", "k_anonymty"),
        ("extends: default\nviews: {patients: {patient_id: research_id, mrn: hide}}\n",
         "views.patients.mrn has unknown rule 'hide'", "views.patients.mrn"),
        ("extends: default\nviews: {patients: {patient_id: keep}}\n",
         "views.patients must release patient_id as research_id", "views.patients"),
        ("extends: default\nk_anonymity: {quasi_identifiers: [age_band, zip]}\n",
         "k_anonymity.quasi_identifiers[1] must be one of", "k_anonymity.quasi_identifiers[1]"),
        ("extends: default\nrare_codes: {rules: [{view: conditions, column: onset}]}\n",
         "rare_codes.rules[0].column must name a column views.conditions keeps",
         "rare_codes.rules[0].column"),
        ("version: 1\nviews: {}\n", "name is required", "name"),
    ],
)
def test_a_bad_policy_file_fails_with_one_clear_error(
    tmp_path: Path, content: str, message: str, path: str | None
) -> None:
    file = tmp_path / "bad.yaml"
    file.write_text(content, encoding="utf-8")
    with pytest.raises(Incorrect) as caught:
        load_policy(file)
    text = str(caught.value)
    assert text.startswith(f"policy file {file}")
    assert message in text
    assert "\n" not in text
    if path is not None:
        assert caught.value.issues[0].expression == (path,)


def test_unknown_shipped_policy_and_missing_file() -> None:
    with pytest.raises(NotFound, match="Did you mean 'default'"):
        load_policy("defualt")
    with pytest.raises(Incorrect, match="cannot read policy file"):
        load_policy(Path("/nonexistent/policy.yaml"))
