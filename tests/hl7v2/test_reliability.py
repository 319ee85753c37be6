"""Dead letters, duplicates (control-id ledger) and all-or-nothing messages."""

from __future__ import annotations

import sqlite3

import orjson

from carehub.hl7v2.dead_letter import DeadLetters
from carehub.hl7v2.ledger import Ledger
from tests.hl7v2.conftest import Env, make_env, message, with_control_id


# -- dead letters ---------------------------------------------------------------------
def test_dead_letter_keeps_the_message_and_the_reason(env: Env) -> None:
    raw = message("malformed/unknown_sex.hl7")
    result = env.ingestor.ingest(raw, "mllp://10.0.0.7:40000")
    assert result.code == "AE" and result.dead_letter is not None
    letters = env.ingestor.dead_letters.list()
    (letter,) = letters
    assert letter.id == result.dead_letter
    assert letter.message == raw  # the bytes as received
    assert (letter.ack_code, letter.error_code, letter.location) == ("AE", "103", "PID-8.1")
    assert "'X' is not a known code" in letter.reason
    assert (letter.sender, letter.control_id, letter.message_type) == (
        "HIS|BVBM", "BAD0009", "ADT^A08")
    assert letter.source == "mllp://10.0.0.7:40000"
    assert letter.attempts == 1 and not letter.resolved
    # the same bytes again: one more attempt, not a second entry
    env.ingestor.ingest(raw)
    (again,) = env.ingestor.dead_letters.list()
    assert again.id == letter.id and again.attempts == 2
    assert orjson.loads(orjson.dumps(again.as_dict()))["message"].startswith("MSH|")


def test_dead_letters_survive_a_restart_and_resolve(env: Env) -> None:
    bad = message("malformed/unknown_sex.hl7")
    env.ingest(bad)
    # "restart": new ledger and dead-letter objects over the same file
    letters = DeadLetters(env.state)
    try:
        assert letters.count() == 1
    finally:
        letters.close()
    env.ingestor.dead_letters.close()
    env.ingestor.ledger.close()
    restarted = make_env(env.hub.store, env.data_dir)
    env.ingestor = restarted.ingestor
    # the sender fixes the message and sends it again with the same control id
    fixed = bad.replace(b"|19800229|X", b"|19800229|M")
    assert env.ingest(fixed).code == "AA"
    assert env.ingestor.dead_letters.count() == 0
    (resolved,) = env.ingestor.dead_letters.list(include_resolved=True)
    assert resolved.resolved


def test_transient_failures_are_not_dead_lettered(sqlite_env: Env) -> None:
    from carehub.errors import Busy

    calls = 0
    original = sqlite_env.hub.store.session

    def busy_once(*, write: bool = False):  # type: ignore[no-untyped-def]
        nonlocal calls
        if write:
            calls += 1
            if calls <= 10:
                raise Busy("database is locked")
        return original(write=write)

    sqlite_env.hub.store.session = busy_once  # type: ignore[method-assign]
    result = sqlite_env.ingest("adt_a28.hl7")
    assert result.code == "AR"
    assert result.error is not None and result.error.code == "206"
    assert sqlite_env.ingestor.dead_letters.count() == 0
    sqlite_env.hub.store.session = original  # type: ignore[method-assign]
    assert sqlite_env.ingest("adt_a28.hl7").code == "AA"  # the resend goes through


# -- duplicates ----------------------------------------------------------------------
def test_resent_message_is_acked_again_and_not_written_twice(env: Env) -> None:
    first = env.accept("adt_a01.hl7", "oru_r01.hl7")
    counts, versions = env.counts(), env.history_size()
    again = env.ingest("oru_r01.hl7")
    assert again.code == "AA" and again.duplicate and again.written == ()
    assert "MSA|AA|LAB0001" in again.ack
    assert env.counts() == counts and env.history_size() == versions
    # restamped by the sender (MSH-7 changed): still the same message
    restamped = message("oru_r01.hl7").replace(b"20240105101500+0700", b"20240105111500+0700", 1)
    assert env.ingest(restamped).duplicate
    assert env.history_size() == versions
    assert first[1].written  # the first time it was written


def test_control_id_reused_for_other_content_is_refused(env: Env) -> None:
    env.accept("adt_a01.hl7")
    other = message("adt_a08.hl7").replace(b"ADT0007", b"ADT0001")
    versions = env.history_size()
    result = env.ingest(other)
    assert result.code == "AE"
    assert result.error is not None
    assert (result.error.code, str(result.error.loc)) == ("205", "MSH-10")
    assert env.history_size() == versions
    assert env.ingestor.dead_letters.count() == 1


def test_control_ids_are_scoped_by_sender(env: Env) -> None:
    env.accept("adt_a28.hl7")
    elsewhere = message("adt_a04.hl7").replace(b"ADT0006", b"MPI0001")  # HIS, not MPI
    assert env.ingest(elsewhere).code == "AA"


def test_the_ledger_survives_a_restart(env: Env) -> None:
    env.accept("adt_a01.hl7")
    env.ingestor.ledger.close()
    env.ingestor.dead_letters.close()
    env.ingestor = make_env(env.hub.store, env.data_dir).ingestor
    versions = env.history_size()
    again = env.ingest("adt_a01.hl7")
    assert again.duplicate and env.history_size() == versions
    ledger = Ledger(env.state)
    try:
        entry = ledger.get("HIS|BVBM", "ADT0001")
        assert entry is not None and entry.message_type == "ADT^A01"
        assert sorted(r.split("/")[0] for r in entry.resources) == ["Encounter", "Patient"]
    finally:
        ledger.close()


def test_stored_but_not_in_the_ledger_writes_nothing_again(env: Env) -> None:
    """A crash between a message's store commit and its ledger entry: the resend changes nothing."""
    for name in ("adt_a01.hl7", "orm_o01.hl7", "adt_a02.hl7", "oru_r01.hl7", "adt_a03.hl7",
                 "rde_o11.hl7", "rds_o13.hl7", "adt_a01_prior.hl7", "oru_r01_prior.hl7",
                 "adt_a40.hl7", "adt_a13.hl7"):
        env.accept(name)
        counts, versions = env.counts(), env.history_size()
        with sqlite3.connect(env.state) as db:
            db.execute("DELETE FROM ledger")
        result = env.ingest(name)
        assert result.code == "AA" and not result.duplicate, (name, result.error)
        assert result.written == (), (name, result.written)
        assert env.counts() == counts and env.history_size() == versions, name


# -- all or nothing --------------------------------------------------------------------
def test_a_failing_message_writes_nothing(env: Env) -> None:
    env.accept("adt_a01.hl7")
    patient = env.one("Patient")
    versions = env.history_size()
    # the A11 renames the patient (written first) then names an unknown visit (fails)
    result = env.ingest("malformed/a11_unknown_visit.hl7")
    assert result.code == "AE"
    assert result.error is not None and result.error.code == "204"
    assert env.history_size() == versions
    assert env.one("Patient") == patient  # the new name was rolled back with the rest


def test_a_bad_message_in_a_group_costs_the_others_nothing(env: Env) -> None:
    group = [
        message("adt_a01.hl7"),
        message("malformed/a11_unknown_visit.hl7"),  # fails after writing
        message("oru_r01.hl7"),
        message("malformed/obx_not_numeric.hl7"),  # fails while mapping
        message("adt_a28.hl7"),
        message("adt_a01.hl7"),  # a duplicate inside the group
    ]
    results = env.ingestor.ingest_many([(m, "test") for m in group])
    assert [r.code for r in results] == ["AA", "AE", "AA", "AE", "AA", "AA"]
    assert results[5].duplicate
    assert env.counts() == {"Patient": 2, "Encounter": 1, "DiagnosticReport": 1,
                            "Observation": 7}
    assert env.one("Encounter")["meta"]["versionId"] == "1"
    assert env.ingestor.dead_letters.count() == 2


def test_duplicate_control_ids_in_one_group(env: Env) -> None:
    raw = message("adt_a28.hl7")
    results = env.ingestor.ingest_many([(raw, "a"), (raw, "b"),
                                        (with_control_id(raw, "MPI0001-2"), "c")])
    assert [(r.code, r.duplicate) for r in results] == [("AA", False), ("AA", True),
                                                        ("AA", False)]
    assert results[2].written == ()
    assert len(env.all("Patient")) == 1
