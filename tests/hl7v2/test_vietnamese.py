"""Vietnamese text: UTF-8 and escape sequences in, FHIR text stored, ER7 out and in again."""

from __future__ import annotations

from typing import Any

from carehub.hl7v2.encoding import escape
from carehub.hl7v2.parse import parse_message
from tests.hl7v2.conftest import Env

NAMES = [("Nguyễn", "Hạnh"), ("Đặng", "Quý"), ("Trương", "Ánh"), ("Hoàng", "Hường")]


def test_escaped_vietnamese_is_stored_as_text(env: Env) -> None:
    env.accept("vietnamese_escapes.hl7")
    patient = env.one("Patient")
    assert patient["name"][0] == {
        "text": "Nguyễn Thị Minh Hạnh", "family": "Nguyễn", "given": ["Thị", "Minh", "Hạnh"]}
    (address,) = patient["address"]
    assert address["line"] == ["Số 7|9 Phố Đinh Tiên Hoàng", "Phường ^ 3 ~ 4"]
    assert address["city"] == "Thành phố Hồ Chí Minh"
    assert address["district"] == "Quận 1"


def _pid_from_fhir(patient: dict[str, Any], codec: str) -> str:
    """PID-5 and PID-11 written back as ER7 from the stored Patient."""
    name, address = patient["name"][0], patient["address"][0]

    def esc(text: str) -> str:
        return escape(text, codec=codec)

    given = name["given"]
    xpn = f"{esc(name['family'])}^{esc(given[-1])}^{esc(' '.join(given[:-1]))}"
    lines = address["line"] + [""] * (2 - len(address["line"]))
    xad = "^".join([esc(lines[0]), esc(lines[1]), esc(address["city"]), esc(address["state"]),
                    "", address["country"], "H", "", esc(address["district"])])
    return f"PID|1||BN00000401^^^BV^MR||{xpn}||19990909|F|||{xad}"


def test_fhir_text_written_back_as_er7_reads_the_same(env: Env) -> None:
    env.accept("vietnamese_escapes.hl7")
    patient = env.one("Patient")
    for charset, codec in (("UNICODE UTF-8", "utf-8"), ("ASCII", "ascii")):
        er7 = (f"MSH|^~\\&|HIS|BVBM|CAREHUB|BVBM|20240111083000+0700||ADT^A31^ADT_A05|"
               f"VN-{codec}|P|2.5.1|||||VNM|{charset}\rEVN|A31|20240111083000+0700\r"
               + _pid_from_fhir(patient, codec))
        raw = er7.encode(codec)
        if codec == "ascii":
            assert b"\\X" in raw  # every Vietnamese letter travelled as escaped UTF-8
        result = env.ingest(raw)
        assert result.code == "AA", result.error
        assert result.written == (), f"{charset}: the round trip changed the Patient"
    assert env.one("Patient")["meta"]["versionId"] == "1"


def test_names_round_trip_through_every_delimiter() -> None:
    for family, given in NAMES:
        tricky = f"{given} | ^ ~ & \\ {given}"
        for codec in ("utf-8", "ascii"):
            pid = f"PID|1||X^^^BV^MR||{escape(family, codec=codec)}^{escape(tricky, codec=codec)}"
            msg = parse_message(f"MSH|^~\\&|A|B|||x||ADT^A28|1|P|2.5.1\r{pid}".encode())
            seg = msg.first("PID")
            assert seg is not None
            assert (seg.get(5, 1), seg.get(5, 2)) == (family, tricky)
