"""Keyed research ids and date offsets: stable for a key, unrelated across keys."""

from __future__ import annotations

import string

from hypothesis import given
from hypothesis import strategies as st

from carehub.research.deid.pseudonym import (
    project_key,
    record_salt,
    research_id,
    shift_days,
)

keys = st.binary(min_size=1, max_size=64)
patients = st.text(min_size=1, max_size=40).map(lambda s: f"Patient/{s}")


@given(keys, keys, patients)
def test_research_ids_are_stable_per_key_and_differ_across_keys(
    a: bytes, b: bytes, patient: str
) -> None:
    rid = research_id(a, patient)
    assert rid == research_id(a, patient)
    assert set(rid) <= set(string.ascii_lowercase + "234567")
    if a != b:
        assert rid != research_id(b, patient)


@given(keys, patients, st.integers(min_value=1, max_value=3650))
def test_offsets_are_stable_non_zero_and_bounded(key: bytes, patient: str, limit: int) -> None:
    offset = shift_days(key, patient, limit)
    assert offset == shift_days(key, patient, limit)
    assert offset != 0 and -limit <= offset <= limit


def test_offsets_cover_both_directions() -> None:
    offsets = {shift_days(b"k", f"Patient/p{i}", 30) for i in range(2000)}
    assert offsets == set(range(-30, 0)) | set(range(1, 31))


def test_project_keys_separate_projects() -> None:
    secret = "hospital-research-secret"
    k1, k2 = project_key(secret, "study-1"), project_key(secret, "study-2")
    assert k1 != k2 and project_key(secret, "study-1") == k1
    assert research_id(k1, "Patient/p1") != research_id(k2, "Patient/p1")
    assert record_salt(k1) != record_salt(k2)
