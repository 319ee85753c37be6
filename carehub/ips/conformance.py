"""Check an IPS document Bundle against CareHub's IPS table.

https://hl7.org/fhir/uv/ips/STU2/StructureDefinition-Bundle-uv-ips.html

Checks what the table (:mod:`carehub.ips.tables`) records: the required
elements, fixed values and required slices of the Bundle, Composition and
each entry's profile (chosen by the section entry slice that refers to it, or
by resource type), the section slices and their codes, ``ips-comp-1`` (a
required section has entries or an ``emptyReason``), ``bdl-ips-1`` and the
document rules of R4 (``bdl-9``, ``bdl-10``, ``bdl-11``), and that every
section entry resolves inside the Bundle. It is not a full FHIR validator:
terminology bindings and FHIRPath invariants other than these are not checked.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from carehub.ips.tables import IpsTables, ips_tables

JsonObject = dict[str, Any]


def children(node: Any, name: str) -> list[Any]:
    """The values of element ``name`` of ``node`` as a list; ``x[x]`` matches any type.

    A primitive with only an extension (``_birthDate``) counts as present.

    >>> children({"effectiveDateTime": "2024"}, "effective[x]")
    ['2024']
    >>> children({"_birthDate": {"extension": []}}, "birthDate")
    [{'extension': []}]
    >>> children({"_timingDateTime": {"extension": []}}, "timing[x]")
    [{'extension': []}]
    """
    if not isinstance(node, dict):
        return []
    if name.endswith("[x]"):
        stem = name[:-3]
        keys = [
            k
            for k in node
            if k.lstrip("_").startswith(stem) and k.lstrip("_")[len(stem) : len(stem) + 1].isupper()
        ]
        keys = [k for k in keys if not (k.startswith("_") and k[1:] in node)]
    else:
        keys = [name] if name in node else ([f"_{name}"] if f"_{name}" in node else [])
    out: list[Any] = []
    for key in keys:
        value = node[key]
        out.extend(value if isinstance(value, list) else [value])
    return out


def nodes(resource: JsonObject, path: str) -> list[Any]:
    """Every node at the dotted ``path`` (the first part is the resource type).

    >>> nodes({"a": [{"b": 1}, {"b": 2}]}, "T.a.b")
    [1, 2]
    """
    current: list[Any] = [resource]
    for part in path.split(".")[1:]:
        current = [child for node in current for child in children(node, part)]
    return current


def matches(value: Any, pattern: Any) -> bool:
    """Whether ``value`` matches a FHIR ``pattern[x]`` (lists: each pattern item somewhere).

    >>> matches({"coding": [{"system": "L", "code": "1", "display": "x"}]},
    ...         {"coding": [{"system": "L", "code": "1"}]})
    True
    >>> matches("final", "amended")
    False
    """
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(
            matches(value.get(k), v) for k, v in pattern.items()
        )
    if isinstance(pattern, list):
        items = value if isinstance(value, list) else [value]
        return all(any(matches(i, p) for i in items) for p in pattern)
    return bool(value == pattern)


def check_profile(resource: JsonObject, profile: JsonObject, where: str) -> list[str]:
    """Problems of ``resource`` against one profile entry of the table."""
    problems: list[str] = []
    for path, low, high in profile["required"]:
        parent, _, name = path.rpartition(".")
        for i, node in enumerate(nodes(resource, parent)):
            count = len(children(node, name))
            if count < low or (high != "*" and count > int(high)):
                problems.append(f"{where}: {path} has {count} (needs {low}..{high}) at #{i}")
    for path, value in profile["fixed"].items():
        for found in nodes(resource, path):
            if not matches(found, value):
                problems.append(f"{where}: {path} is {found!r}, the profile fixes {value!r}")
    for path, name, low, high, pattern in profile["slices"]:
        if pattern is None:
            continue
        count = sum(matches(n, pattern) for n in nodes(resource, path))
        if count < low or (high != "*" and count > int(high)):
            problems.append(f"{where}: slice {path}:{name} has {count} (needs {low}..{high})")
    return problems


def _invariants(resource: JsonObject, where: str) -> Iterator[str]:
    rtype = resource.get("resourceType")
    if rtype == "Patient":
        for name in resource.get("name", []):
            if not any(k in name for k in ("family", "given", "text")):
                yield f"{where}: ips-pat-1 a name has no family, given or text"
    if rtype == "Observation":
        keys = ("hasMember", "component", "dataAbsentReason")
        if not children(resource, "value[x]") and not any(k in resource for k in keys):
            yield f"{where}: ips-2 no value, dataAbsentReason, hasMember or component"
        comps = resource.get("component", [])
        if comps and not any(
            children(c, "value[x]") or "dataAbsentReason" in c for c in comps
        ):
            yield f"{where}: ips-3 no component has a value or dataAbsentReason"


def resolve(reference: str, by_url: dict[str, JsonObject]) -> JsonObject | None:
    """The Bundle resource a reference points to: its ``fullUrl``, or a RESTful
    ``fullUrl`` ending in the relative ``Type/id`` reference.

    >>> resolve("Patient/1", {"http://x/fhir/Patient/1": {"id": "1"}})
    {'id': '1'}
    """
    if reference in by_url:
        return by_url[reference]
    if "://" in reference or reference.startswith("urn:"):
        return None
    for url, resource in by_url.items():
        if url.endswith("/" + reference):
            return resource
    return None


def _section_of(section: JsonObject, tables: IpsTables) -> str | None:
    for s in tables.sections:
        if matches(section.get("code"), {"coding": [{"system": s.system, "code": s.code}]}):
            return s.slice
    return None


def check_document(bundle: JsonObject, tables: IpsTables | None = None) -> list[str]:
    """Every problem of an IPS document Bundle (empty: conforms to what the table records).

    >>> check_document({"resourceType": "Bundle", "type": "collection"})[0]
    'Bundle: Bundle.identifier has 0 (needs 1..1) at #0'
    """
    t = tables or ips_tables()
    problems = check_profile(bundle, t.profiles["Bundle-uv-ips"], "Bundle")
    if bundle.get("type") == "document":
        ident = bundle.get("identifier", {})
        if not (ident.get("system") and ident.get("value")):
            problems.append("Bundle: bdl-9 a document needs identifier.system and value")
    entries: list[JsonObject] = bundle.get("entry", [])
    by_url: dict[str, JsonObject] = {}
    for i, e in enumerate(entries):
        if "fullUrl" not in e or not isinstance(e.get("resource"), dict):
            problems.append(f"Bundle.entry[{i}]: needs fullUrl and resource")
            continue
        if e["fullUrl"] in by_url:
            problems.append(f"Bundle.entry[{i}]: fullUrl {e['fullUrl']} is repeated")
        by_url[e["fullUrl"]] = e["resource"]
    types = [e.get("resource", {}).get("resourceType") for e in entries]
    if not types or types[0] != "Composition":
        return [*problems, "Bundle: bdl-11 the first entry must be a Composition"]
    if "Composition" in types[1:]:
        problems.append("Bundle: bdl-ips-1 only the first entry may be a Composition")
    for _, name, low, high, _ in t.profiles["Bundle-uv-ips"]["slices"]:
        count = sum(1 for rt in types if str(rt).lower() == name)
        if count < low or (high != "*" and count > int(high)):
            problems.append(f"Bundle: entry slice {name} has {count} (needs {low}..{high})")
    composition = entries[0]["resource"]
    problems += check_profile(composition, t.profiles["Composition-uv-ips"], "Composition")
    checked: set[str] = set()
    seen: dict[str, int] = {}
    for i, section in enumerate(composition.get("section", [])):
        where = f"Composition.section[{i}]"
        slice_name = _section_of(section, t)
        if slice_name is None:
            continue
        seen[slice_name] = seen.get(slice_name, 0) + 1
        spec = t.section(slice_name)
        refs = [e.get("reference") for e in section.get("entry", [])]
        if spec.required and not refs and "emptyReason" not in section:
            problems.append(f"{where}: ips-comp-1 {slice_name} has no entry nor emptyReason")
        allowed = [u for urls in spec.entries.values() for u in urls]
        for ref in refs:
            target = resolve(str(ref), by_url)
            if target is None:
                problems.append(f"{where}: entry {ref} does not resolve in the Bundle")
                continue
            profiles = [p for u in allowed if (p := t.profile_by_url(u)) is not None]
            fitting = [p for p in profiles if p["type"] == target.get("resourceType")]
            if not fitting and profiles:
                problems.append(
                    f"{where}: entry {ref} is a {target.get('resourceType')}, not allowed in "
                    f"{slice_name}"
                )
            if fitting:
                found = [check_profile(target, p, str(ref)) for p in fitting]
                problems += [] if any(not f for f in found) else found[0]
                checked.add(str(ref))
    for s in t.sections:
        count = seen.get(s.slice, 0)
        if count < s.min or (s.max != "*" and count > int(s.max)):
            problems.append(f"Composition: section {s.slice} appears {count} times")
    for url, resource in by_url.items():
        if url not in checked and resource is not composition:
            profile = t.profile_for_type(str(resource.get("resourceType")))
            if profile is not None:
                problems += check_profile(resource, profile, url)
        problems += _invariants(resource, url)
    return problems
