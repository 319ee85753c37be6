"""CDS Services and the discovery document (CDS Hooks 2.0).

https://cds-hooks.hl7.org/2.0/#discovery

A :class:`CdsService` is a description (id, hook, title, description, prefetch
templates) plus a pure handler: :class:`ServiceCall` in (the checked request,
its prefetch data complete, the evaluation date), cards out. A
:class:`ServiceRegistry` is the explicit set of services a router serves,
built at start-up (:func:`carehub.cds_hooks.services.default_services`).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from carehub.cds_hooks.models import HOOK_CONTEXTS, Card, HookRequest
from carehub.cds_hooks.prefetch import check_template, resources_of
from carehub.errors import NotFound, did_you_mean


@dataclass(frozen=True, slots=True)
class ServiceCall:
    """What a service handler gets: the request and every prefetch key's value.

    Args:
        request: the checked request.
        data: prefetch key → resource, searchset Bundle, or ``None`` (no data).
        as_of: the evaluation date.
    """

    request: HookRequest
    data: Mapping[str, Any]
    as_of: datetime.date

    def resources(self, *keys: str) -> list[Mapping[str, Any]]:
        """The resources under ``keys`` (all keys when none are named), Bundles flattened."""
        out: list[Mapping[str, Any]] = []
        for key in keys or tuple(self.data):
            out.extend(resources_of(self.data.get(key)))
        return out


Handler = Callable[[ServiceCall], Sequence[Card]]
"""A service's decision logic: pure, no I/O."""


@dataclass(frozen=True, slots=True)
class CdsService:
    """One CDS Service as discovery describes it, with its handler.

    Raises:
        Incorrect: a prefetch template uses a token the specification forbids.
    """

    id: str
    hook: str
    title: str
    description: str
    handler: Handler
    prefetch: Mapping[str, str] = field(default_factory=dict)
    usage_requirements: str | None = None

    def __post_init__(self) -> None:
        if self.hook not in HOOK_CONTEXTS:
            raise ValueError(f"service {self.id}: unknown hook {self.hook!r}")
        for template in self.prefetch.values():
            check_template(template)

    def to_json(self) -> dict[str, Any]:
        """The service's entry in the discovery document.

        >>> CdsService("s", "patient-view", "T", "D", lambda c: [],
        ...            {"patient": "Patient/{{context.patientId}}"}).to_json()["prefetch"]
        {'patient': 'Patient/{{context.patientId}}'}
        """
        out: dict[str, Any] = {
            "hook": self.hook,
            "title": self.title,
            "description": self.description,
            "id": self.id,
        }
        if self.prefetch:
            out["prefetch"] = dict(self.prefetch)
        if self.usage_requirements:
            out["usageRequirements"] = self.usage_requirements
        return out


class ServiceRegistry:
    """The services one router serves, by id.

    >>> reg = ServiceRegistry([CdsService("a", "patient-view", "A", "d", lambda c: [])])
    >>> reg.get("a").hook
    'patient-view'
    >>> reg.get("b")
    Traceback (most recent call last):
    carehub.errors.NotFound: no CDS Service 'b'
    """

    def __init__(self, services: Iterable[CdsService]) -> None:
        self._services: dict[str, CdsService] = {}
        for service in services:
            if service.id in self._services:
                raise ValueError(f"CDS Service {service.id!r} is registered twice")
            self._services[service.id] = service

    def __iter__(self) -> Iterator[CdsService]:
        return iter(self._services.values())

    def get(self, service_id: str) -> CdsService:
        """The service ``service_id``; :class:`~carehub.errors.NotFound` with a suggestion."""
        if service_id not in self._services:
            raise NotFound(
                f"no CDS Service {service_id!r}{did_you_mean(service_id, self._services)}"
            )
        return self._services[service_id]

    def discovery(self) -> dict[str, Any]:
        """The discovery document: ``{"services": [...]}``."""
        return {"services": [s.to_json() for s in self]}
