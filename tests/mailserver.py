"""A real SMTP server for the tests (aiosmtpd, in the test's process, on a port the system
picks): it keeps every mail it is given, refuses one address for good (REFUSED), can
answer "try again later" (refuse) and can hold its answers (a gate) to show that no
request waits for a mail."""

from __future__ import annotations

import email
import threading
import time
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller

# An address the server refuses for good (5xx), as it would one that is no more.
REFUSED = "gone@example.org"


@dataclass
class Mail:
    """A mail as the server got it: its envelope, its bytes, how it came."""

    sender: str
    recipients: list[str]
    content: bytes
    tls: bool = False
    authenticated: bool = False
    at: float = field(default_factory=time.monotonic)

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.content, policy=policy.default)

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def part(self, kind: str) -> str:
        """Return the text/plain or text/html part's text."""
        return self.message.get_body(preferencelist=(kind,)).get_content()


class Inbox:
    """aiosmtpd's handler: keeps each mail; while the gate is closed, DATA waits for it;
    while refuse is true, every mail is answered "try again later", and counted."""

    def __init__(self) -> None:
        self.mails: list[Mail] = []
        self.gate = threading.Event()
        self.gate.set()
        self.refuse = False
        self.refused = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == REFUSED:
            # As real servers answer: the address repeated in the refusal.
            return f"550 5.1.1 <{address}>: Recipient address rejected"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            self.refused += 1
            return "451 4.3.0 Try again later"
        # aiosmtpd runs handlers on its own loop thread: waiting here holds that one mail.
        self.gate.wait(15)
        tls = session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None
        mail = Mail(
            envelope.mail_from, list(envelope.rcpt_tos), envelope.content, tls, bool(session.authenticated)
        )
        self.mails.append(mail)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Mail]:
        return [mail for mail in self.mails if address in mail.recipients]


class MailServer(Controller):
    """aiosmtpd's Controller on a port the system picks (port=0), with an Inbox of its own
    unless given one; other options (TLS, AUTH) as aiosmtpd's."""

    def __init__(self, inbox: Inbox | None = None, **options) -> None:
        self.inbox = inbox or Inbox()
        super().__init__(self.inbox, hostname="127.0.0.1", port=0, **options)

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
