"""``Patient/{id}/$summary`` over the FHIR API."""

from __future__ import annotations

from carehub.ips import check_document
from tests.fhir_api.conftest import assert_outcome
from tests.ips.conftest import IpsWorld


def test_summary_is_an_ips_document(ips_world: IpsWorld) -> None:
    pid = next(iter(ips_world.patients))
    r = ips_world.client.get(f"/fhir/Patient/{pid}/$summary")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/fhir+json")
    assert r.headers["content-language"] == "vi"
    bundle = r.json()
    assert bundle["type"] == "document"
    assert check_document(bundle) == []
    patient = bundle["entry"][1]["resource"]
    assert (patient["resourceType"], patient["id"]) == ("Patient", pid)


def test_language_from_parameter_and_header(ips_world: IpsWorld) -> None:
    pid = next(iter(ips_world.patients))
    client = ips_world.client
    en = client.get(f"/fhir/Patient/{pid}/$summary", headers={"Accept-Language": "en-GB"})
    assert en.json()["entry"][0]["resource"]["title"] == "International Patient Summary"
    vi = client.get(f"/fhir/Patient/{pid}/$summary?_language=vi",
                    headers={"Accept-Language": "en"})
    assert vi.json()["language"] == "vi"
    posted = client.post(f"/fhir/Patient/{pid}/$summary", json={
        "resourceType": "Parameters", "parameter": [{"name": "_language", "valueCode": "en"}]},
        headers={"Content-Type": "application/fhir+json"})
    assert posted.status_code == 200 and posted.json()["language"] == "en"


def test_summary_errors_are_outcomes(ips_world: IpsWorld) -> None:
    client = ips_world.client
    pid = next(iter(ips_world.patients))
    assert_outcome(client.get("/fhir/Patient/nobody/$summary"), 404, "not-found")
    assert_outcome(client.get(f"/fhir/Patient/{pid}/$summary?_language=fr"), 400)
    assert_outcome(client.get(f"/fhir/Patient/{pid}/$summary?bogus=1"), 400)
    assert_outcome(client.get(f"/fhir/Patient/{pid}/$summary?profile=http://x/P"), 501)
    assert_outcome(client.post(f"/fhir/Patient/{pid}/$summary", content=b"{no json",
                               headers={"Content-Type": "application/fhir+json"}), 400)
