"""``carehub.warehouse`` exports a small, explicit surface."""

from __future__ import annotations

import carehub.warehouse as warehouse


def test_all_is_sorted_and_importable() -> None:
    assert warehouse.__all__ == sorted(warehouse.__all__)
    for name in warehouse.__all__:
        assert getattr(warehouse, name) is not None, name
