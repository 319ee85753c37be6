"""Real data: the Synthea bulk-10-patients sample (7,160 resources, 13 types) via REST.

The sample is loaded once per back-end by PUT and once by transaction Bundles.
Every expectation (counts, stored content, compartments, search results) is
computed from the NDJSON files with plain Python, independently of CareHub's
index, compartment and search code.
"""

from __future__ import annotations

import copy
import json
import math
import unicodedata
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from carehub.app.wiring import build_app
from carehub.settings import load_settings
from tests.fhir_api.conftest import BACKENDS, FHIR, make_store

pytestmark = pytest.mark.slow  # loads 7,160 resources four times (about two minutes)

Resource = dict[str, Any]
Key = tuple[str, str]
HOST = "http://testserver"
SAMPLE_DIR = Path("fhir-samples") / "bulk-10-patients"
#: targets of the sample's conditional references (``Location?identifier=...``); a
#: transaction resolves those, so these types are stored first
TARGET_TYPES = ("Organization", "Location", "Practitioner", "PractitionerRole")
#: the R4 patient compartment (compartmentdefinition-patient) for the sample's types,
#: as element paths; Device, Location, Organization... are not members
COMPARTMENT: dict[str, tuple[str, ...]] = {
    "AllergyIntolerance": ("patient", "recorder", "asserter"),
    "Condition": ("subject", "asserter"),
    "DocumentReference": ("subject", "author"),
    "Encounter": ("subject",),
    "Immunization": ("patient",),
    "MedicationRequest": ("subject",),
    "Procedure": ("subject", "performer.actor"),
}


# -- reading the files -----------------------------------------------------------------
@pytest.fixture(scope="module")
def samples(shared_dir: Path) -> list[Resource]:
    """Every resource of the sample, in file order (log.ndjson is not FHIR)."""
    folder = shared_dir / SAMPLE_DIR
    out: list[Resource] = []
    for path in sorted(folder.glob("*.ndjson")):
        if path.name != "log.ndjson":
            out += [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    declared = json.loads((folder / "COUNTS.json").read_text())["resource_counts"]
    declared = {t: n for t, n in declared.items() if not t.startswith("<")}
    assert Counter(r["resourceType"] for r in out) == declared
    return out


def key(res: Resource) -> Key:
    return res["resourceType"], res["id"]


def references(node: Any) -> Iterator[dict[str, Any]]:
    """Every Reference object (a dict with a string ``reference``) under ``node``."""
    if isinstance(node, dict):
        if isinstance(node.get("reference"), str):
            yield node
        for value in node.values():
            yield from references(value)
    elif isinstance(node, list):
        for item in node:
            yield from references(item)


def refs_at(res: Resource, path: str) -> list[str]:
    """The reference strings at a dotted element path (arrays flattened)."""
    nodes: list[Any] = [res]
    for name in path.split("."):
        values = [n.get(name) for n in nodes if isinstance(n, dict)]
        nodes = [x for v in values for x in (v if isinstance(v, list) else [v]) if x is not None]
    return [n["reference"] for n in nodes if isinstance(n, dict) and "reference" in n]


def identifier_index(samples: list[Resource]) -> dict[str, str]:
    """``Type?identifier=system|value`` → ``Type/id`` for every identifier in the files."""
    return {
        f"{r['resourceType']}?identifier={i['system']}|{i['value']}": "/".join(key(r))
        for r in samples
        for i in r.get("identifier", [])
    }


def rewrite(
    res: Resource, idx: dict[str, str] | None, mapping: dict[str, str] | None = None
) -> Resource:
    """A copy of ``res`` with conditional references resolved through ``idx`` (kept when
    it is None) and the other references renamed through ``mapping``."""
    out = copy.deepcopy(res)
    for ref in references(out):
        text = ref["reference"]
        if "?" not in text:
            ref["reference"] = (mapping or {}).get(text, text)
        elif idx is not None:
            ref["reference"] = idx[text]
    return out


def instant(text: str) -> datetime:
    """A FHIR date/dateTime as an aware UTC datetime (no offset: UTC)."""
    value = datetime.fromisoformat(text)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def fold(text: str) -> str:
    """Case- and accent-insensitive form of ``text``."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def of_type(samples: list[Resource], rtype: str) -> list[Resource]:
    return [r for r in samples if r["resourceType"] == rtype]


# -- loading through the API -----------------------------------------------------------
@contextmanager
def serve(request: pytest.FixtureRequest, tmp: Path) -> Iterator[TestClient]:
    store = make_store(request.param, tmp, request)
    settings = load_settings({"CAREHUB_DATA_DIR": str(tmp), "CAREHUB_AUTH": "off"})
    try:
        with TestClient(build_app(settings, store)) as client:
            yield client
    finally:
        store.close()


def transaction(entries: list[Resource]) -> bytes:
    return json.dumps({"resourceType": "Bundle", "type": "transaction", "entry": entries}).encode()


def load_by_transactions(client: TestClient, resources: list[Resource]) -> None:
    """PUT ``resources`` in transaction Bundles of 100 entries; conditional-reference
    targets go first, in Bundles of their own."""
    first = [r for r in resources if r["resourceType"] in TARGET_TYPES]
    rest = [r for r in resources if r["resourceType"] not in TARGET_TYPES]
    for part in (first, rest):
        for i in range(0, len(part), 100):
            batch = part[i : i + 100]
            urls = ["/".join(key(x)) for x in batch]
            body = transaction([{"fullUrl": f"{HOST}/fhir/{url}", "resource": x,
                                 "request": {"method": "PUT", "url": url}}
                                for x, url in zip(batch, urls, strict=True)])
            r = client.post("/fhir", content=body, headers=FHIR)
            assert r.status_code == 200, r.text[:2000]
            statuses = [e["response"]["status"] for e in r.json()["entry"]]
            assert statuses == ["201 Created"] * len(batch)


@pytest.fixture(scope="module", params=BACKENDS)
def by_put(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    samples: list[Resource],
) -> Iterator[TestClient]:
    """A server with every sample resource PUT one request at a time (client ids)."""
    with serve(request, tmp_path_factory.mktemp("put")) as client:
        for res in samples:
            r = client.put(f"/fhir/{res['resourceType']}/{res['id']}", json=res, headers=FHIR)
            assert r.status_code == 201, r.text[:2000]
        yield client


@pytest.fixture(scope="module", params=BACKENDS)
def by_transaction(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    samples: list[Resource],
) -> Iterator[TestClient]:
    """A server loaded with the sample through 100-entry transaction Bundles."""
    with serve(request, tmp_path_factory.mktemp("tx")) as client:
        load_by_transactions(client, samples)
        yield client


# -- reading back ----------------------------------------------------------------------
def pages(client: TestClient, url: str) -> list[Resource]:
    """Every page of a searchset, following ``next`` links."""
    out: list[Resource] = []
    next_url: str | None = url
    while next_url:
        r = client.get(next_url)
        assert r.status_code == 200, r.text[:2000]
        out.append(r.json())
        links = {ln["relation"]: ln["url"] for ln in out[-1]["link"]}
        next_url = links["next"].removeprefix(HOST) if "next" in links else None
        assert len(out) < 1000, "paging does not end"
    return out


def found(bundles: list[Resource], mode: str = "match") -> list[Resource]:
    """The resources of ``bundles`` with search mode ``mode``."""
    return [e["resource"] for b in bundles for e in b.get("entry", [])
            if e["search"]["mode"] == mode]


def keys_once(resources: list[Resource]) -> set[Key]:
    """The keys of ``resources``, asserting none is repeated."""
    keys = [key(r) for r in resources]
    assert len(keys) == len(set(keys)), Counter(keys).most_common(3)
    return set(keys)


def count(client: TestClient, rtype: str) -> int:
    total: int = client.get(f"/fhir/{rtype}?_summary=count").json()["total"]
    return total


def stored_content(client: TestClient, rtypes: set[str]) -> dict[Key, Resource]:
    """Every stored resource of ``rtypes`` without versionId/lastUpdated."""
    out: dict[Key, Resource] = {}
    for rtype in rtypes:
        for res in found(pages(client, f"/fhir/{rtype}?_count=1000")):
            assert res["meta"].pop("versionId") == "1"
            assert res["meta"].pop("lastUpdated").endswith("Z")
            if not res["meta"]:
                del res["meta"]
            out[key(res)] = res
    return out


# -- a. PUT load; b. transaction loads ---------------------------------------------------
def check_loaded(client: TestClient, samples: list[Resource], want: list[Resource]) -> None:
    """Counts per type (``_summary=count``) and every stored body are those of ``want``."""
    expected = Counter(r["resourceType"] for r in samples)
    types = [*expected, "Observation"]
    assert {t: count(client, t) for t in types} == {**expected, "Observation": 0}
    assert stored_content(client, set(expected)) == {key(r): r for r in want}


def test_put_load_counts_and_content(by_put: TestClient, samples: list[Resource]) -> None:
    check_loaded(by_put, samples, samples)


def test_transaction_load_counts_and_resolves_conditional_refs(
    by_transaction: TestClient, samples: list[Resource]
) -> None:
    idx = identifier_index(samples)
    check_loaded(by_transaction, samples, [rewrite(r, idx) for r in samples])


def test_transaction_post_rewrites_urn_references(
    client: TestClient, samples: list[Resource]
) -> None:
    """One patient's records POSTed with urn:uuid fullUrls, as a single transaction."""
    load_by_transactions(client, [r for r in samples if r["resourceType"] in TARGET_TYPES])
    patient = min(of_type(samples, "Patient"), key=lambda p: len(owned_by(samples, p["id"])))
    pref = f"Patient/{patient['id']}"
    group = [patient, *owned_by(samples, patient["id"])]
    urns = {"/".join(key(r)): f"urn:uuid:{uuid.uuid4()}" for r in group}
    entries = []
    for res in group:
        body = rewrite(res, None, urns)
        del body["id"]
        entries.append({"fullUrl": urns["/".join(key(res))], "resource": body,
                        "request": {"method": "POST", "url": res["resourceType"]}})
    r = client.post("/fhir", content=transaction(entries), headers=FHIR)
    assert r.status_code == 200, r.text[:2000]
    replies = [e["response"] for e in r.json()["entry"]]
    assert [x["status"] for x in replies] == ["201 Created"] * len(group)
    new_ref = {}
    for res, reply in zip(group, replies, strict=True):
        rtype, new_id, _, version = reply["location"].split("/")
        assert (rtype, version) == (res["resourceType"], "1") and new_id != res["id"]
        new_ref[f"{rtype}/{res['id']}"] = f"{rtype}/{new_id}"
    assert len(set(new_ref.values())) == len(group)
    idx = identifier_index(samples)
    for res in group:
        got = client.get("/fhir/" + new_ref["/".join(key(res))]).json()
        del got["meta"]["versionId"], got["meta"]["lastUpdated"]
        got = {k: v for k, v in got.items() if v != {}}
        want = rewrite(res, idx, new_ref)
        want["id"] = got["id"]
        assert got == want
    n_encounters = len(of_type(group, "Encounter"))
    r = client.get(f"/fhir/Encounter?patient={new_ref[pref]}&_summary=count")
    assert r.json()["total"] == n_encounters > 0
    assert count(client, "Patient") == 1


# -- c. Patient/$everything ------------------------------------------------------------
def owned_by(samples: list[Resource], pid: str) -> list[Resource]:
    """Resources referring to ``Patient/pid`` anywhere (Devices included)."""
    return [r for r in samples if any(x["reference"] == f"Patient/{pid}" for x in references(r))]


def owners(res: Resource) -> set[str]:
    """Ids of every patient ``res`` refers to anywhere (or its own id for a Patient)."""
    if res["resourceType"] == "Patient":
        return {res["id"]}
    return {x["reference"][8:] for x in references(res) if x["reference"].startswith("Patient/")}


def check_everything(
    client: TestClient, samples: list[Resource], with_referenced: bool
) -> None:
    """``$everything`` of each patient against the R4 compartment computed from the files;
    ``with_referenced``: the targets of the members' references must come too."""
    idx = identifier_index(samples)
    for pid in (p["id"] for p in of_type(samples, "Patient")):
        members = [
            r for r in samples
            if f"Patient/{pid}" in
            [ref for path in COMPARTMENT.get(r["resourceType"], ()) for ref in refs_at(r, path)]
        ]
        bundles = pages(client, f"/fhir/Patient/{pid}/$everything?_count=37")
        assert all(len(b.get("entry", [])) <= 37 for b in bundles)
        got = keys_once(found(bundles))
        strangers = [key(r) for r in found(bundles) if owners(r) - {pid}]
        assert not strangers, f"$everything of {pid} returned other patients' {strangers[:5]}"
        want = {("Patient", pid)} | {key(r) for r in members}
        assert len(want) > 1 and want <= got
        if with_referenced:
            want |= {
                tuple(ref["reference"].split("/"))
                for r in members for ref in references(rewrite(r, idx))
            }
        assert got == want


def test_everything_after_put(by_put: TestClient, samples: list[Resource]) -> None:
    # conditional references stay unresolved on PUT, so only the compartment comes back
    check_everything(by_put, samples, with_referenced=False)


def test_everything_after_transaction(by_transaction: TestClient, samples: list[Resource]) -> None:
    # after resolution the practitioners, locations and organizations referred to come too
    check_everything(by_transaction, samples, with_referenced=True)


# -- d. searches -----------------------------------------------------------------------
#: Encounter windows [low, high), some as partial dates (``ge2010``: the period ends after
#: 2010 or lies within it); no period starts, ends or straddles within two days of the
#: first instant of a bound, so every window equals "period.start in [low, high)"
DATE_WINDOWS = (("2000-01-01", "2005-01"), ("2010", "2018-01-01"), ("2020-03-01", "2022"))
ACCENTED = str.maketrans("AEIOUC", "ÁÉÍÓÚÇ")


def codings(concept: Resource | None) -> set[tuple[str, str]]:
    return {(c["system"], c["code"]) for c in (concept or {}).get("coding", [])}


def in_window(encounter: Resource, low: str, high: str) -> bool:
    start, end = instant(encounter["period"]["start"]), instant(encounter["period"]["end"])
    first, last = (instant(f"{bound}-01-01"[:10]) for bound in (low, high))
    for bound in (first, last):
        gap = min(abs((start - bound).days), abs((end - bound).days))
        assert gap >= 2 and not start < bound <= end, f"window bound {bound} is ambiguous"
    return first <= start < last


def search_cases(samples: list[Resource]) -> list[tuple[str, str, set[Key]]]:
    """(kind, URL, expected matches), the expectations computed from the files."""
    cases: list[tuple[str, str, set[Key]]] = []

    def add(kind: str, rtype: str, params: list[tuple[str, str]], want: list[Resource]) -> None:
        cases.append((kind, f"/fhir/{rtype}?{urlencode(params)}", {key(r) for r in want}))

    procs, meds = of_type(samples, "Procedure"), of_type(samples, "MedicationRequest")
    for p in of_type(samples, "Patient"):
        pref, pats = f"Patient/{p['id']}", of_type(samples, "Patient")
        ssn = next(i for i in p["identifier"] if i["system"] == "http://hl7.org/fhir/sid/us-ssn")
        has = [r for r in pats if any(
            (i["system"], i["value"]) == (ssn["system"], ssn["value"]) for i in r["identifier"])]
        add("identifier", "Patient", [("identifier", f"{ssn['system']}|{ssn['value']}")], has)
        add("identifier", "Patient", [("identifier", p["id"])],
            [r for r in pats if p["id"] in {i["value"] for i in r["identifier"]}])
        query = p["name"][-1]["family"].rstrip("0123456789").upper().translate(ACCENTED)
        assert not query.isascii()
        add("family", "Patient", [("family", query)], [r for r in pats if any(
            fold(n["family"]).startswith(fold(query)) for n in r["name"])])
        for status in ("active", "stopped"):
            add("status+patient", "MedicationRequest", [("status", status), ("patient", pref)],
                [r for r in meds if r["status"] == status and refs_at(r, "subject") == [pref]])
        mine = [r for r in procs if refs_at(r, "subject") == [pref]]
        for system, code in {c for r in mine for c in codings(r["code"])}:
            add("code+patient", "Procedure", [("code", f"{system}|{code}"), ("patient", pref)],
                [r for r in mine if (system, code) in codings(r["code"])])
    conditions = of_type(samples, "Condition")
    common = Counter(c for r in conditions for c in codings(r["code"])).most_common()
    for system, code in [c for c, _ in common[:3] + common[-3:]]:
        add("code", "Condition", [("code", f"{system}|{code}")],
            [r for r in conditions if (system, code) in codings(r["code"])])
        add("code", "Condition", [("code", code)],
            [r for r in conditions if code in {c for _, c in codings(r["code"])}])
    shots = of_type(samples, "Immunization")
    for system, code in {c for r in shots for c in codings(r["vaccineCode"])}:
        add("vaccine-code", "Immunization", [("vaccine-code", f"{system}|{code}")],
            [r for r in shots if (system, code) in codings(r["vaccineCode"])])
    for low, high in DATE_WINDOWS:
        add("date", "Encounter", [("date", f"ge{low}"), ("date", f"lt{high}")],
            [r for r in of_type(samples, "Encounter") if in_window(r, low, high)])
    add("family", "Patient", [("family", "Zzyzx")], [])
    return cases


def test_searches_match_the_files(by_put: TestClient, samples: list[Resource]) -> None:
    cases = search_cases(samples)
    kinds = {kind for kind, _, want in cases if want}
    assert kinds == {kind for kind, _, _ in cases} and len(kinds) == 7 and len(cases) > 100
    for _, url, want in cases:
        assert keys_once(found(pages(by_put, f"{url}&_count=100"))) == want, url


def test_include_subject_page_by_page(by_put: TestClient, samples: list[Resource]) -> None:
    low, high = DATE_WINDOWS[1]
    params = [("date", f"ge{low}"), ("date", f"lt{high}"), ("_include", "Encounter:subject")]
    bundles = pages(by_put, f"/fhir/Encounter?{urlencode(params)}&_count=25")
    assert len(bundles) > 1
    for b in bundles:
        subjects = {("Patient", ref[8:]) for m in found([b]) for ref in refs_at(m, "subject")}
        assert keys_once(found([b], "include")) == subjects
    want = {key(r) for r in of_type(samples, "Encounter") if in_window(r, low, high)}
    assert keys_once(found(bundles)) == want


def test_revinclude_brings_patient_records(by_put: TestClient, samples: list[Resource]) -> None:
    for p in of_type(samples, "Patient"):
        pref = f"Patient/{p['id']}"
        params = [("_id", p["id"]), ("_revinclude", "Immunization:patient"),
                  ("_revinclude", "Condition:subject")]
        bundles = pages(by_put, f"/fhir/Patient?{urlencode(params)}")
        assert keys_once(found(bundles)) == {key(p)}
        want = {key(r) for r in of_type(samples, "Immunization") if refs_at(r, "patient") == [pref]}
        want |= {key(r) for r in of_type(samples, "Condition") if refs_at(r, "subject") == [pref]}
        assert keys_once(found(bundles, "include")) == want


def test_sort_by_date_across_pages(by_put: TestClient, samples: list[Resource]) -> None:
    for rtype, element in (("Immunization", "occurrenceDateTime"), ("DocumentReference", "date")):
        got = found(pages(by_put, f"/fhir/{rtype}?_sort=-date&_count=50"))
        assert keys_once(got) == {key(r) for r in of_type(samples, rtype)}
        times = [instant(r[element]) for r in got]
        assert times == sorted(times, reverse=True) and times[0] > times[-1]
    got = found(pages(by_put, "/fhir/Procedure?status=completed&_sort=date&_count=50"))
    procs = [r for r in of_type(samples, "Procedure") if r["status"] == "completed"]
    assert keys_once(got) == {key(r) for r in procs}
    starts = [instant(r["performedPeriod"]["start"]) for r in got]
    assert starts == sorted(starts)


def test_paging_visits_every_match_once(by_put: TestClient, samples: list[Resource]) -> None:
    want = {key(r) for r in of_type(samples, "Procedure")}
    bundles = pages(by_put, "/fhir/Procedure?_count=50")
    assert len(bundles) == math.ceil(len(want) / 50) > 40
    assert all(len(found([b])) == 50 for b in bundles[:-1])
    assert keys_once(found(bundles)) == want
