"""The navigation of the web application: which screens each role sees.

https://www.w3.org/WAI/ARIA/apg/patterns/landmarks/examples/navigation.html

:data:`NAVIGATION` lists the top-level screens in menu order; each names
its translation key, its path and the roles that see it (``None``: every
signed-in user). With authorization off every screen is shown. A new screen
adds one :class:`NavItem` here (and its keys to both catalogues).
"""

from __future__ import annotations

from dataclasses import dataclass

CLINICAL_ROLES = frozenset({"clinician", "nurse", "pharmacist", "admin"})
"""Staff roles that open patient records."""
WORKLIST_ROLES = frozenset({"clinician", "nurse", "admin"})
"""Staff roles that work screening lists."""


@dataclass(frozen=True, slots=True)
class NavItem:
    """One menu entry: translation ``key``, ``path`` under the site root, allowed ``roles``."""

    key: str
    path: str
    roles: frozenset[str] | None = None

    def allows(self, role: str | None, auth_on: bool) -> bool:
        """Whether a user of ``role`` sees the entry.

        >>> NavItem("nav.x", "/app/x", frozenset({"nurse"})).allows("clinician", True)
        False
        >>> NavItem("nav.x", "/app/x", frozenset({"nurse"})).allows(None, False)
        True
        """
        if not auth_on or self.roles is None:
            return True
        return role in self.roles


NAVIGATION: tuple[NavItem, ...] = (
    NavItem("nav.search", "/app/patients", CLINICAL_ROLES),
    NavItem("nav.worklists", "/app/worklists", WORKLIST_ROLES),
    NavItem("monitoring.nav.alerts", "/app/monitoring/alerts", WORKLIST_ROLES),
    NavItem("nav.ops", "/app/ops", frozenset({"manager", "admin"})),
    NavItem("nav.myhealth", "/app/my-health", frozenset({"patient"})),
    NavItem("monitoring.nav.patient", "/app/monitoring", frozenset({"patient"})),
    NavItem("nav.selfcheck", "/app/self-check", frozenset({"patient"})),
    NavItem("nav.education", "/app/education", frozenset({"patient"})),
    NavItem("myedu.nav", "/app/my-education", frozenset({"patient"})),
    NavItem("consult.nav", "/app/consultations", frozenset({"patient"})),
    NavItem("messages.nav", "/app/messages", frozenset({"patient"})),
    NavItem("consult.nav_schedule", "/app/schedule", WORKLIST_ROLES),
)


def nav_for(role: str | None, auth_on: bool) -> list[NavItem]:
    """The menu of a user of ``role``.

    >>> [n.path for n in nav_for("pharmacist", True)]
    ['/app/patients']
    """
    return [item for item in NAVIGATION if item.allows(role, auth_on)]
