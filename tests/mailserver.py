"""A real SMTP server for the tests (aiosmtpd, in the test's process, on a port the system
picks): it keeps every mail it is given, parsed, and can hold its answers (a gate) to
show that no request waits for a mail."""

from __future__ import annotations

import email
import threading
import time
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


@dataclass
class Mail:
    """A mail as the server got it: its envelope and its parsed message."""

    sender: str
    recipients: list[str]
    message: EmailMessage
    at: float

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def part(self, kind: str) -> str:
        """Return the text/plain or text/html part's text."""
        return self.message.get_body(preferencelist=(kind,)).get_content()


class Inbox:
    """aiosmtpd's handler: keeps each mail; while the gate is closed, DATA waits for it."""

    def __init__(self) -> None:
        self.mails: list[Mail] = []
        self.gate = threading.Event()
        self.gate.set()
        # While refuse is true, every mail is answered "try again later", and counted.
        self.refuse = False
        self.refused = 0

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            self.refused += 1
            return "451 4.3.0 Try again later"
        # aiosmtpd runs handlers on its own loop thread: waiting here holds that one mail.
        self.gate.wait(15)
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.mails.append(Mail(envelope.mail_from, list(envelope.rcpt_tos), message, time.monotonic()))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Mail]:
        return [mail for mail in self.mails if address in mail.recipients]


class MailServer(Controller):
    """aiosmtpd's Controller on a port the system picks (port=0)."""

    def __init__(self) -> None:
        self.inbox = Inbox()
        super().__init__(self.inbox, hostname="127.0.0.1", port=0)

    def _trigger_server(self) -> None:
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def wait_for(self, count: int, seconds: float = 15, address: str | None = None) -> list[Mail]:
        """Return the mails (to address) once there are count of them, or what there is after seconds."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            found = self.inbox.to(address) if address else list(self.inbox.mails)
            if len(found) >= count:
                return found
            time.sleep(0.02)
        return self.inbox.to(address) if address else list(self.inbox.mails)
