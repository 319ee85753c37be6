"""USPSTF 2021 lung screening: inclusive age and pack-year bounds, quit years, inputs."""

from __future__ import annotations

import pytest

from carehub.clinical.inputs import InvalidInput
from carehub.clinical.lung.screening_eligibility import uspstf2021_lung_screening_eligible as elig


@pytest.mark.parametrize(
    ("age", "eligible"),
    [(49, False), (49.9, False), (50, True), (80, True), (80.9, True), (81, False)],
)
def test_age_inclusive(age: float, eligible: bool) -> None:
    assert elig(age, 30, "current")["eligible"] is eligible


@pytest.mark.parametrize(("packs", "eligible"), [(19.9, False), (20, True)])
def test_pack_years(packs: float, eligible: bool) -> None:
    assert elig(60, packs, "current")["eligible"] is eligible


@pytest.mark.parametrize(("quit", "eligible"), [(0, True), (15, True), (15.1, False)])
def test_years_since_quit(quit: float, eligible: bool) -> None:
    r = elig(60, 30, "former", years_since_quit=quit)
    assert r["eligible"] is eligible
    if quit == 15:
        assert "medium confidence" in r.reason


def test_never_and_limited_life_expectancy() -> None:
    assert elig(60, 0, "never")["unmet"] == ["under_20_pack_years", "never_smoked"]
    assert elig(60, 30, "current", limited_life_expectancy=True)["eligible"] is False


@pytest.mark.parametrize(
    ("args", "kwargs", "name"),
    [
        ((60, 30, "former"), {}, "years_since_quit"),
        ((60, 30, "sometimes"), {}, "smoking_status"),
        ((None, 30, "current"), {}, "age"),
        ((60, -1, "current"), {}, "pack_years"),
    ],
)
def test_bad_inputs(args: tuple[object, ...], kwargs: dict[str, object], name: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        elig(*args, **kwargs)  # type: ignore[arg-type]
    assert exc.value.name == name
