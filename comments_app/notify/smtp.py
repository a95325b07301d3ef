"""Sending one mail through the SMTP server COMMENTS_SMTP_URL names.

smtps:// is TLS from the first byte; smtp:// turns to TLS with STARTTLS when the server
offers it; a user in the address logs in, but never over a connection left unencrypted,
except to a relay on this machine (a loopback address or localhost), where no password
crosses a network. One connection per mail: the sender sends few
mails, and a connection kept open would only go stale between them. Every failure (a
refused connection, a timeout, TLS, a refused login, sender, recipient or message) is
answered as a short reason for the log, never raised, and a reason never holds the user,
the password or an address: not even the server's own words, which often repeat them.
"""

from __future__ import annotations

import ipaddress
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Any

from ..config import SmtpServer

TIMEOUT = 10.0
UNENCRYPTED = "the server offers no STARTTLS: the password is not sent unencrypted"


class Refusal(str):
    """A reason the server gave for good (a 5xx answer to the recipients or to the message):
    sending the same mail again would be refused again."""


class Smtp:
    """Send mails through one SMTP server."""

    def __init__(
        self,
        server: SmtpServer,
        context: ssl.SSLContext | None = None,
        timeout: float = TIMEOUT,
        log: Any = None,
    ) -> None:
        self.server = server
        self.timeout = timeout
        # Where a refusal of some recipients is told (a logging.Logger); None: nowhere.
        self.log = log
        # The system's trusted authorities and host name checks; tests hand their own.
        self.context = context or ssl.create_default_context()

    def __repr__(self) -> str:
        scheme = "smtps" if self.server.secure else "smtp"
        return f"Smtp({scheme}://{self.server.host}:{self.server.port})"

    def send(self, message: EmailMessage) -> str | None:
        """Send a mail to the recipients its headers name; return None when the server took
        it (for at least one of them), else why not."""
        try:
            with self._connect() as conn:
                encrypted = self._secure(conn)
                if self.server.user:
                    if not (encrypted or plain_login_allowed(self.server.host)):
                        return UNENCRYPTED
                    conn.login(self.server.user, self.server.password)
                refused = conn.send_message(message)
        except (smtplib.SMTPException, OSError, UnicodeError) as error:
            return why(error, self.timeout)
        # A refusal of some recipients only still delivered the mail to the others: sending
        # it again would repeat it to them, so it is told, not retried.
        if refused and self.log is not None:
            self.log.warning("mail: %s; the others got the mail", partly_refused(refused, message))
        return None

    def _connect(self) -> smtplib.SMTP:
        server = self.server
        if server.secure:
            return smtplib.SMTP_SSL(server.host, server.port, timeout=self.timeout, context=self.context)
        return smtplib.SMTP(server.host, server.port, timeout=self.timeout)

    def _secure(self, conn: smtplib.SMTP) -> bool:
        """Turn to TLS when the server offers STARTTLS (smtp://; smtps:// is TLS already);
        return whether the connection is encrypted."""
        if self.server.secure:
            return True
        conn.ehlo()
        if not conn.has_extn("starttls"):
            return False
        conn.starttls(context=self.context)
        conn.ehlo()
        return True


def plain_login_allowed(host: str) -> bool:
    """Tell whether a password may go unencrypted to a host: only to one on this machine
    (127.0.0.0/8, ::1 or localhost), a local relay; any other path crosses a network."""
    name = host.strip().strip("[]").rstrip(".").lower()
    if name == "localhost":
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback


def partly_refused(refused: dict, message: EmailMessage) -> str:
    """Say how many recipients the server refused, of how many, and its codes: no address."""
    # The recipients as send_message finds them: the To, Cc and Bcc headers.
    headers = [str(value) for field in ("To", "Cc", "Bcc") for value in message.get_all(field, [])]
    named = getaddresses(headers)
    codes = sorted({code for code, _ in refused.values()})
    return f"the server refused {len(refused)} of {len(named)} recipients ({', '.join(map(str, codes))})"


def why(error: Exception, timeout: float = TIMEOUT) -> str:
    """Say why a mail was not sent: the kind of failure and the server's code, no more."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _ in error.recipients.values()})
        reason = f"the server refused every recipient ({', '.join(map(str, codes))})"
        return Refusal(reason) if codes and all(code >= 500 for code in codes) else reason
    if isinstance(error, smtplib.SMTPSenderRefused):
        return f"the server refused the sender ({error.smtp_code})"
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return f"the server refused the login ({error.smtp_code})"
    if isinstance(error, smtplib.SMTPDataError):
        reason = f"the server refused the message ({error.smtp_code})"
        return Refusal(reason) if error.smtp_code >= 500 else reason
    if isinstance(error, smtplib.SMTPConnectError | smtplib.SMTPHeloError):
        return f"the server refused the connection ({error.smtp_code})"
    if isinstance(error, smtplib.SMTPResponseException):
        return f"the server answered {error.smtp_code}"
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return "the server does not offer what was asked (AUTH for a login)"
    if isinstance(error, smtplib.SMTPServerDisconnected):
        # smtplib says a timeout waiting for an answer as a disconnection.
        if isinstance(error.__context__, TimeoutError):
            return f"no answer within {timeout:g} s"
        return "the server closed the connection"
    if isinstance(error, ssl.SSLError):
        return f"TLS failed: {error.reason or type(error).__name__}"
    if isinstance(error, TimeoutError):
        return f"no answer within {timeout:g} s"
    if isinstance(error, OSError):
        return error.strerror or type(error).__name__
    if isinstance(error, UnicodeError):
        # smtplib sends the login in ASCII; the error would quote a piece of the password.
        return "the login or an address holds characters the server was not offered"
    return type(error).__name__
