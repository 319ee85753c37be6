"""Every generated resource is a structurally valid FHIR R4 resource, and references resolve."""

from __future__ import annotations

from collections import Counter
from typing import Any

from carehub.fhir_model.validation import find_issues
from carehub.synth import ALL_TYPES
from tests.synth.conftest import Population


def test_every_resource_of_200_patients_validates(small_population: Population) -> None:
    problems: Counter[str] = Counter()
    examples: dict[str, str] = {}
    checked = 0
    for resource in small_population.all_resources():
        checked += 1
        for issue in find_issues(resource):
            key = f"{resource['resourceType']} {issue.code} {issue.expression}"
            problems[key] += 1
            examples.setdefault(key, f"{resource.get('id')}: {issue.diagnostics}")
    assert checked > 10_000
    assert not problems, "\n".join(f"{n} x {k} e.g. {examples[k]}" for k, n in problems.items())


def test_each_file_holds_its_type_and_ids_are_unique(small_population: Population) -> None:
    for resource_type in ALL_TYPES:
        resources = small_population.resources(resource_type)
        assert resources, resource_type
        assert {r["resourceType"] for r in resources} == {resource_type}
        ids = [r["id"] for r in resources]
        assert len(ids) == len(set(ids)), resource_type


def _references(value: Any) -> list[str]:
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "reference" and isinstance(item, str):
                found.append(item)
            else:
                found.extend(_references(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(_references(item))
    return found


def test_every_reference_resolves_within_the_output(small_population: Population) -> None:
    known = {f"{r['resourceType']}/{r['id']}" for r in small_population.all_resources()}
    dangling = Counter(
        ref
        for resource in small_population.all_resources()
        for ref in _references(resource)
        if ref not in known
    )
    assert not dangling, dangling.most_common(10)


def test_manifest_counts_match_the_files(small_population: Population) -> None:
    import orjson

    manifest = orjson.loads((small_population.path / "manifest.json").read_bytes())
    assert manifest["extension"]["patients"] == 200
    for entry in manifest["output"]:
        lines = (small_population.path / entry["url"]).read_bytes().count(b"\n")
        assert entry["count"] == lines, entry
    assert {e["type"] for e in manifest["output"]} == set(ALL_TYPES)
    assert not list(small_population.path.glob("*.part"))
