"""Prefetch templates and prefetched data (CDS Hooks 2.0).

https://cds-hooks.hl7.org/2.0/#prefetch-template

A template is a relative FHIR read or search URL holding prefetch tokens:
``{{context.<field>}}`` (a root-level primitive context field) or one of the
user tokens ``{{userPractitionerId}}``, ``{{userPractitionerRoleId}}``,
``{{userPatientId}}``, ``{{userRelatedPersonId}}`` (derived from
``context.userId``). :func:`render` fills them in; :func:`split_prefetch` tells
which keys a request satisfied, and :func:`resources_of` flattens the values
(resources and searchset Bundles) into resources.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote

from carehub.errors import Incorrect

TOKEN = re.compile(r"\{\{\s*([A-Za-z0-9_.]+)\s*\}\}")
USER_TOKENS = {
    "userPractitionerId": "Practitioner",
    "userPractitionerRoleId": "PractitionerRole",
    "userPatientId": "Patient",
    "userRelatedPersonId": "RelatedPerson",
}
"""User prefetch tokens → the resource type ``context.userId`` must name."""


def tokens(template: str) -> list[str]:
    """The prefetch tokens of ``template``, in order.

    >>> tokens("Observation?patient={{context.patientId}}&code=4548-4")
    ['context.patientId']
    """
    return TOKEN.findall(template)


def check_template(template: str) -> None:
    """Check that every token of ``template`` is one the specification allows.

    Raises:
        Incorrect: a token is neither ``context.<field>`` (root level) nor a user token.

    >>> check_template("Patient/{{context.patientId}}")
    >>> check_template("Medication/{{context.medication.id}}")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    carehub.errors.Incorrect: prefetch token {{context.medication.id}} is not allowed...
    """
    for token in tokens(template):
        parts = token.split(".")
        if (len(parts) == 2 and parts[0] == "context") or token in USER_TOKENS:
            continue
        raise Incorrect(f"prefetch token {{{{{token}}}}} is not allowed: only root-level "
                        "context fields and user tokens")


def _user_token(token: str, context: Mapping[str, Any]) -> str | None:
    user = context.get("userId")
    if not isinstance(user, str) or "/" not in user:
        return None
    rtype, _, rid = user.partition("/")
    return rid if USER_TOKENS[token] == rtype else None


def render(template: str, context: Mapping[str, Any]) -> str | None:
    """``template`` with its tokens replaced from ``context``; ``None`` if one has no value.

    Values are URL-encoded (``/`` kept). A context field that is missing, or not
    a string or number, leaves the template unrenderable (``None``), as does a
    user token whose type does not match ``context.userId``.

    >>> render("Observation?patient={{context.patientId}}&code=4548-4", {"patientId": "p 1"})
    'Observation?patient=p%201&code=4548-4'
    >>> render("Practitioner/{{userPractitionerId}}", {"userId": "Practitioner/abc"})
    'Practitioner/abc'
    >>> render("Encounter/{{context.encounterId}}", {"patientId": "p1"}) is None
    True
    """
    check_template(template)
    missing = False

    def fill(match: re.Match[str]) -> str:
        nonlocal missing
        token = match.group(1)
        value: Any
        if token in USER_TOKENS:
            value = _user_token(token, context)
        else:
            value = context.get(token.split(".", 1)[1])
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            missing = True
            return ""
        return quote(str(value), safe="/")

    out = TOKEN.sub(fill, template)
    return None if missing else out


def is_error(value: Any) -> bool:
    """Whether a prefetch value is an OperationOutcome (the client's failure to fetch).

    >>> is_error({"resourceType": "OperationOutcome"}), is_error(None)
    (True, False)
    """
    return isinstance(value, Mapping) and value.get("resourceType") == "OperationOutcome"


def split_prefetch(
    templates: Mapping[str, str], prefetch: Mapping[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """The satisfied prefetch values and the keys still to fetch.

    A key is satisfied when the client sent it with a value that is not an
    OperationOutcome (``null`` is satisfied: the client had no data). Keys the
    client sent that the service did not ask for are ignored.

    >>> split_prefetch({"patient": "Patient/{{context.patientId}}", "labs": "Observation"},
    ...                {"patient": {"resourceType": "Patient", "id": "1"}, "other": 1})
    ({'patient': {'resourceType': 'Patient', 'id': '1'}}, ['labs'])
    """
    satisfied: dict[str, Any] = {}
    missing: list[str] = []
    for key in templates:
        if key in prefetch and not is_error(prefetch[key]):
            satisfied[key] = prefetch[key]
        else:
            missing.append(key)
    return satisfied, missing


def resources_of(value: Any) -> Iterator[Mapping[str, Any]]:
    """The resources in one prefetch value: itself, or a Bundle's entries (recursively).

    ``None`` and OperationOutcomes yield nothing.

    >>> b = {"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Condition"}}]}
    >>> [r["resourceType"] for r in resources_of(b)]
    ['Condition']
    """
    if not isinstance(value, Mapping) or is_error(value):
        return
    if value.get("resourceType") == "Bundle":
        for entry in value.get("entry") or ():
            if isinstance(entry, Mapping):
                yield from resources_of(entry.get("resource"))
        return
    if isinstance(value.get("resourceType"), str):
        yield value
