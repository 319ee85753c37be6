"""``$export``: bulk export at system, Patient and Group level, written as NDJSON files.

https://hl7.org/fhir/uv/bulkdata/STU2/export.html

:func:`parse_export_request` checks the kick-off parameters (``_outputFormat``,
``_type``, ``_since``); :func:`plan_export` reads the Group of a Group-level
export; :func:`run_export` runs in a background job and writes one
``<Type>.ndjson`` file per type, reading the store in chunks of :data:`CHUNK`
resources with :meth:`~carehub.storage.base.StoreSession.scan`, so no more than
one chunk of bodies is held whatever the size of a type. At Patient and Group
level the patients' ids are held, and the compartment of more than
:data:`PATIENTS_PER_QUERY` patients is read slice by slice; the storage
positions (integers) of the type being written are then kept to skip a
resource met again in a later slice. All files of one export are read in one store
session opened just after ``transactionTime``: on SQLite that is one snapshot; on
PostgreSQL (READ COMMITTED) a resource changed during the export may come in its
newer version. Paging is by storage position, so no resource is written twice.

Levels:

* system — every type (or the ``_type`` list);
* Patient — every Patient and every resource in the compartment of any patient;
* Group — the Group's active ``member.entity`` patients and their compartments.

Parameters the server does not implement (``_elements``, ``patient``,
``_typeFilter``, ``includeAssociatedData``) are refused with 400 unless the
client sent ``Prefer: handling=lenient``; then they are ignored and a warning
goes to the error file, as are ``_type`` entries outside the patient compartment
at Patient and Group level.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, BinaryIO

import orjson

from carehub.bulk.jobs import JobContext, JobResult, now_instant
from carehub.bulk.ndjson import check_format, load_rank
from carehub.bulk.outcomes import OutcomeFile
from carehub.errors import Incorrect, Issue, did_you_mean
from carehub.fhir_api.hub import Hub, load_body
from carehub.fhir_api.interactions.read import read
from carehub.fhir_model.compartments import patient_compartment
from carehub.fhir_model.values import date_range
from carehub.storage.base import StoreSession

LEVELS = ("system", "patient", "group")
SUPPORTED = ("_outputFormat", "_type", "_since")
NOT_IMPLEMENTED = ("_elements", "patient", "_typeFilter", "includeAssociatedData")
#: resources read per scan call
CHUNK = 5000
#: patient ids per compartment query at Patient and Group level
PATIENTS_PER_QUERY = 1000
ERROR_FILE = "errors.ndjson"


@dataclass(frozen=True, slots=True)
class ExportRequest:
    """A checked kick-off request.

    ``types`` is empty when the client did not restrict them; ``since`` is a
    fixed-width UTC instant; ``notes`` are warnings for the error file.
    """

    level: str
    group_id: str | None = None
    types: tuple[str, ...] = ()
    since: str | None = None
    notes: tuple[Issue, ...] = ()


@dataclass(frozen=True, slots=True)
class ExportPlan:
    """What a job exports: the request, and the Group's patients at Group level."""

    request: ExportRequest
    members: tuple[str, ...] | None = None


def parse_export_request(
    hub: Hub,
    level: str,
    items: Sequence[tuple[str, str]],
    *,
    group_id: str | None = None,
    lenient: bool = False,
) -> ExportRequest:
    """Check the kick-off query parameters.

    Args:
        hub: gives the known resource types.
        level: ``system``, ``patient`` or ``group``.
        items: the query parameters in order (repeats allowed).
        group_id: the Group's id at Group level.
        lenient: ignore parameters CareHub does not implement (``Prefer: handling=lenient``).

    Raises:
        Incorrect: a format other than NDJSON, an unknown type, a bad ``_since``,
            an unknown parameter, or (unless lenient) one CareHub does not implement.
    """
    if level not in LEVELS:
        raise Incorrect(f"unknown export level '{level}'")
    types: list[str] = []
    since: str | None = None
    notes: list[Issue] = []
    for key, value in items:
        if key == "_outputFormat":
            check_format(value)
        elif key == "_type":
            for name in (t.strip() for t in value.split(",")):
                if not name:
                    continue
                if not hub.defs.is_resource_type(name):
                    raise Incorrect(
                        f"_type '{name}' is not an R4 resource type."
                        + did_you_mean(name, hub.defs.resource_types()),
                        expression="_type",
                    )
                if name not in types:
                    types.append(name)
        elif key == "_since":
            since = date_range(value)[0]
        elif key in NOT_IMPLEMENTED and lenient:
            notes.append(Issue("warning", "not-supported", f"parameter '{key}' was ignored"))
        elif key in NOT_IMPLEMENTED:
            raise Incorrect(
                f"$export parameter '{key}' is not supported (send Prefer: handling=lenient "
                "to have it ignored)",
                issue_code="not-supported",
            )
        elif key not in ("_format", "_pretty"):
            raise Incorrect(
                f"$export does not understand parameter '{key}'."
                + did_you_mean(key, (*SUPPORTED, *NOT_IMPLEMENTED))
            )
    if level != "system":
        compartment = compartment_types()
        for name in types:
            if name != "Patient" and name not in compartment:
                notes.append(
                    Issue(
                        "warning",
                        "not-supported",
                        f"{name} is not in the patient compartment; it is not exported "
                        f"at {level.capitalize()} level",
                        ("_type",),
                    )
                )
    return ExportRequest(level, group_id, tuple(types), since, tuple(notes))


def compartment_types() -> frozenset[str]:
    """The types that can be in a patient's compartment (Patient itself aside)."""
    return frozenset(t for t, params in patient_compartment().items() if params)


def plan_export(hub: Hub, session: StoreSession, request: ExportRequest) -> ExportPlan:
    """Read what the kick-off needs from the store: the Group's patients at Group level.

    Members that are inactive are left out; members that are not patients are
    reported as warnings.

    Raises:
        NotFound/Gone: the Group does not exist or was deleted.
    """
    if request.level != "group" or request.group_id is None:
        return ExportPlan(request)
    group = load_body(read(hub, session, "Group", request.group_id))
    members: list[str] = []
    notes = list(request.notes)
    for index, member in enumerate(group.get("member") or []):
        if not isinstance(member, dict) or member.get("inactive") is True:
            continue
        ref = (member.get("entity") or {}).get("reference")
        rtype, _, rid = str(ref or "").rstrip("/").rpartition("/")
        rtype = rtype.rpartition("/")[2]
        if rtype == "Patient" and rid and rid not in members:
            members.append(rid)
        else:
            notes.append(
                Issue(
                    "warning",
                    "not-supported",
                    f"Group/{request.group_id} member '{ref}' is not a Patient; "
                    "only patients are exported",
                    (f"Group.member[{index}].entity",),
                )
            )
    return ExportPlan(replace(request, notes=tuple(notes)), tuple(members))


def export_types(session: StoreSession, request: ExportRequest) -> list[str]:
    """The types to export, in load order (referenced types first)."""
    if request.level == "system":
        wanted = list(request.types) or [t for t, n in session.count_by_type().items() if n]
    else:
        allowed = compartment_types() | {"Patient"}
        wanted = [t for t in request.types if t in allowed] or sorted(allowed)
    return sorted(set(wanted), key=load_rank)


def run_export(hub: Hub, plan: ExportPlan, ctx: JobContext, chunk: int = CHUNK) -> JobResult:
    """Write the export's files into the job folder (a :data:`~carehub.bulk.jobs.Runner`).

    Raises:
        JobStopped: the job was cancelled or the server is stopping.
        CareHubError: the store failed; the job is then recorded as failed.
    """
    request = plan.request
    outputs: list[dict[str, Any]] = []
    notes = list(request.notes)
    total = 0
    with hub.store.session() as session:
        transaction_time = now_instant()
        ctx.set_transaction_time(transaction_time)
        types = export_types(session, request)
        patients: list[str] | None = None
        if request.level == "group":
            members = plan.members or ()
            patients = _existing_patients(session, members)
            notes += _missing_members(request.group_id, members, patients)
        elif request.level == "patient" and any(t != "Patient" for t in types):
            patients = _existing_patients(session, None)
        for index, rtype in enumerate(types):
            ctx.check()
            ctx.progress(f"exporting {rtype} ({index + 1} of {len(types)} types); {total} written")
            path = ctx.folder / f"{rtype}.ndjson"
            # every patient at Patient level: no need to name them
            scope = None if request.level == "patient" and rtype == "Patient" else patients
            with path.open("wb") as out:
                count = _write_type(session, rtype, request.since, scope, out, ctx, chunk)
            total += count
            if count:
                outputs.append({"type": rtype, "file": path.name, "count": count})
            else:
                path.unlink()
    errors: list[dict[str, Any]] = []
    if notes:
        with OutcomeFile(ctx.folder / ERROR_FILE) as file:
            for note in notes:
                file.add(note)
        errors.append({"type": "OperationOutcome", "file": ERROR_FILE, "count": file.outcomes})
    ctx.progress(f"completed; {total} written")
    return JobResult(transaction_time, outputs, errors)


def _missing_members(
    group_id: str | None, members: Sequence[str], found: Sequence[str]
) -> list[Issue]:
    """Warnings for Group members that are not current patients.

    >>> [i.diagnostics for i in _missing_members("g", ["a", "b"], ["a"])]
    ['Group/g member Patient/b does not exist (or was deleted); nothing exported for it']
    """
    present = set(found)
    return [
        Issue(
            "warning",
            "not-found",
            f"Group/{group_id} member Patient/{pid} does not exist (or was deleted); "
            "nothing exported for it",
        )
        for pid in members
        if pid not in present
    ]


def _existing_patients(session: StoreSession, ids: Sequence[str] | None) -> list[str]:
    """Ids of the current patients (all of them when ``ids`` is None), in storage order."""
    found: list[str] = []
    groups: list[list[str] | None] = [None]
    if ids is not None:
        groups = list(_slices(list(ids), PATIENTS_PER_QUERY))
    for group in groups:
        after = 0
        while True:
            rows = session.scan("Patient", after=after, limit=CHUNK, patients=group)
            found.extend(str(orjson.loads(body)["id"]) for _, body in rows)
            if len(rows) < CHUNK:
                break
            after = rows[-1][0]
    return found


def _write_type(
    session: StoreSession,
    rtype: str,
    since: str | None,
    patients: list[str] | None,
    out: BinaryIO,
    ctx: JobContext,
    chunk: int,
) -> int:
    """Write every current resource of ``rtype`` (in scope) as NDJSON; return how many."""
    groups: list[list[str] | None] = [None]
    if patients is not None:
        if not patients or (rtype != "Patient" and rtype not in compartment_types()):
            return 0
        groups = list(_slices(patients, PATIENTS_PER_QUERY))
    # a resource in several patients' compartments is found once per slice of them; the
    # positions (integers, never bodies) of this type's written resources are kept to
    # skip the repeats
    seen: set[int] | None = set() if rtype != "Patient" and len(groups) > 1 else None
    count = 0
    for group in groups:
        after = 0
        while True:
            ctx.check()
            rows = session.scan(rtype, since=since, after=after, limit=chunk, patients=group)
            if not rows:
                break
            after = rows[-1][0]
            full = len(rows) == chunk
            if seen is not None:
                rows = [r for r in rows if r[0] not in seen]
                seen.update(r[0] for r in rows)
            for _, body in rows:
                out.write(body if isinstance(body, bytes) else body.encode("utf-8"))
                out.write(b"\n")
            count += len(rows)
            if not full:
                break
    return count


def _slices(items: list[str], size: int) -> list[list[str]]:
    """``items`` cut into lists of at most ``size``.

    >>> _slices(["a", "b", "c"], 2)
    [['a', 'b'], ['c']]
    """
    return [items[i : i + size] for i in range(0, len(items), size)]
