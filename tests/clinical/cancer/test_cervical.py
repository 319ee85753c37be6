"""WHO 2021 cervical screening: start ages, stop rule, HIV, inputs."""

from __future__ import annotations

import pytest

from carehub.clinical.cancer.cervical import who2021_cervical_screening as who
from carehub.clinical.inputs import InvalidInput


@pytest.mark.parametrize(
    ("age", "hiv", "negatives", "status"),
    [
        (29.9, False, 0, "not_yet"),
        (30, False, 0, "screen"),
        (24.9, True, 0, "not_yet"),
        (25, True, 0, "screen"),
        (52, False, 1, "screen"),
        (52, False, 2, "stopped"),
        (52, True, 2, "screen"),
        (70, False, 0, "screen"),
    ],
)
def test_status(age: float, hiv: bool, negatives: int, status: str) -> None:
    r = who(age, hiv, negatives)
    assert r["status"] == status and r["eligible"] is (status == "screen")


def test_intervals() -> None:
    assert who(35, False)["interval_years"] == "5-10"
    assert who(35, True)["interval_years"] == "3-5"


@pytest.mark.parametrize(
    ("args", "name"),
    [
        ((None, False), "age"),
        ((30, "no"), "hiv"),
        ((40, False, 2), "consecutive_negative_screens_after_50"),
        ((55, False, -1), "consecutive_negative_screens_after_50"),
    ],
)
def test_bad_inputs(args: tuple[object, ...], name: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        who(*args)  # type: ignore[arg-type]
    assert exc.value.name == name
