"""CDS Hooks 2.0 request, card and response types, with the specification's checks.

https://cds-hooks.hl7.org/2.0/#calling-a-cds-service ·
https://cds-hooks.hl7.org/2.0/#cds-service-response

* :func:`parse_request` turns the JSON body a CDS Client POSTs into a
  :class:`HookRequest`, checking the required fields (``hook``, ``hookInstance``,
  ``context``), ``fhirServer``/``fhirAuthorization`` and the hook's context
  fields (:data:`HOOK_CONTEXTS`). Every failure is an
  :class:`~carehub.errors.Incorrect` whose ``expression`` names the field.
* :class:`Card` and its parts (:class:`Source`, :class:`Suggestion`,
  :class:`Action`, :class:`Link`, :class:`Coding`) check their constraints when
  built (summary < 140 characters, indicator ``info|warning|critical``,
  ``selectionBehavior`` when there are suggestions...), so a service cannot
  return a card that breaks the specification; :func:`card_from_json` reads
  one back (the tests validate the specification's example cards with it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from carehub.errors import Incorrect, did_you_mean

INDICATORS = ("info", "warning", "critical")
"""Card indicators, least urgent first."""
SELECTION_BEHAVIORS = ("at-most-one", "any")
ACTION_TYPES = ("create", "update", "delete")
LINK_TYPES = ("absolute", "smart")
SUMMARY_MAX = 140
"""Cards' summaries must be shorter than this (the specification: "<140-character")."""

_PATIENT_CONTEXT: Mapping[str, tuple[type, bool]] = {
    "userId": (str, True),
    "patientId": (str, True),
    "encounterId": (str, False),
}
HOOK_CONTEXTS: Mapping[str, Mapping[str, tuple[type, bool]]] = {
    "patient-view": _PATIENT_CONTEXT,
    "order-sign": {**_PATIENT_CONTEXT, "draftOrders": (dict, True)},
    "order-select": {**_PATIENT_CONTEXT, "selections": (list, True), "draftOrders": (dict, True)},
    "order-dispatch": {"patientId": (str, True), "dispatchedOrders": (list, True),
                       "performer": (str, True)},
    "encounter-start": {**_PATIENT_CONTEXT, "encounterId": (str, True)},
    "encounter-discharge": {**_PATIENT_CONTEXT, "encounterId": (str, True)},
    "appointment-book": {**_PATIENT_CONTEXT, "appointments": (dict, True)},
}
"""Each standard hook's context fields: name → (JSON type, required).

https://cds-hooks.org/hooks/ (patient-view 2.0, order-sign 1.1 ...). Only the
hooks CareHub's services answer are checked in depth; the others are listed so
a misspelt hook gets "unknown hook" with a suggestion.
"""


def _need(obj: Mapping[str, Any], name: str, kind: type, where: str) -> Any:
    value = obj.get(name)
    if value is None:
        raise Incorrect(f"{where}{name} is required", expression=f"{where}{name}")
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise Incorrect(
            f"{where}{name} must be a JSON {_json_type(kind)}", expression=f"{where}{name}"
        )
    return value


def _optional(obj: Mapping[str, Any], name: str, kind: type, where: str) -> Any:
    return None if obj.get(name) is None else _need(obj, name, kind, where)


def _json_type(kind: type) -> str:
    return {str: "string", dict: "object", list: "array", int: "integer", bool: "boolean"}.get(
        kind, kind.__name__
    )


def is_absolute_url(text: str) -> bool:
    """Whether ``text`` is an absolute http(s) URL.

    >>> is_absolute_url("https://example.com/a"), is_absolute_url("/cds-services")
    (True, False)
    """
    parts = urlsplit(text)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


@dataclass(frozen=True, slots=True)
class FhirAuthorization:
    """The bearer token a CDS Client lends a service (``fhirAuthorization``)."""

    access_token: str
    token_type: str
    expires_in: int
    scope: str
    subject: str
    patient: str | None = None


@dataclass(frozen=True, slots=True)
class HookRequest:
    """One call of a CDS Service, checked.

    ``prefetch`` holds the keys the client sent, values as sent (``None`` when
    the client had no data for a key); a key the client did not satisfy is absent.
    """

    hook: str
    hook_instance: str
    context: Mapping[str, Any]
    fhir_server: str | None = None
    fhir_authorization: FhirAuthorization | None = None
    prefetch: Mapping[str, Any] = field(default_factory=dict)
    extension: Mapping[str, Any] | None = None

    @property
    def patient_id(self) -> str | None:
        """``context.patientId`` when the hook has one."""
        value = self.context.get("patientId")
        return value if isinstance(value, str) else None


def _authorization(obj: Any) -> FhirAuthorization:
    where = "fhirAuthorization."
    if not isinstance(obj, Mapping):
        raise Incorrect("fhirAuthorization must be a JSON object", expression="fhirAuthorization")
    token_type = _need(obj, "token_type", str, where)
    if token_type.lower() != "bearer":
        raise Incorrect(
            f"fhirAuthorization.token_type must be 'Bearer', not {token_type!r}",
            expression="fhirAuthorization.token_type",
        )
    return FhirAuthorization(
        access_token=_need(obj, "access_token", str, where),
        token_type=token_type,
        expires_in=_need(obj, "expires_in", int, where),
        scope=_need(obj, "scope", str, where),
        subject=_need(obj, "subject", str, where),
        patient=_optional(obj, "patient", str, where),
    )


def check_context(hook: str, context: Mapping[str, Any]) -> None:
    """Check ``context`` against the fields :data:`HOOK_CONTEXTS` gives ``hook``.

    Raises:
        Incorrect: a required field is missing or a field has the wrong JSON type;
            ``expression`` is ``context.<field>``.

    >>> check_context("patient-view", {"userId": "Practitioner/1", "patientId": "p"})
    >>> check_context("patient-view", {"userId": "Practitioner/1"})
    Traceback (most recent call last):
    carehub.errors.Incorrect: context.patientId is required for hook patient-view
    """
    for name, (kind, required) in HOOK_CONTEXTS.get(hook, {}).items():
        value = context.get(name)
        if value is None:
            if required:
                raise Incorrect(
                    f"context.{name} is required for hook {hook}", expression=f"context.{name}"
                )
            continue
        if not isinstance(value, kind):
            raise Incorrect(
                f"context.{name} must be a JSON {_json_type(kind)} for hook {hook}",
                expression=f"context.{name}",
            )
    orders = context.get("draftOrders")
    if hook == "order-sign" and isinstance(orders, Mapping) and orders.get("resourceType") != (
        "Bundle"
    ):
        raise Incorrect(
            "context.draftOrders must be a FHIR Bundle", expression="context.draftOrders"
        )


def parse_request(body: Any, expected_hook: str | None = None) -> HookRequest:
    """The :class:`HookRequest` of a decoded JSON body.

    Args:
        body: the decoded JSON.
        expected_hook: the hook of the service called; a request for another
            hook is refused.

    Raises:
        Incorrect: not an object, a required field missing or mistyped, an
            unknown hook, a hook the service does not answer, a context that does
            not fit the hook, or ``fhirAuthorization`` without ``fhirServer``.

    >>> r = parse_request({"hook": "patient-view", "hookInstance": "h1",
    ...                    "context": {"userId": "Practitioner/a", "patientId": "p1"}})
    >>> r.patient_id, r.prefetch
    ('p1', {})
    >>> parse_request({"hook": "patient-veiw", "hookInstance": "h1", "context": {}})
    Traceback (most recent call last):
    carehub.errors.Incorrect: unknown hook 'patient-veiw' Did you mean 'patient-view'?
    """
    if not isinstance(body, Mapping):
        raise Incorrect("the request body must be a JSON object")
    hook = _need(body, "hook", str, "")
    if hook not in HOOK_CONTEXTS:
        raise Incorrect(f"unknown hook {hook!r}{did_you_mean(hook, HOOK_CONTEXTS)}",
                        expression="hook")
    if expected_hook is not None and hook != expected_hook:
        raise Incorrect(
            f"this service answers hook {expected_hook!r}, not {hook!r}", expression="hook"
        )
    instance = _need(body, "hookInstance", str, "")
    if not instance.strip():
        raise Incorrect("hookInstance must not be empty", expression="hookInstance")
    context = _need(body, "context", dict, "")
    check_context(hook, context)
    server = _optional(body, "fhirServer", str, "")
    if server is not None and not is_absolute_url(server):
        raise Incorrect(f"fhirServer must be an absolute http(s) URL, not {server!r}",
                        expression="fhirServer")
    auth = None
    if body.get("fhirAuthorization") is not None:
        if server is None:
            raise Incorrect("fhirServer is required when fhirAuthorization is given",
                            expression="fhirServer")
        auth = _authorization(body["fhirAuthorization"])
    prefetch = _optional(body, "prefetch", dict, "") or {}
    extension = _optional(body, "extension", dict, "")
    return HookRequest(hook, instance, context, server, auth, prefetch, extension)


# --- cards -----------------------------------------------------------------------------


def _drop_none(obj: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if v is not None}


@dataclass(frozen=True, slots=True)
class Coding:
    """A CDS Hooks Coding (code and system required, display for override reasons)."""

    code: str
    system: str
    display: str | None = None

    def __post_init__(self) -> None:
        if not self.code or not self.system:
            raise Incorrect("a Coding needs both code and system", expression="coding")

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return _drop_none({"code": self.code, "system": self.system, "display": self.display})


@dataclass(frozen=True, slots=True)
class Source:
    """Where a card's guidance comes from."""

    label: str
    url: str | None = None
    icon: str | None = None
    topic: Coding | None = None

    def __post_init__(self) -> None:
        if not self.label:
            raise Incorrect("source.label is required", expression="source.label")
        for name in ("url", "icon"):
            value = getattr(self, name)
            if value is not None and not is_absolute_url(value):
                raise Incorrect(f"source.{name} must be an absolute URL",
                                expression=f"source.{name}")

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return _drop_none({"label": self.label, "url": self.url, "icon": self.icon,
                           "topic": self.topic.to_json() if self.topic else None})


@dataclass(frozen=True, slots=True)
class Action:
    """A suggested change: create or update a resource, or delete one by reference."""

    type: str
    description: str
    resource: Mapping[str, Any] | None = None
    resource_id: str | None = None

    def __post_init__(self) -> None:
        if self.type not in ACTION_TYPES:
            raise Incorrect(f"action.type must be one of {', '.join(ACTION_TYPES)}, "
                            f"not {self.type!r}", expression="action.type")
        if not self.description:
            raise Incorrect("action.description is required", expression="action.description")
        if self.type in ("create", "update") and not isinstance(self.resource, Mapping):
            raise Incorrect(f"a {self.type} action needs a resource", expression="action.resource")
        if self.type == "delete" and not self.resource_id and self.resource is None:
            raise Incorrect("a delete action needs resourceId", expression="action.resourceId")

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return _drop_none({"type": self.type, "description": self.description,
                           "resource": dict(self.resource) if self.resource else None,
                           "resourceId": self.resource_id})


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A set of actions the user may accept together."""

    label: str
    uuid: str | None = None
    is_recommended: bool | None = None
    actions: tuple[Action, ...] = ()

    def __post_init__(self) -> None:
        if not self.label:
            raise Incorrect("suggestion.label is required", expression="suggestion.label")

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return _drop_none({"label": self.label, "uuid": self.uuid,
                           "isRecommended": self.is_recommended,
                           "actions": [a.to_json() for a in self.actions] or None})


@dataclass(frozen=True, slots=True)
class Link:
    """A link to an absolute URL or a SMART app."""

    label: str
    url: str
    type: str = "absolute"
    app_context: str | None = None
    autolaunchable: bool | None = None

    def __post_init__(self) -> None:
        if not self.label or not self.url:
            raise Incorrect("link.label and link.url are required", expression="link")
        if self.type not in LINK_TYPES:
            raise Incorrect(f"link.type must be absolute or smart, not {self.type!r}",
                            expression="link.type")
        if self.app_context is not None and self.type != "smart":
            raise Incorrect("link.appContext is only valid for smart links",
                            expression="link.appContext")

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return _drop_none({"label": self.label, "url": self.url, "type": self.type,
                           "appContext": self.app_context,
                           "autolaunchable": self.autolaunchable})


@dataclass(frozen=True, slots=True)
class Card:
    """One piece of guidance shown to the user.

    Raises:
        Incorrect: summary empty or 140 characters or more, unknown indicator,
            suggestions without ``selection_behavior``, override reasons
            without a display.

    >>> Card("eGFR 25: metformin contraindicated", "critical", Source("CareHub")).to_json()
    ... # doctest: +NORMALIZE_WHITESPACE
    {'summary': 'eGFR 25: metformin contraindicated', 'indicator': 'critical',
     'source': {'label': 'CareHub'}}
    >>> Card("x" * 140, "info", Source("CareHub"))
    Traceback (most recent call last):
    carehub.errors.Incorrect: card.summary must be shorter than 140 characters (has 140)
    """

    summary: str
    indicator: str
    source: Source
    detail: str | None = None
    uuid: str | None = None
    suggestions: tuple[Suggestion, ...] = ()
    selection_behavior: str | None = None
    override_reasons: tuple[Coding, ...] = ()
    links: tuple[Link, ...] = ()

    def __post_init__(self) -> None:
        if not self.summary.strip():
            raise Incorrect("card.summary is required", expression="card.summary")
        if len(self.summary) >= SUMMARY_MAX:
            raise Incorrect(f"card.summary must be shorter than {SUMMARY_MAX} characters "
                            f"(has {len(self.summary)})", expression="card.summary")
        if self.indicator not in INDICATORS:
            raise Incorrect(f"card.indicator must be one of {', '.join(INDICATORS)}, "
                            f"not {self.indicator!r}", expression="card.indicator")
        if self.suggestions and self.selection_behavior is None:
            raise Incorrect("card.selectionBehavior is required with suggestions",
                            expression="card.selectionBehavior")
        if self.selection_behavior is not None and (
            self.selection_behavior not in SELECTION_BEHAVIORS
        ):
            raise Incorrect(f"card.selectionBehavior must be at-most-one or any, "
                            f"not {self.selection_behavior!r}",
                            expression="card.selectionBehavior")
        if any(not reason.display for reason in self.override_reasons):
            raise Incorrect("every card.overrideReasons entry needs a display",
                            expression="card.overrideReasons")

    def to_json(self) -> dict[str, Any]:
        """The card as the specification's JSON."""
        return _drop_none({
            "uuid": self.uuid,
            "summary": self.summary,
            "detail": self.detail,
            "indicator": self.indicator,
            "source": self.source.to_json(),
            "suggestions": [s.to_json() for s in self.suggestions] or None,
            "selectionBehavior": self.selection_behavior,
            "overrideReasons": [c.to_json() for c in self.override_reasons] or None,
            "links": [link.to_json() for link in self.links] or None,
        })


def response_json(cards: Sequence[Card], system_actions: Sequence[Action] = ()) -> dict[str, Any]:
    """The body of a CDS Service response.

    >>> response_json([])
    {'cards': []}
    """
    out: dict[str, Any] = {"cards": [c.to_json() for c in cards]}
    if system_actions:
        out["systemActions"] = [a.to_json() for a in system_actions]
    return out


def _coding(obj: Any, where: str) -> Coding:
    if not isinstance(obj, Mapping):
        raise Incorrect(f"{where} must be a JSON object", expression=where)
    return Coding(_need(obj, "code", str, f"{where}."), _need(obj, "system", str, f"{where}."),
                  _optional(obj, "display", str, f"{where}."))


def action_from_json(obj: Any, where: str = "action") -> Action:
    """An :class:`Action` from its JSON (see :func:`card_from_json`)."""
    if not isinstance(obj, Mapping):
        raise Incorrect(f"{where} must be a JSON object", expression=where)
    resource = obj.get("resource")
    return Action(_need(obj, "type", str, f"{where}."), _need(obj, "description", str, f"{where}."),
                  resource if isinstance(resource, Mapping) else None,
                  _optional(obj, "resourceId", str, f"{where}.")
                  or (resource if isinstance(resource, str) else None))


def card_from_json(obj: Any) -> Card:
    """A :class:`Card` from its JSON, checking the specification's constraints.

    Raises:
        Incorrect: a required field is missing or a constraint is broken.
    """
    if not isinstance(obj, Mapping):
        raise Incorrect("a card must be a JSON object", expression="card")
    src = _need(obj, "source", dict, "card.")
    topic = src.get("topic")
    source = Source(_need(src, "label", str, "card.source."), src.get("url"), src.get("icon"),
                    _coding(topic, "card.source.topic") if topic is not None else None)
    suggestions = tuple(
        Suggestion(_need(s, "label", str, "card.suggestions."), s.get("uuid"),
                   s.get("isRecommended"),
                   tuple(action_from_json(a, "card.suggestions.actions")
                         for a in s.get("actions") or ()))
        for s in _optional(obj, "suggestions", list, "card.") or ()
    )
    links = tuple(
        Link(_need(lk, "label", str, "card.links."), _need(lk, "url", str, "card.links."),
             _need(lk, "type", str, "card.links."), lk.get("appContext"), lk.get("autolaunchable"))
        for lk in _optional(obj, "links", list, "card.") or ()
    )
    reasons = tuple(_coding(c, "card.overrideReasons")
                    for c in _optional(obj, "overrideReasons", list, "card.") or ())
    return Card(_need(obj, "summary", str, "card."), _need(obj, "indicator", str, "card."),
                source, _optional(obj, "detail", str, "card."),
                _optional(obj, "uuid", str, "card."), suggestions, obj.get("selectionBehavior"),
                reasons, links)
