"""ER7 reading: delimiters, escape sequences, character sets, MLLP framing, files."""

from __future__ import annotations

import pickle
from pathlib import Path

import hl7  # type: ignore[import-untyped]
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carehub.hl7v2.ack import Header
from carehub.hl7v2.encoding import Delimiters, decode, escape, unescape
from carehub.hl7v2.errors import Loc, MessageError
from carehub.hl7v2.files import split_messages
from carehub.hl7v2.ingest import prepare
from carehub.hl7v2.mapping import load_tables
from carehub.hl7v2.mllp import Decoder, FrameTooLarge, frame
from carehub.hl7v2.parse import Message, parse_message
from carehub.hl7v2.plan import plan_from_wire, plan_to_wire
from tests.hl7v2.conftest import FIXTURES, message, messages


@pytest.mark.parametrize(
    ("er7", "text"),
    [
        (r"a\F\b", "a|b"),
        (r"a\S\b", "a^b"),
        (r"a\T\b", "a&b"),
        (r"a\R\b", "a~b"),
        (r"a\E\b", "a\\b"),
        (r"line 1\.br\line 2", "line 1\nline 2"),
        (r"Nguy\XE1BB85\n", "Nguyễn"),
        (r"\XC490\\XE1BAB7\ng", "Đặng"),  # consecutive \X sequences are one byte string
        (r"\H\bold\N\ text", "bold text"),
        ("Trần Thị Ngọc Ánh", "Trần Thị Ngọc Ánh"),
    ],
)
def test_unescape(er7: str, text: str) -> None:
    assert unescape(er7) == text


@pytest.mark.parametrize(
    "text",
    ["Nguyễn Văn An", "Số 5 | Ngõ 12 & 14 ^ Phố Huế ~ Hà Nội \\ Việt Nam", "dòng 1\ndòng 2",
     "Đặng Thị Ánh Tuyết", "ĂÂĐÊÔƠƯ ăâđêôơư ạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ"],
)
@pytest.mark.parametrize("codec", ["utf-8", "ascii"])
def test_escape_round_trips(text: str, codec: str) -> None:
    er7 = escape(text, codec=codec)
    for ch in "|^~&\r\n":
        assert ch not in er7
    if codec == "ascii":
        assert er7.isascii()
    assert unescape(er7, codec="utf-8") == text


def test_escape_with_other_delimiters() -> None:
    delims = Delimiters.from_msh("#", "$%!*")
    er7 = escape("a#b$c%d!e*f", delims)
    assert er7 == "a!F!b!S!c!R!d!E!e!T!f"
    assert unescape(er7, delims) == "a#b$c%d!e*f"


def test_unescape_errors_point_at_the_value() -> None:
    with pytest.raises(MessageError) as info:
        unescape(r"Nguy\XE1BB\n", loc=Loc("PID", 1, 5, 1, 1))
    assert info.value.code == "102"
    assert str(info.value.loc) == "PID-5.1"
    with pytest.raises(MessageError, match="character-set switch"):
        unescape(r"\C2842\abc")


def test_message_access() -> None:
    msg = parse_message(message("adt_a01.hl7"))
    assert msg.message_type == "ADT^A01"
    assert msg.control_id == "ADT0001"
    assert msg.version == "2.5.1"
    pid = msg.first("PID")
    assert pid is not None
    assert [r.c(4) for r in pid.reps(3)] == ["BV", "CCCD", "BHYT"]
    assert pid.get(5, 1) == "Nguyễn"
    assert pid.get(11, 1) == "Số 5 Ngõ 12&14 Phố Huế"  # \T\ unescaped
    assert pid.get(99) == ""
    assert pid.rep(12) is None
    assert msg.first("ZZZ") is None


def test_custom_delimiters_are_read() -> None:
    raw = (b"MSH#$%!*#HIS#BV#CAREHUB#BV#20240101##ADT$A28#C1#P#2.5.1\r"
           b"PID#1##BN1$$$BV$MR%CCCD1$$$CCCD$NI##L!T!e$An")
    msg = parse_message(raw)
    pid = msg.first("PID")
    assert pid is not None
    assert [r.c(1) for r in pid.reps(3)] == ["BN1", "CCCD1"]
    assert pid.get(5, 1) == "L*e"
    assert pid.get(5, 2) == "An"


def test_digest_ignores_msh7() -> None:
    raw = message("adt_a08.hl7")
    again = raw.replace(b"20240108090000+0700", b"20250101000000+0700", 1)
    assert parse_message(raw).digest() == parse_message(again).digest()
    other = raw.replace(b"0987654321", b"0987654322")
    assert parse_message(raw).digest() != parse_message(other).digest()


@pytest.mark.parametrize(
    ("charset", "encoding"),
    [("UNICODE UTF-8", "utf-8"), ("", "utf-8"), ("8859/1", "latin-1"), ("CP1258", "cp1258")],
)
def test_character_sets(charset: str, encoding: str) -> None:
    name = {"latin-1": "Müller", "cp1258": "Lê Thi\u0323"}.get(encoding, "Lê Thị")
    text = (f"MSH|^~\\&|HIS|BV|||20240101||ADT^A28|C1|P|2.5.1|||||VNM|{charset}\r"
            f"PID|1||BN1^^^BV^MR||{name}")
    msg = parse_message(text.encode(encoding))
    pid = msg.first("PID")
    assert pid is not None
    # Windows-1258 writes the tone mark as a combining character: read back composed
    assert pid.get(5) == ("Müller" if encoding == "latin-1" else "Lê Thị")


def test_undecodable_bytes_are_rejected() -> None:
    with pytest.raises(MessageError) as info:
        decode(message("malformed/ascii_with_utf8.hl7"))
    assert (info.value.ack, info.value.code, str(info.value.loc)) == ("AR", "102", "MSH-18")
    with pytest.raises(MessageError) as unknown:
        decode(b"MSH|^~\\&|A||||x||ADT^A28|1|P|2.5|||||VNM|KLINGON\rPID|1")
    assert unknown.value.code == "102"


def test_not_hl7_is_rejected() -> None:
    with pytest.raises(MessageError) as info:
        parse_message(b"hello world, this is no HL7")
    assert (info.value.ack, info.value.code) == ("AR", "100")
    with pytest.raises(MessageError) as bad_segment:
        parse_message(b"MSH|^~\\&|A||||x||ADT^A28|1|P|2.5\rpid|1")
    assert bad_segment.value.code == "100"


def test_mllp_decoder_handles_chunks_and_noise() -> None:
    data = b"noise" + frame(b"MSH|1") + frame(b"MSH|2\rPID|x") + frame(b"MSH|3")
    decoder = Decoder()
    out: list[bytes] = []
    for i in range(0, len(data), 3):
        out += decoder.feed(data[i : i + 3])
    assert out == [b"MSH|1", b"MSH|2\rPID|x", b"MSH|3"]
    assert decoder.pending == 0
    small = Decoder(max_message=10)
    with pytest.raises(FrameTooLarge):
        small.feed(b"\x0b" + b"x" * 50)


def test_split_messages_in_files() -> None:
    batch = messages("batch.hl7")
    assert len(batch) == 3
    assert all(m.startswith(b"MSH|") and b"\n" not in m for m in batch)
    framed = b"".join(frame(m) for m in batch)
    assert split_messages(framed) == batch


def test_header_guess_of_unparseable_messages() -> None:
    header = Header.guess(b"MSH|^~\\&|LIS|BV|CH|BV|x||ORU^R01|77|P|2.3\r\x00garbage")
    assert (header.control_id, header.message_type, header.version_id) == ("77", "ORU^R01", "2.3")
    assert Header.guess(b"nothing").control_id == ""


def test_prepared_messages_cross_processes() -> None:
    prepared = prepare(message("oru_r01.hl7"), "test", load_tables())
    assert prepared.plan is not None and prepared.error is None
    copy = pickle.loads(pickle.dumps(prepared))
    assert copy.plan == prepared.plan
    assert copy.header == prepared.header
    assert plan_from_wire(plan_to_wire(prepared.plan)) == prepared.plan
    failed = prepare(message("malformed/missing_pid3.hl7"))
    assert failed.error is not None
    again = pickle.loads(pickle.dumps(failed))
    assert again.error is not None
    assert (again.error.code, again.error.loc) == (failed.error.code, failed.error.loc)


# -- the splitter gives python-hl7's tree ------------------------------------------------
def _reference_tree(text: str) -> list[list[tuple[str, object]]]:
    """Per segment, per field: (as written, reps → comps → subs), read from python-hl7."""
    out = []
    for seg in hl7.parse(text):
        fields: list[tuple[str, object]] = []
        for value in seg:
            if isinstance(value, str):
                tree: object = [[[value]]]
            else:
                tree = [
                    [[rep]] if isinstance(rep, str)
                    else [[c] if isinstance(c, str) else [str(x) for x in c] for c in rep]
                    for rep in value
                ]
            fields.append((str(value), tree))
        out.append(fields)
    return out


def _our_tree(msg: Message) -> list[list[tuple[str, object]]]:
    out: list[list[tuple[str, object]]] = []
    for seg in msg.segments:
        n = len(seg._raw)
        out.append([(seg.raw(i), seg.field(i)) for i in range(n)])
    return out


def _same_tree(text: str) -> None:
    names = [str(s[0]) for s in hl7.parse(text)]
    try:
        msg = Message(text)
    except MessageError as exc:  # a segment id python-hl7 reads is not a valid one
        assert exc.code == "100"
        assert not all(len(n) == 3 and n.isalnum() and n.isupper() for n in names)
        return
    assert [s.name for s in msg.segments] == names
    assert _our_tree(msg) == _reference_tree(text)


@pytest.mark.parametrize(
    "path",
    sorted(p for p in FIXTURES.rglob("*.hl7") if "malformed" not in p.parts),
    ids=lambda p: p.name,
)
def test_split_matches_python_hl7_on_fixtures(path: Path) -> None:
    for raw in messages(str(path.relative_to(FIXTURES))):
        msg = parse_message(raw)
        _same_tree(msg.text)


_PIECES = st.lists(
    st.sampled_from(["|", "^", "~", "&", "\\", "a", "Lê", '""', "MSH", "BHS", " ", "x1"]),
    max_size=12,
).map("".join)


_SEGMENTS = st.tuples(st.sampled_from(["PID", "ZB1", "MSH", "BHS", "FHS", "OBX"]), _PIECES).map(
    "".join
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_SEGMENTS, min_size=1, max_size=5), _PIECES, st.booleans())
def test_split_matches_python_hl7_on_odd_messages(
    segments: list[str], tail: str, custom: bool
) -> None:
    head = "MSH|^~\\&|HIS|BV|||20240101||ADT^A08|1|P|2.5.1" + tail
    text = "\r".join([head, *segments])
    if custom:  # other delimiters, declared in MSH-1/MSH-2
        table = str.maketrans({"|": "#", "^": "$", "~": "%", "\\": "!", "&": "*"})
        text = text.translate(table)
    _same_tree(text)
