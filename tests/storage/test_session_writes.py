"""Buffered writes of a store session, on every back-end.

A session keeps its writes and sends them when it flushes (before queries and
at commit); these tests pin down what must hold whatever the buffering: what
a session reads back of its own writes, how repeated writes of one resource
end up in the search index and history, and that a failed session leaves
nothing behind.
"""

from __future__ import annotations

from typing import Any

import pytest

from carehub.errors import Conflict
from carehub.fhir_api.hub import new_id
from carehub.fhir_model.definitions import definitions
from carehub.search.parse import SearchParser
from carehub.storage.base import HistoryQuery, ResourceStore

PARSER = SearchParser(definitions())


def patient(pid: str, family: str) -> dict[str, Any]:
    return {"resourceType": "Patient", "id": pid, "name": [{"family": family}],
            "identifier": [{"system": "urn:test", "value": pid}]}


def ids_by_family(store: ResourceStore, family: str) -> list[str]:
    query = PARSER.parse("Patient", [("family:exact", family)], strict=True)
    with store.session() as s:
        return [i for _, i in s.search_ids(query, 10)]


def test_repeated_writes_in_one_session_leave_only_the_last_in_the_index(
    store: ResourceStore,
) -> None:
    with store.session(write=True) as s:
        s.put(patient("a", "Nguyễn"))
        s.put(patient("a", "Trần"))
        again = s.put(patient("a", "Lê"))
        assert again.version == 3
        assert s.read("Patient", "a") == again  # read back from the session
        locked = s.lock("Patient", "a")
        assert locked is not None and locked.version == 3 and locked.body is None
    assert ids_by_family(store, "Lê") == ["a"]
    assert ids_by_family(store, "Nguyễn") == [] and ids_by_family(store, "Trần") == []
    with store.session() as s:
        history = s.history(HistoryQuery("Patient", "a", count=10))
        assert [v.version for v in history.versions] == [3, 2, 1]
        first = s.vread("Patient", "a", 1)
        assert first is not None and b"Nguy" in (
            first.body.encode() if isinstance(first.body, str) else first.body or b"")


def test_a_search_inside_the_session_sees_its_own_writes(store: ResourceStore) -> None:
    with store.session(write=True) as s:
        s.put(patient("b", "Phạm"))
        query = PARSER.parse("Patient", [("identifier", "urn:test|b")], strict=True)
        assert s.search_ids(query, 10) == [("Patient", "b")]
        s.put(patient("b", "Hoàng"))
        by_new = PARSER.parse("Patient", [("family:exact", "Hoàng")], strict=True)
        assert s.search_ids(by_new, 10) == [("Patient", "b")]
        by_old = PARSER.parse("Patient", [("family:exact", "Phạm")], strict=True)
        assert s.search_ids(by_old, 10) == []


def test_update_and_delete_of_a_stored_resource_in_one_session(store: ResourceStore) -> None:
    with store.session(write=True) as s:
        s.put(patient("c", "Vũ"))
    with store.session(write=True) as s:
        s.prefetch([("Patient", "c"), ("Patient", "missing")])
        assert s.lock("Patient", "missing") is None
        current = s.lock("Patient", "c")
        assert current is not None and current.version == 1
        assert s.put(patient("c", "Đặng")).version == 2
        gone = s.delete("Patient", "c")
        assert gone is not None and gone.deleted and gone.version == 3
        assert s.delete("Patient", "c") is None  # already deleted
        read = s.read("Patient", "c")
        assert read is not None and read.deleted
    assert ids_by_family(store, "Đặng") == [] and ids_by_family(store, "Vũ") == []
    with store.session() as s:
        stored = s.read("Patient", "c")
        assert stored is not None and stored.deleted and stored.version == 3
        assert s.count_by_type().get("Patient", 0) == 0


def test_create_then_delete_in_one_session(store: ResourceStore) -> None:
    with store.session(write=True) as s:
        s.put(patient("d", "Bùi"))
        assert s.delete("Patient", "d") is not None
    with store.session() as s:
        stored = s.read("Patient", "d")
        assert stored is not None and stored.deleted and stored.version == 2
    assert ids_by_family(store, "Bùi") == []


def test_a_failed_session_stores_nothing_and_ids_stay_unique(store: ResourceStore) -> None:
    with store.session(write=True) as s:
        s.put(patient("e", "Đỗ"))
    with pytest.raises(RuntimeError), store.session(write=True) as s:
        s.put(patient("f", "Hồ"))
        s.put(patient("e", "Ngô"))
        raise RuntimeError("the caller gives up")
    with store.session() as s:
        assert s.read("Patient", "f") is None
        kept = s.read("Patient", "e")
        assert kept is not None and kept.version == 1
    with store.session(write=True) as s:
        for i in range(5):
            s.put(patient(f"g{i}", "Dương"))
    assert sorted(ids_by_family(store, "Dương")) == [f"g{i}" for i in range(5)]
    with store.session() as s:
        seqs = [v.seq for v in s.history(HistoryQuery(count=50)).versions]
    assert len(seqs) == len(set(seqs)) == 6


def test_a_post_with_an_id_already_stored_fails_without_harm(store: ResourceStore) -> None:
    pid = new_id()
    with store.session(write=True) as s:
        s.put(patient(pid, "Lý"), method="POST")
    with pytest.raises(Conflict), store.session(write=True) as s:
        s.put(patient(new_id(), "Mai"), method="POST")
        s.put(patient(pid, "Tô"), method="POST")
    with store.session() as s:
        kept = s.read("Patient", pid)
        assert kept is not None and kept.version == 1
    assert ids_by_family(store, "Mai") == [] and ids_by_family(store, "Lý") == [pid]
