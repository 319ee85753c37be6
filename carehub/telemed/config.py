"""The telemedicine settings (``CAREHUB_TELEMED_*``), read once at start-up, and the
notifier they configure.

Failure modes: none at start-up; a channel without a configured gateway fails
when used (:class:`~carehub.errors.Unsupported`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from carehub.telemed.ice import IceConfig, split_urls
from carehub.telemed.notify import ChannelNotifier, HttpGateway, Notifier, SmtpGateway


@dataclass(frozen=True, slots=True)
class TelemedConfig:
    """Everything the telemedicine services take from the settings."""

    join_secret: str = ""
    join_seconds: int = 120
    room_size: int = 4
    reminder_hours: int = 24
    ice: IceConfig = field(default_factory=IceConfig)
    sms_url: str = ""
    sms_token: str = ""
    chat_url: str = ""
    chat_token: str = ""
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_from: str = ""
    smtp_user: str = ""
    smtp_password: str = ""

    @classmethod
    def from_settings(cls, settings: Any) -> TelemedConfig:
        """Read the ``CAREHUB_TELEMED_*`` settings."""
        def s(name: str) -> Any:
            return settings[f"CAREHUB_TELEMED_{name}"]

        return cls(
            join_secret=s("JOIN_SECRET"), join_seconds=s("JOIN_SECONDS"),
            room_size=s("ROOM_SIZE"), reminder_hours=s("REMINDER_HOURS"),
            ice=IceConfig(split_urls(s("STUN_URLS")), split_urls(s("TURN_URLS")),
                          s("TURN_SECRET"), s("TURN_TTL")),
            sms_url=s("SMS_URL"), sms_token=s("SMS_TOKEN"), chat_url=s("CHAT_URL"),
            chat_token=s("CHAT_TOKEN"), smtp_host=s("SMTP_HOST"), smtp_port=s("SMTP_PORT"),
            smtp_from=s("SMTP_FROM"), smtp_user=s("SMTP_USER"),
            smtp_password=s("SMTP_PASSWORD"),
        )

    def notifier(self) -> Notifier:
        """A notifier with a gateway for each configured channel.

        >>> TelemedConfig(sms_url="https://sms.example/send").notifier().gateways["sms"].url
        'https://sms.example/send'
        """
        gateways: dict[str, Notifier] = {}
        if self.sms_url:
            gateways["sms"] = HttpGateway(self.sms_url, self.sms_token)
        if self.chat_url:
            gateways["chat"] = HttpGateway(self.chat_url, self.chat_token)
        if self.smtp_host:
            gateways["email"] = SmtpGateway(self.smtp_host, self.smtp_port,
                                            self.smtp_from or "carehub@localhost",
                                            self.smtp_user, self.smtp_password)
        return ChannelNotifier(gateways)
