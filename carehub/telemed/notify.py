"""Sending notifications (SMS, e-mail, chat apps) through one small interface.

https://hl7.org/fhir/R4/communication.html (what is sent is recorded as a Communication)

:class:`Notifier` is the protocol the reminder and messaging code uses. The
real gateways are configuration: :class:`HttpGateway` posts JSON to an SMS or
chat provider's HTTP endpoint (``CAREHUB_TELEMED_SMS_URL``,
``CAREHUB_TELEMED_CHAT_URL``) and :class:`SmtpGateway` sends e-mail
(``CAREHUB_TELEMED_SMTP_HOST``). :class:`ChannelNotifier` routes each message
to the gateway of its channel. Tests use a local fake.

Failure modes: :meth:`Notifier.send` raises :class:`~carehub.errors.Busy`
when a gateway cannot be reached or refuses, and
:class:`~carehub.errors.Unsupported` for a channel with no gateway configured.
"""

from __future__ import annotations

import smtplib
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

import httpx

from carehub.errors import Busy, Unsupported

CHANNELS = ("sms", "email", "chat")


@dataclass(frozen=True, slots=True)
class Message:
    """One notification: ``channel`` is ``sms``, ``email`` or ``chat``; ``to`` the
    phone number, address or chat user id."""

    channel: str
    to: str
    text: str
    subject: str = "CareHub"


class Notifier(Protocol):
    """Something that delivers a :class:`Message`."""

    def send(self, message: Message) -> str:
        """Deliver ``message`` and return the gateway's id for it (may be empty).

        Raises:
            Busy: the gateway failed; the message was not delivered.
            Unsupported: no gateway for the channel.
        """
        ...


@dataclass(slots=True)
class HttpGateway:
    """An SMS or chat gateway reached by ``POST url`` with JSON ``{"to", "text"}``
    and an optional bearer token; the reply's ``id`` field is the message id."""

    url: str
    token: str = ""
    transport: httpx.BaseTransport | None = None
    timeout: float = 10.0

    def send(self, message: Message) -> str:
        """See :meth:`Notifier.send`."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            with httpx.Client(transport=self.transport, timeout=self.timeout) as client:
                r = client.post(self.url, json={"to": message.to, "text": message.text},
                                headers=headers)
        except httpx.HTTPError as exc:
            raise Busy(f"the {message.channel} gateway cannot be reached: {exc}") from None
        if r.status_code >= 300:
            raise Busy(f"the {message.channel} gateway answered {r.status_code}")
        try:
            return str(r.json().get("id", ""))
        except ValueError:
            return ""


@dataclass(slots=True)
class SmtpGateway:
    """E-mail through an SMTP server (STARTTLS when ``user`` is set)."""

    host: str
    port: int
    sender: str
    user: str = ""
    password: str = ""

    def send(self, message: Message) -> str:
        """See :meth:`Notifier.send`."""
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = self.sender, message.to, message.subject
        mail.set_content(message.text)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=10) as smtp:
                if self.user:
                    smtp.starttls()
                    smtp.login(self.user, self.password)
                smtp.send_message(mail)
        except (OSError, smtplib.SMTPException) as exc:
            raise Busy(f"the e-mail server cannot take the message: {exc}") from None
        return str(mail.get("Message-ID", ""))


@dataclass(slots=True)
class ChannelNotifier:
    """Routes each message to the gateway of its channel."""

    gateways: Mapping[str, Notifier]

    def send(self, message: Message) -> str:
        """See :meth:`Notifier.send`."""
        gateway = self.gateways.get(message.channel)
        if gateway is None:
            raise Unsupported(f"no {message.channel} gateway is configured")
        return gateway.send(message)
