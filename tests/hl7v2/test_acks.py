"""ACK/NAK per message: codes, MSA, and the ERR segment's location and error code."""

from __future__ import annotations

import pickle

import pytest

from carehub.hl7v2.ack import AckOptions, parse_ack
from carehub.hl7v2.ingest import ack_options, prepare
from carehub.hl7v2.mapping import load_tables
from carehub.hl7v2.parse import parse_message
from tests.hl7v2.conftest import FIXTURES, Env, message

# file → (MSA-1, ERR-3 code, ERR-2 location)
BAD = {
    "not_hl7.txt": ("AR", "100", "MSH^1"),
    "no_control_id.hl7": ("AR", "101", "MSH^1^10"),
    "unsupported_type.hl7": ("AR", "200", "MSH^1^9^1^1"),
    "unsupported_event.hl7": ("AR", "201", "MSH^1^9^1^2"),
    "bad_version.hl7": ("AR", "203", "MSH^1^12"),
    "bad_processing_id.hl7": ("AR", "202", "MSH^1^11"),
    "ascii_with_utf8.hl7": ("AR", "102", "MSH^1^18"),
    "missing_pid3.hl7": ("AE", "101", "PID^1^3"),
    "missing_pid.hl7": ("AE", "100", "PID^1"),
    "bad_birth_date.hl7": ("AE", "102", "PID^1^7^1^1"),
    "unknown_sex.hl7": ("AE", "103", "PID^1^8^1^1"),
    "unknown_authority.hl7": ("AE", "103", "PID^1^3^2^4"),
    "bad_escape_charset.hl7": ("AE", "102", "PID^1^5^1^1^1"),
    "obx_not_numeric.hl7": ("AE", "102", "OBX^2^5^1^1"),
    "obx_before_obr.hl7": ("AE", "100", "OBX^1"),
    "a11_unknown_visit.hl7": ("AE", "204", "PV1^1^19"),
    "a40_unknown_prior.hl7": ("AE", "204", "MRG^1^1"),
}


def _raw(name: str) -> bytes:
    if name.endswith(".hl7"):
        return message(f"malformed/{name}")
    return (FIXTURES / "malformed" / name).read_bytes()


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_messages_are_naked_with_err(sqlite_env: Env, name: str) -> None:
    sqlite_env.accept("adt_a01.hl7")
    before = sqlite_env.history_size()
    result = sqlite_env.ingest(_raw(name))
    code, err_code, location = BAD[name]
    assert result.code == code
    ack = parse_ack(result.ack)
    assert ack.code == code
    assert ack.control_id == result.control_id
    (err,) = ack.errors
    assert (err.code, err.location) == (err_code, location), err
    assert err.message  # ERR-8 says what is wrong, in words
    assert sqlite_env.history_size() == before  # nothing written


def test_ack_header_answers_the_sender(sqlite_env: Env) -> None:
    result = sqlite_env.ingest("adt_a01.hl7")
    assert result.code == "AA" and result.error is None
    ack = parse_message(result.ack)
    msh = ack.msh
    # sending and receiving applications swapped, version, processing id and charset echoed
    assert (msh.get(3), msh.get(4), msh.get(5), msh.get(6)) == ("CAREHUB", "BVBM", "HIS", "BVBM")
    assert msh.get(9, 1) == "ACK" and msh.get(9, 2) == "A01"
    assert msh.get(10) and msh.get(10) != "ADT0001"
    assert (msh.get(11), msh.get(12), msh.get(18)) == ("P", "2.5.1", "UNICODE UTF-8")
    msa = ack.first("MSA")
    assert msa is not None
    assert (msa.get(1), msa.get(2)) == ("AA", "ADT0001")
    assert ack.first("ERR") is None


def test_pre_2_5_nak_uses_err_1(sqlite_env: Env) -> None:
    result = sqlite_env.ingest("malformed/v23_missing_pid3.hl7")
    assert result.code == "AE"
    err = parse_message(result.ack).first("ERR")
    assert err is not None
    # ERR-1 (ELD): segment^sequence^field^code&text&table
    assert err.raw(1) == "PID^1^3^101&Required field missing&HL70357"
    assert err.raw(2) == ""


def test_ack_uses_the_message_delimiters(sqlite_env: Env) -> None:
    raw = (
        b"MSH#$%!*#HIS#BVBM#CAREHUB#BVBM#20240101##ADT$A28#D1#P#2.5.1\r"
        b"EVN#A28\rPID#1##BN7$$$BV$MR##Nguy!XE1BB85!n$B!XC3AC!nh##19900101#Z"
    )
    result = sqlite_env.ingest(raw)
    assert result.code == "AE"
    assert result.ack.startswith("MSH#$%!*#CAREHUB#BVBM#HIS#BVBM#")
    assert "\rERR##PID$1$8$1$1#103$Table value not found$HL70357#E####" in result.ack
    ack = parse_ack(result.ack)
    assert ack.errors[0].location == "PID$1$8$1$1"


def test_ack_text_is_escaped_for_the_message_charset(sqlite_env: Env) -> None:
    raw = (
        b"MSH|^~\\&|HIS|BVBM|CAREHUB|BVBM|20240101||ADT^A28|D2|P|2.5.1|||||VNM|ASCII\r"
        b"PID|1||BN8^^^BV^MR||Le^An||19900101|\\XC490\\"
    )  # sex "Đ", sent escaped
    result = sqlite_env.ingest(raw)
    assert result.code == "AE"
    data = result.ack_bytes()
    assert data.isascii()
    assert "'Đ'" in parse_ack(data).errors[0].message


def _without_receiver(raw: bytes, control_id: str) -> bytes:
    head, sep, rest = raw.partition(b"\r")
    fields = head.split(b"|")
    fields[4] = fields[5] = b""  # MSH-5, MSH-6: the ACK names CareHub from its options
    fields[9] = control_id.encode()
    return b"|".join(fields) + sep + rest


def test_the_aa_ack_is_built_when_mapped_and_rebuilt_under_other_options(
    sqlite_env: Env,
) -> None:
    tables = load_tables()
    first = pickle.loads(
        pickle.dumps(prepare(_without_receiver(message("adt_a01.hl7"), "ACK-1"), "test", tables))
    )
    assert first.ack and first.ack_by == ack_options(tables)  # survives the pipe
    assert parse_ack(first.ack).code == "AA"
    (stored,) = sqlite_env.ingestor.commit([first])
    assert stored.code == "AA" and stored.ack == first.ack  # the store used it as built
    # a store answering under another name does not send the ACK built for this one
    sqlite_env.ingestor.ack_options = AckOptions("KHOA-XN", "BVBM", tables.timezone)
    second = prepare(_without_receiver(message("adt_a01.hl7"), "ACK-2"), "test", tables)
    (stored,) = sqlite_env.ingestor.commit([second])
    assert stored.code == "AA" and stored.ack != second.ack
    msh = parse_message(stored.ack).msh
    assert (msh.get(3), msh.get(4)) == ("KHOA-XN", "BVBM")
    assert parse_message(second.ack).msh.get(3) == "CAREHUB"
