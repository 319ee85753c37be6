"""The de-identification settings in force: the project-key secret and the default policy.

https://www.rfc-editor.org/rfc/rfc2104 (HMAC key derivation)

Read once at start-up from ``CAREHUB_RESEARCH_SECRET`` and
``CAREHUB_RESEARCH_POLICY`` (:mod:`carehub.settings`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from carehub.errors import Incorrect
from carehub.research.deid.policy import DeidPolicy, load_policy
from carehub.research.deid.pseudonym import project_key
from carehub.settings import Settings


@dataclass(frozen=True, slots=True)
class DeidConfig:
    """De-identification settings: ``secret`` (may be empty) and ``policy`` (name or file)."""

    secret: str
    policy: str

    @classmethod
    def from_settings(cls, settings: Settings) -> DeidConfig:
        """The configuration ``settings`` describe."""
        return cls(settings["CAREHUB_RESEARCH_SECRET"], settings["CAREHUB_RESEARCH_POLICY"])

    def key(self, project: str) -> bytes:
        """The pseudonym key of research project ``project``.

        >>> DeidConfig("s", "default").key("study-1") != DeidConfig("s", "default").key("study-2")
        True

        Raises:
            Incorrect: no secret is configured, or ``project`` is empty.
        """
        if not self.secret:
            raise Incorrect("research extracts need CAREHUB_RESEARCH_SECRET to be set")
        if not project.strip():
            raise Incorrect("a research project id is required to derive its key")
        return project_key(self.secret, project)

    def load_policy(self, override: str | None = None) -> DeidPolicy:
        """The policy ``override`` (or the configured one): a file path or a shipped name.

        >>> DeidConfig("", "default").load_policy("year-dates").dates
        'year'

        Raises:
            NotFound, Incorrect: see :func:`~carehub.research.deid.policy.load_policy`.
        """
        chosen = override or self.policy
        is_file = chosen.endswith((".yaml", ".yml", ".json")) or "/" in chosen
        return load_policy(Path(chosen) if is_file else chosen)
