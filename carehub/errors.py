"""The one exception tree of CareHub.

Every error CareHub raises is a :class:`CareHubError`. The subclasses are
*categories* (after the anomaly categories of mature FHIR servers); the HTTP
layer maps each category to a status code and an OperationOutcome issue code
in exactly one place (:mod:`carehub.fhir_api.errors`)::

    CareHubError
    ├── Incorrect        bad input: syntax, unknown parameter, invalid resource (400/422)
    │   └── Invalid      structurally invalid resource (422 unless told otherwise)
    ├── NotFound         no such resource, version or route (404)
    ├── Gone             the resource was deleted (410)
    ├── Conflict         a write raced another write or violates uniqueness (409)
    │   └── PreconditionFailed   If-Match / conditional precondition failed (412)
    ├── Unauthorized     no valid credentials: missing, expired or revoked token (401)
    ├── Forbidden        the caller may not do this (403)
    ├── Unsupported      a valid request CareHub does not implement (405/501)
    ├── Busy             try again later (503)
    └── Fault            a bug or an unexpected failure of a dependency (500)

Each error carries zero or more :class:`Issue` objects, which become the
``issue`` entries of the OperationOutcome; ``expression`` points at the element
(FHIRPath) that is wrong.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Issue:
    """One OperationOutcome issue.

    Args:
        severity: ``fatal``, ``error``, ``warning`` or ``information``.
        code: a code from http://hl7.org/fhir/issue-type (``invalid``, ``not-found``...).
        diagnostics: a human-readable message.
        expression: FHIRPath expressions of the elements concerned.
    """

    severity: str
    code: str
    diagnostics: str
    expression: tuple[str, ...] = ()

    def to_fhir(self) -> dict[str, object]:
        """Return the issue as a FHIR ``OperationOutcome.issue`` element.

        >>> Issue("error", "required", "gender missing", ("Patient.gender",)).to_fhir()["code"]
        'required'
        """
        out: dict[str, object] = {
            "severity": self.severity,
            "code": self.code,
            "diagnostics": self.diagnostics,
        }
        if self.expression:
            out["expression"] = list(self.expression)
        return out


class CareHubError(Exception):
    """Root of every CareHub error.

    Args:
        message: what went wrong, in one line.
        issue_code: the OperationOutcome issue code; each category has a default.
        expression: FHIRPath of the offending element, if any.
        issues: extra issues (e.g. all validation failures of one resource).
    """

    default_issue_code = "exception"

    def __init__(
        self,
        message: str,
        *,
        issue_code: str | None = None,
        expression: str | Sequence[str] | None = None,
        issues: Iterable[Issue] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        exprs: tuple[str, ...]
        if expression is None:
            exprs = ()
        elif isinstance(expression, str):
            exprs = (expression,)
        else:
            exprs = tuple(expression)
        extra = list(issues)
        if not extra:
            extra = [Issue("error", issue_code or self.default_issue_code, message, exprs)]
        self.issues: list[Issue] = extra

    def __str__(self) -> str:
        return self.message


class Incorrect(CareHubError):
    """The request is malformed or refers to something unknown (400)."""

    default_issue_code = "invalid"


class Invalid(Incorrect):
    """A resource fails structural validation (422 by default)."""

    default_issue_code = "structure"


class NotFound(CareHubError):
    """No such resource, version, or route (404)."""

    default_issue_code = "not-found"


class Gone(CareHubError):
    """The resource existed but was deleted (410)."""

    default_issue_code = "deleted"


class Conflict(CareHubError):
    """The write conflicts with the stored state (409)."""

    default_issue_code = "conflict"


class PreconditionFailed(Conflict):
    """A precondition (If-Match, conditional match count) failed (412)."""

    default_issue_code = "conflict"


class Unauthorized(CareHubError):
    """The request carries no valid credentials (401, with ``WWW-Authenticate``)."""

    default_issue_code = "login"


class Forbidden(CareHubError):
    """The caller is not allowed to do this (403)."""

    default_issue_code = "forbidden"


class Unsupported(CareHubError):
    """A valid request that CareHub does not support (405/501)."""

    default_issue_code = "not-supported"


class Busy(CareHubError):
    """Temporarily unable; try again (503)."""

    default_issue_code = "transient"


class Fault(CareHubError):
    """An internal failure (500)."""

    default_issue_code = "exception"


@dataclass(slots=True)
class IssueList:
    """Collects issues while validating; raise :class:`Invalid` if any are errors."""

    items: list[Issue] = field(default_factory=list)

    def add(self, code: str, diagnostics: str, expression: str, severity: str = "error") -> None:
        """Record one issue at ``expression``."""
        self.items.append(Issue(severity, code, diagnostics, (expression,)))

    @property
    def has_errors(self) -> bool:
        """Whether any issue is an error or fatal."""
        return any(i.severity in ("error", "fatal") for i in self.items)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return a ``" Did you mean 'x'?"`` suffix for the closest choice, or ``""``.

    >>> did_you_mean("Patinet", ["Patient", "Practitioner"])
    " Did you mean 'Patient'?"
    >>> did_you_mean("zzz", ["Patient"])
    ''
    """
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" Did you mean '{close[0]}'?" if close else ""


class MethodNotAllowed(Unsupported):
    """The interaction is not allowed on this resource or path (405)."""


class UnsupportedMediaType(Unsupported):
    """The request body is in a format CareHub does not read (415)."""
