"""batch and transaction Bundles (``POST [base]``).

https://hl7.org/fhir/R4/http.html#transaction

A transaction is atomic: every entry runs in one store session, which commits
only if all of them succeed. Entries run in the order the specification
requires (DELETE, POST, PUT/PATCH, GET/HEAD); ``urn:uuid:`` full URLs and
conditional references (``Patient?identifier=...``) are resolved before any
resource is written. Batch entries run independently, each in its own session.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from carehub.errors import CareHubError, Incorrect, Issue, PreconditionFailed
from carehub.fhir_api.errors import operation_outcome, status_of
from carehub.fhir_api.hub import Hub, new_id
from carehub.fhir_api.interactions.create import find_matches
from carehub.fhir_api.interactions.entry import EntryRequest, dispatch, parse_entry
from carehub.fhir_api.interactions.outcome import Outcome
from carehub.storage.base import StoreSession

_ORDER = {"DELETE": 0, "POST": 1, "PUT": 2, "PATCH": 2, "GET": 3, "HEAD": 3}
_REASON = {200: "OK", 201: "Created", 204: "No Content"}

EntryRenderer = Callable[[Outcome, EntryRequest], dict[str, Any]]


def process_bundle(hub: Hub, bundle: Any, base: str, render: EntryRenderer) -> dict[str, Any]:
    """Run a batch or transaction Bundle and return the response Bundle.

    ``render`` turns each entry's :class:`Outcome` into a response entry.

    Raises:
        Incorrect: not a batch/transaction Bundle, or malformed entries.
        CareHubError: for a transaction, the first failing entry's error (nothing
            is written).
    """
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise Incorrect("POST to the base URL needs a Bundle")
    btype = bundle.get("type")
    if btype not in ("batch", "transaction"):
        raise Incorrect(
            f"Bundle.type must be batch or transaction, not '{btype}'", expression="Bundle.type"
        )
    raw_entries = bundle.get("entry") or []
    if not isinstance(raw_entries, list):
        raise Incorrect("Bundle.entry must be an array", expression="Bundle.entry")
    if btype == "transaction":
        entries = [parse_entry(i, e, base) for i, e in enumerate(raw_entries)]
        outcomes = run_transaction(hub, entries, base)
        out = [render(outcomes[e.index], e) for e in entries]
    else:
        out = [_batch_entry(hub, i, e, base, render) for i, e in enumerate(raw_entries)]
    response: dict[str, Any] = {"resourceType": "Bundle", "type": f"{btype}-response"}
    if out:
        response["entry"] = out
    return response


def _batch_entry(
    hub: Hub, index: int, raw: Any, base: str, render: EntryRenderer
) -> dict[str, Any]:
    try:
        req = parse_entry(index, raw, base)
        with hub.store.session(write=req.method not in ("GET", "HEAD")) as session:
            outcome = dispatch(hub, session, req, base)
        return render(outcome, req)
    except CareHubError as exc:
        status = status_of(exc)
        return {
            "response": {
                "status": f"{status} {type(exc).__name__}",
                "outcome": operation_outcome(exc.issues),
            }
        }


def run_transaction(hub: Hub, entries: list[EntryRequest], base: str) -> dict[int, Outcome]:
    """Run all entries atomically; return each entry's outcome by index."""
    _check_unique(entries)
    ordered = sorted(entries, key=lambda e: (_ORDER[e.method], e.index))
    outcomes: dict[int, Outcome] = {}
    with hub.store.session(write=True) as session:
        pending = [e for e in ordered if e.method == "DELETE"]
        for e in pending:
            outcomes[e.index] = _run(hub, session, e, base)
        ids = _assign_ids(hub, session, [e for e in ordered if e.method in ("POST", "PUT")])
        mapping = {url: ref for url, (ref, _) in ids.items()}
        resolved: dict[str, str] = {}

        def resolve(reference: str) -> str:
            if reference not in resolved:
                resolved[reference] = _resolve(hub, session, reference)
            return resolved[reference]

        for e in ordered:
            if e.resource is not None and e.method in ("POST", "PUT"):
                try:
                    _rewrite_refs(e.resource, mapping, resolve)
                except CareHubError as exc:
                    raise _at(exc, e.index) from None
        # the rows of plain updates, locked and read in one query per type
        session.prefetch([
            (e.path[0], e.path[1]) for e in ordered
            if e.method in ("PUT", "PATCH") and len(e.path) == 2 and e.query is None
        ])
        for e in ordered:
            if e.method == "DELETE":
                continue
            assigned = ids.get(e.full_url or "", (None, None))[1] if e.method == "POST" else None
            if e.method == "POST" and e.full_url in ids and ids[e.full_url][1] is None:
                # conditional create matched an existing resource
                outcomes[e.index] = _run(hub, session, e, base)
                continue
            outcomes[e.index] = _run(hub, session, e, base, assigned)
    return outcomes


def _run(
    hub: Hub, session: StoreSession, e: EntryRequest, base: str, assigned: str | None = None
) -> Outcome:
    try:
        return dispatch(hub, session, e, base, assigned)
    except CareHubError as exc:
        raise _at(exc, e.index) from None


def _at(exc: CareHubError, index: int) -> CareHubError:
    """Point an entry's error at ``Bundle.entry[index]``."""
    exc.issues = [
        Issue(
            i.severity,
            i.code,
            f"Bundle.entry[{index}]: {i.diagnostics}",
            (f"Bundle.entry[{index}]", *i.expression),
        )
        for i in exc.issues
    ]
    exc.message = f"Bundle.entry[{index}]: {exc.message}"
    return exc


def _check_unique(entries: list[EntryRequest]) -> None:
    seen: dict[str, int] = {}
    for e in entries:
        if e.method in ("PUT", "PATCH", "DELETE") and len(e.path) == 2 and e.query is None:
            key = "/".join(e.path)
            if key in seen:
                raise Incorrect(
                    f"Bundle.entry[{e.index}] and Bundle.entry[{seen[key]}] both change {key}",
                    expression=f"Bundle.entry[{e.index}]",
                )
            seen[key] = e.index
    full = [e.full_url for e in entries if e.full_url and e.method in ("POST", "PUT")]
    if len(full) != len(set(full)):
        raise Incorrect("two entries of the transaction share a fullUrl")


def _assign_ids(
    hub: Hub, session: StoreSession, writes: list[EntryRequest]
) -> dict[str, tuple[str, str | None]]:
    """fullUrl → ("Type/id", id to create or None when a conditional create matched)."""
    ids: dict[str, tuple[str, str | None]] = {}
    for e in writes:
        if not e.path:
            continue
        rtype = e.path[0]
        try:
            if e.method == "POST":
                new: str | None = new_id()
                ref_id = new
                if e.if_none_exist:
                    hub.check_type(rtype)
                    matches = find_matches(hub, session, rtype, e.if_none_exist)
                    if len(matches) > 1:
                        raise PreconditionFailed(
                            f"If-None-Exist '{e.if_none_exist}' matches several {rtype}"
                        )
                    if matches:
                        ref_id, new = matches[0][1], None
            elif e.query is not None:
                hub.check_type(rtype)
                matches = find_matches(hub, session, rtype, e.query)
                if len(matches) > 1:
                    raise PreconditionFailed(f"'{e.url}' matches several {rtype}")
                if matches:
                    ref_id = matches[0][1]
                else:
                    ref_id = str((e.resource or {}).get("id") or new_id())
                    if e.resource is not None:
                        e.resource["id"] = ref_id
                new = ref_id
            elif len(e.path) == 2:
                ref_id = new = e.path[1]
            else:
                continue
        except CareHubError as exc:
            raise _at(exc, e.index) from None
        if e.full_url:
            ids[e.full_url] = (f"{rtype}/{ref_id}", new)
    return ids


def _resolve(hub: Hub, session: StoreSession, reference: str) -> str:
    """Resolve a conditional reference ``Type?query`` to ``Type/id`` (exactly one match)."""
    rtype, _, query = reference.partition("?")
    hub.check_type(rtype)
    matches = find_matches(hub, session, rtype, query)
    if len(matches) != 1:
        raise PreconditionFailed(
            f"conditional reference '{reference}' matches {len(matches) or 'no'} resources"
            + (" (needs exactly one)" if matches else "")
        )
    return f"{matches[0][0]}/{matches[0][1]}"


def _rewrite_refs(node: Any, mapping: dict[str, str], resolve: Callable[[str], str]) -> None:
    """Replace ``urn:`` full URLs and conditional references in every ``reference``."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "reference" and isinstance(value, str):
                if value in mapping:
                    node[key] = mapping[value]
                elif "?" in value and "/" not in value.partition("?")[0]:
                    node[key] = resolve(value)
            elif isinstance(value, (dict, list)):
                _rewrite_refs(value, mapping, resolve)
    elif isinstance(node, list):
        for item in node:
            if isinstance(item, (dict, list)):
                _rewrite_refs(item, mapping, resolve)


def status_line(status: int) -> str:
    """``201 Created`` style status text.

    >>> status_line(201)
    '201 Created'
    """
    return f"{status} {_REASON.get(status, '')}".strip()
