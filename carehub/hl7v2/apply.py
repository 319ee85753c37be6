"""Applying a :class:`~carehub.hl7v2.plan.Plan` in one store session.

For each write, in order:

1. **find** the stored resource: by identifier (any of the write's
   identifiers; a Patient that was merged away, ``link`` of type
   ``replaced-by``, is followed to the one that replaced it; matches naming
   different resources are an error 205), or by its fixed id. The identifiers
   of every write of the session's messages are looked up up front
   (:meth:`Applier.prefetch`), each once however many messages name it, and
   the answers are kept up to date as the session writes;
2. **combine** it with the message's resource following the write's policy
   (``patient``, ``encounter``, ``shallow``, ``replace`` or ``keep``; see
   :mod:`carehub.hl7v2.combine`);
3. **resolve** the ``@key`` placeholders to ``Type/id`` (or to a logical
   reference by identifier for a ``missing="logical"`` write not stored);
4. **write** it, unless it is unchanged (``meta`` aside): re-applying a
   message that was already stored writes nothing, which is what makes
   a resend after a crash harmless. Every written resource is validated first.

Any error raises out of the session, so the message is stored entirely or
not at all.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Collection, MutableMapping, Sequence
from typing import Any

import orjson

from carehub.errors import Invalid
from carehub.fhir_api.hub import Hub, new_id
from carehub.fhir_model.validation import validate as fhir_validate
from carehub.hl7v2.combine import MERGES
from carehub.hl7v2.errors import DUPLICATE_KEY, INTERNAL, UNKNOWN_KEY, Loc, MessageError
from carehub.hl7v2.plan import PLACEHOLDER, Identifier, Plan, Write
from carehub.search.model import Clause, SearchQuery, TokenValue
from carehub.storage.base import StoreSession

MAX_MATCHES = 20
"""Most stored resources one identifier search looks at."""
PREFETCH_CHUNK = 100
"""Identifiers looked up (and locked) at a time."""


def escape_token(text: str) -> str:
    r"""Escape a value for a FHIR token search (``\``, ``,``, ``|``, ``$``).

    >>> escape_token("a|b,c")
    'a\\|b\\,c'
    """
    return (
        text.replace("\\", "\\\\").replace(",", "\\,").replace("|", "\\|").replace("$", "\\$")
    )


def without_meta(resource: dict[str, Any]) -> dict[str, Any]:
    """``resource`` without ``meta`` (what "unchanged" compares)."""
    return {k: v for k, v in resource.items() if k != "meta"}


def with_values(template: SearchQuery, values: tuple[TokenValue, ...]) -> SearchQuery:
    """``template`` (one token clause) searching ``values`` instead.

    The same as two :func:`dataclasses.replace` calls with less work: the
    fields of a template are read once, not for every identifier looked up.

    >>> from carehub.search.model import Clause
    >>> q = SearchQuery("Patient", (Clause("Patient", "identifier", "token"),))
    >>> with_values(q, (TokenValue("s", "v"),)).criteria[0].values
    (TokenValue(system='s', code='v'),)
    """
    shape = _SHAPES.get(id(template))
    if shape is None or shape[0] is not template:
        clause = template.criteria[0]
        assert isinstance(clause, Clause)
        if len(_SHAPES) > 64:
            _SHAPES.clear()
        shape = _SHAPES[id(template)] = (template, _init_fields(template), _init_fields(clause))
    _, query, clause_fields = shape
    return SearchQuery(**{**query, "criteria": (Clause(**{**clause_fields, "values": values}),)})


def _init_fields(obj: Any) -> dict[str, Any]:
    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj) if f.init}


_SHAPES: dict[int, tuple[SearchQuery, dict[str, Any], dict[str, Any]]] = {}
"""Query templates → their fields and their clause's (see :func:`with_values`)."""


class Applier:
    """Applies plans in one store session; collects what was written.

    Attributes:
        ids: write key → ``Type/id`` of the stored resource.
        bodies: write key → the resource as stored (or found).
        written: ``Type/id`` of every resource this applier wrote.
    """

    def __init__(
        self,
        hub: Hub,
        session: StoreSession,
        queries: MutableMapping[str, SearchQuery] | None = None,
    ) -> None:
        self.hub = hub
        self.session = session
        self.queries: MutableMapping[str, SearchQuery] = queries if queries is not None else {}
        #: (type, system, value) → ids of the stored resources having that identifier, for
        #: the identifiers in ``covered`` (looked up in this session, kept up to date)
        self.index: dict[tuple[str, str, str], set[str]] = {}
        self.covered: set[tuple[str, str, str]] = set()
        #: (type, id) → JSON of the stored resources read or written in this session
        #: (parsed afresh on each use: callers may change what they get)
        self.stored: dict[tuple[str, str], bytes | str] = {}
        self.ids: dict[str, str] = {}
        self.logical: dict[str, dict[str, Any]] = {}
        self.bodies: dict[str, dict[str, Any]] = {}
        self.written: list[str] = []

    # -- plans -------------------------------------------------------------------------
    def prefetch(self, plans: Sequence[Plan]) -> None:
        """Look up every identifier the plans' writes match on, one search per type.

        Later finds of those identifiers need no search of their own; what this
        session writes is added as it is written, so the answers stay exact.
        """
        wanted: dict[str, set[Identifier]] = {}
        for plan in plans:
            for op in plan.ops:
                if isinstance(op, Write) and op.match:
                    wanted.setdefault(op.resource_type, set()).update(op.match)
        for rtype in sorted(wanted):  # a fixed order: concurrent sessions lock alike
            fresh = sorted(i for i in wanted[rtype] if (rtype, *i) not in self.covered)
            for start in range(0, len(fresh), PREFETCH_CHUNK):
                self._lookup(rtype, tuple(fresh[start : start + PREFETCH_CHUNK]))

    def _lookup(self, rtype: str, idents: tuple[Identifier, ...]) -> None:
        """Find the stored ``rtype`` having each of ``idents``; record them.

        One search ORs the identifiers (the store seeks each code in its
        token index), then the bodies of the matches tell which resource
        carries which identifier, as :meth:`find_all` checks anyway. An
        identifier with :data:`MAX_MATCHES` or more resources is too common to
        trust and is left uncovered; so is every one when the search returns
        more than that many per identifier (then each is searched alone).
        """
        for ident in idents:
            self.session.lock_key(f"{rtype}?identifier={ident[0]}|{ident[1]}")
        limit = MAX_MATCHES * len(idents)
        matches = self.session.search_ids(self._identifier_query(rtype, idents), limit + 1)
        if len(matches) > limit:
            for ident in idents:
                self._lookup_one(rtype, ident)
            return
        found: dict[Identifier, set[str]] = {ident: set() for ident in idents}
        stored = self.session.read_many(rtype, sorted({rid for _, rid in matches}))
        for rid, item in stored.items():
            if item.body is None:
                continue
            self.stored[(rtype, rid)] = item.body
            for x in orjson.loads(item.body).get("identifier", ()):
                hit = found.get((x.get("system"), x.get("value")))
                if hit is not None:
                    hit.add(rid)
        for ident, ids in found.items():
            if len(ids) < MAX_MATCHES:
                key = (rtype, *ident)
                self.index.setdefault(key, set()).update(ids)
                self.covered.add(key)

    def _lookup_one(self, rtype: str, ident: Identifier) -> None:
        matches = self.session.search_ids(self._identifier_query(rtype, (ident,)), MAX_MATCHES)
        if len(matches) < MAX_MATCHES:  # else too many to trust: left uncovered
            key = (rtype, *ident)
            self.index.setdefault(key, set()).update(rid for _, rid in matches)
            self.covered.add(key)

    def apply(self, plan: Plan) -> list[str]:
        """Apply every op of ``plan``; return the ``Type/id`` written for it."""
        from carehub.hl7v2.merge import merge_patients

        self.ids.clear()
        self.logical.clear()
        self.bodies.clear()
        start = len(self.written)
        for op in plan.ops:
            if isinstance(op, Write):
                self.write(op)
            else:
                merge_patients(self, op)
        return self.written[start:]

    def write(self, op: Write) -> None:
        """Find, combine, resolve and store one write."""
        rtype = op.resource_type
        found = self._existing(op)
        if found is None:
            if op.missing == "fail":
                shown = ", ".join(f"{s}|{v}" for s, v in op.match) or str(op.fixed_id)
                raise MessageError(UNKNOWN_KEY, f"no stored {rtype} has identifier {shown}",
                                   op.key_loc or op.loc)
            if op.missing == "logical":
                system, value = op.match[0]
                self.logical[op.key] = {"type": rtype, "identifier": {"system": system,
                                                                       "value": value}}
                return
            rid, old = op.fixed_id or new_id(), None
            fresh = not op.fixed_id
        else:
            fresh = False
            rid, old = found
            self._check_subject(op, old)
            if op.policy == "keep":
                self.ids[op.key] = f"{rtype}/{rid}"
                self.bodies[op.key] = old
                return
        new = self.resolve(op.resource)
        combine = MERGES.get(op.policy)
        if combine is None:
            raise MessageError(INTERNAL, f"unknown merge policy '{op.policy}'", op.loc)
        combined = combine(old or {}, new, op)
        for element in op.clear:
            combined.pop(element, None)
        body = {"resourceType": rtype, "id": rid}
        body.update((k, v) for k, v in combined.items() if k not in ("resourceType", "id"))
        self.ids[op.key] = f"{rtype}/{rid}"
        self.bodies[op.key] = body
        if old is not None and without_meta(old) == without_meta(body):
            return
        # checked when mapped and stored as mapped: no need to validate it again
        checked = (op.checked and self.hub.validate is fhir_validate
                   and without_meta(combined) == new)
        self.put(body, op.loc, validated=checked, fresh=fresh)

    def put(
        self, body: dict[str, Any], loc: Loc | None, *, validated: bool = False,
        fresh: bool = False,
    ) -> None:
        """Validate (unless ``validated``) and store ``body`` (a new version).

        ``fresh``: ``body`` has an id generated here, so it is a create (stored
        as a POST, with no lookup of a current version).
        """
        try:
            if not validated:
                self.hub.validate(body)
        except Invalid as exc:
            details = "; ".join(
                f"{i.expression[0] if i.expression else ''}: {i.diagnostics}" for i in exc.issues
            )
            raise MessageError(
                INTERNAL,
                f"the {body['resourceType']} mapped from {loc} is not valid FHIR: {details}",
                loc,
            ) from None
        written = self.session.put(body, method="POST" if fresh else "PUT")
        rtype, rid = body["resourceType"], body["id"]
        if written.body is not None:
            self.stored[(rtype, rid)] = written.body
        self.written.append(f"{rtype}/{rid}")
        for ident in body.get("identifier", ()):
            key = (rtype, ident.get("system"), ident.get("value"))
            if key in self.covered:
                self.index.setdefault(key, set()).add(rid)

    # -- finding ------------------------------------------------------------------------
    def _existing(self, op: Write) -> tuple[str, dict[str, Any]] | None:
        rtype = op.resource_type
        if op.match:
            exclude = {self.ids[k].split("/", 1)[1] for k in op.exclude_keys if k in self.ids}
            return self.find(
                rtype,
                op.match,
                op.key_loc or op.loc,
                follow=rtype == "Patient" and op.options.get("follow", True),
                exclude=exclude,
                skip_old=bool(op.options.get("skip_old")),
            )
        if op.fixed_id:
            stored = self.session.read(rtype, op.fixed_id)
            if stored is not None and stored.body is not None:
                return op.fixed_id, orjson.loads(stored.body)
        return None

    def find_all(
        self,
        rtype: str,
        match: tuple[Identifier, ...],
        exclude: Collection[str] = (),
        *,
        skip_old: bool = False,
    ) -> list[tuple[str, dict[str, Any]]]:
        """Every stored ``rtype`` having one of the identifiers ``match``.

        Ids in ``exclude`` are left out; with ``skip_old``, so are resources that
        have the identifiers only with ``use`` ``old``.
        """
        keys = [(rtype, s, v) for s, v in match]
        if not all(k in self.covered for k in keys):
            self._lookup(rtype, match)
        if all(k in self.covered for k in keys):
            ids = sorted(set().union(*(self.index.get(k, ()) for k in keys)) - set(exclude))
        else:  # too many matches to index them all: the first ones
            ids = sorted({rid for ident in match
                          for _, rid in self.session.search_ids(
                              self._identifier_query(rtype, (ident,)), MAX_MATCHES)}
                         - set(exclude))
        if not ids:
            return []
        missing = [i for i in ids if (rtype, i) not in self.stored]
        if missing:
            for i, item in self.session.read_many(rtype, missing).items():
                if item.body is not None:
                    self.stored[(rtype, i)] = item.body
        wanted = set(match)
        out = []
        for i in ids:
            raw = self.stored.get((rtype, i))
            if raw is None:
                continue
            body = orjson.loads(raw)
            if any(
                (x.get("system"), x.get("value")) in wanted
                and not (skip_old and x.get("use") == "old")
                for x in body.get("identifier", ())
            ):
                out.append((i, body))
        return out

    def _identifier_query(self, rtype: str, match: tuple[Identifier, ...]) -> SearchQuery:
        """``rtype?identifier=s1|v1,s2|v2``: the parsed query of ``rtype`` with these values."""
        template = self.queries.get(rtype)
        if template is None:
            template = self.hub.parser.parse(rtype, [("identifier", "s|v")], strict=True)
            self.queries[rtype] = template
        return with_values(template, tuple(TokenValue(system, value) for system, value in match))

    def find(
        self,
        rtype: str,
        match: tuple[Identifier, ...],
        loc: Loc | None,
        *,
        follow: bool = False,
        exclude: Collection[str] = (),
        skip_old: bool = False,
    ) -> tuple[str, dict[str, Any]] | None:
        """The one stored ``rtype`` the identifiers name, or None.

        With ``follow``, a Patient ``replaced-by`` another is followed to it.

        Raises:
            MessageError: 205, the identifiers name several resources.
        """
        candidates = self.find_all(rtype, match, exclude, skip_old=skip_old)
        if follow:
            candidates = [self._follow(rtype, c) for c in candidates]
        distinct = {rid: body for rid, body in candidates if rid not in exclude}
        if len(distinct) > 1:
            names = ", ".join(f"{rtype}/{rid}" for rid in sorted(distinct))
            raise MessageError(
                DUPLICATE_KEY, f"the identifiers name several stored resources: {names}", loc
            )
        if not distinct:
            return None
        return next(iter(distinct.items()))

    def _follow(self, rtype: str, found: tuple[str, dict[str, Any]]) -> tuple[str, dict[str, Any]]:
        rid, body = found
        for _ in range(8):
            target = next(
                (
                    link.get("other", {}).get("reference", "")
                    for link in body.get("link", ())
                    if link.get("type") == "replaced-by"
                ),
                "",
            )
            if not target.startswith(f"{rtype}/"):
                break
            stored = self.session.read(rtype, target.split("/", 1)[1])
            if stored is None or stored.body is None:
                break
            rid, body = target.split("/", 1)[1], orjson.loads(stored.body)
        return rid, body

    def _check_subject(self, op: Write, old: dict[str, Any]) -> None:
        if op.subject_key is None or op.subject_key not in self.ids:
            return
        stored = (old.get("subject") or {}).get("reference")
        if stored and stored != self.ids[op.subject_key]:
            raise MessageError(
                DUPLICATE_KEY,
                f"{op.resource_type} {', '.join(v for _, v in op.match)} belongs to {stored}, "
                f"not to {self.ids[op.subject_key]}",
                op.key_loc or op.loc,
            )

    # -- references ----------------------------------------------------------------------
    def resolve(self, resource: dict[str, Any]) -> dict[str, Any]:
        """A copy of ``resource`` with its ``{"reference": "@key"}`` placeholders resolved.

        A placeholder of a logical (not stored) write becomes a reference by identifier.

        Raises:
            MessageError: 207, a placeholder names no write of the plan (a mapping bug).
        """
        raw = orjson.dumps(resource)
        if b'"@' in raw:
            raw = PLACEHOLDER.sub(self._replacement, raw)
        result: dict[str, Any] = orjson.loads(raw)
        return result

    def _replacement(self, match: re.Match[bytes]) -> bytes:
        key = match.group(1).decode()
        if key in self.ids:
            return b'{"reference":' + orjson.dumps(self.ids[key]) + b"}"
        if key in self.logical:
            return orjson.dumps(self.logical[key])
        raise MessageError(INTERNAL, f"the mapping refers to '@{key}', which it does not write")
