"""ICE server configuration for WebRTC, with time-limited TURN credentials.

https://www.w3.org/TR/webrtc/#rtciceserver-dictionary and the TURN REST API
convention (draft-uberti-behave-turn-rest-00) that TURN servers such as coturn
implement with ``use-auth-secret``/``static-auth-secret``.

When a TURN secret is configured, each participant gets the username
``<expiry unix time>:<participant>`` and the password
``base64(HMAC-SHA1(secret, username))``; the TURN server checks both without
asking CareHub, and refuses them after the expiry. Without a secret the TURN
URLs are given without credentials (for a TURN server that allows that).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


def turn_credentials(secret: str, participant: str, expires_at: int) -> tuple[str, str]:
    """``(username, password)`` for the TURN REST API convention.

    >>> turn_credentials("s3cret", "Patient/p1", 1767225600)
    ('1767225600:Patient/p1', 'w+SqKS09JlANLTsvn3zHwXxzoP0=')
    """
    username = f"{expires_at}:{participant}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


def split_urls(text: str) -> tuple[str, ...]:
    """Comma-separated URLs as a tuple (blanks dropped).

    >>> split_urls(" stun:a:3478, ,turn:b:3478?transport=udp ")
    ('stun:a:3478', 'turn:b:3478?transport=udp')
    """
    return tuple(u.strip() for u in text.split(",") if u.strip())


@dataclass(frozen=True, slots=True)
class IceConfig:
    """The configured STUN/TURN servers (see :mod:`carehub.settings`)."""

    stun_urls: Sequence[str] = ()
    turn_urls: Sequence[str] = ()
    turn_secret: str = ""
    ttl_s: int = 3600

    def servers(self, participant: str, now: int) -> list[dict[str, Any]]:
        """The ``iceServers`` list for one participant at unix time ``now``.

        >>> IceConfig(("stun:s",), ("turn:t",), "k", 60).servers("Patient/p", 100)[1]["username"]
        '160:Patient/p'
        """
        out: list[dict[str, Any]] = []
        if self.stun_urls:
            out.append({"urls": list(self.stun_urls)})
        if self.turn_urls:
            entry: dict[str, Any] = {"urls": list(self.turn_urls)}
            if self.turn_secret:
                user, password = turn_credentials(self.turn_secret, participant, now + self.ttl_s)
                entry.update(username=user, credential=password)
            out.append(entry)
        return out
