"""Sending a mail through a real SMTP server (aiosmtpd, in this process): plain, with a
login, over STARTTLS and smtps://; every failure is a reason for the log that never holds
the password, the user or an address."""

from __future__ import annotations

import logging
import socket
import ssl
import subprocess
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from comments_app.config import SmtpServer, parse_smtp_url
from comments_app.notify.smtp import Refusal, Smtp, plain_login_allowed

from ..mailserver import REFUSED, Inbox, MailServer

USER = "mailer-user"
PASSWORD = "s3cret-Passw0rd"


def authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == USER
    # handled=False: aiosmtpd answers a refusal itself (535).
    return AuthResult(success=ok and auth_data.password.decode() == PASSWORD, handled=False)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    """Make a self-signed certificate for 127.0.0.1 (an EC key: quick to make)."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1"),
            *("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"),
            *("-keyout", str(key), "-out", str(cert), "-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture(scope="module")
def trusted(certificate) -> ssl.SSLContext:
    """A client's context that trusts the test certificate, host name checked."""
    return ssl.create_default_context(cafile=str(certificate[0]))


def server_context(certificate) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*map(str, certificate))
    return context


def start(inbox: Inbox, **options) -> MailServer:
    server = MailServer(inbox, authenticator=authenticate, auth_require_tls=False, **options)
    server.start()
    return server


@pytest.fixture(scope="module")
def plain():
    """A server that offers AUTH and no STARTTLS."""
    inbox = Inbox()
    server = start(inbox)
    yield server, inbox
    server.stop()


@pytest.fixture(scope="module")
def starttls(certificate):
    """A server that offers STARTTLS."""
    inbox = Inbox()
    server = start(inbox, tls_context=server_context(certificate))
    yield server, inbox
    server.stop()


@pytest.fixture(scope="module")
def smtps(certificate):
    """A server that speaks TLS from the first byte."""
    inbox = Inbox()
    server = start(inbox, ssl_context=server_context(certificate))
    yield server, inbox
    server.stop()


def mail(*to: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "comments@example.org"
    message["To"] = ", ".join(to)
    message["Subject"] = "Hello"
    message.set_content("Hello there")
    return message


def smtp_of(url: str, context: ssl.SSLContext | None = None, timeout: float = 5.0) -> Smtp:
    return Smtp(parse_smtp_url(url), context=context, timeout=timeout)


def assert_secret_free(reason: str | None) -> None:
    assert reason
    for secret in (PASSWORD, USER, REFUSED, "alice@example.org", "gone"):
        assert secret not in reason


def test_a_mail_is_delivered(plain):
    server, inbox = plain
    assert smtp_of(f"smtp://127.0.0.1:{server.port}").send(mail("alice@example.org")) is None
    got = inbox.mails[-1]
    assert (got.sender, got.recipients, got.tls, got.authenticated) == (
        "comments@example.org",
        ["alice@example.org"],
        False,
        False,
    )
    assert b"Hello there" in got.content


def test_a_user_logs_in(plain):
    server, inbox = plain
    url = f"smtp://{USER}:{PASSWORD}@127.0.0.1:{server.port}"
    assert smtp_of(url).send(mail("alice@example.org")) is None
    assert inbox.mails[-1].authenticated


def test_a_wrong_password_is_a_reason_without_the_login(plain):
    server, inbox = plain
    count = len(inbox.mails)
    reason = Smtp(SmtpServer(False, "127.0.0.1", server.port, USER, PASSWORD + "x")).send(
        mail("alice@example.org")
    )
    assert reason == "the server refused the login (535)"
    assert_secret_free(reason)
    assert len(inbox.mails) == count


def test_a_refused_recipient_is_a_refusal_without_the_address(plain):
    server, _ = plain
    reason = smtp_of(f"smtp://{USER}:{PASSWORD}@127.0.0.1:{server.port}").send(mail(REFUSED))
    assert isinstance(reason, Refusal)
    assert reason == "the server refused every recipient (550)"
    assert_secret_free(reason)


def test_the_others_get_the_mail_when_one_recipient_is_refused(plain):
    server, inbox = plain
    assert smtp_of(f"smtp://127.0.0.1:{server.port}").send(mail("alice@example.org", REFUSED)) is None
    assert inbox.mails[-1].recipients == ["alice@example.org"]


def test_a_partial_refusal_is_logged_without_the_address(plain, caplog):
    server, inbox = plain
    log = logging.getLogger("test_smtp.partial")
    smtp = Smtp(parse_smtp_url(f"smtp://127.0.0.1:{server.port}"), timeout=5.0, log=log)
    with caplog.at_level(logging.WARNING, logger=log.name):
        assert smtp.send(mail("alice@example.org", REFUSED, "bob@example.org")) is None
    assert inbox.mails[-1].recipients == ["alice@example.org", "bob@example.org"]
    said = [record.getMessage() for record in caplog.records if record.name == log.name]
    assert said == ["mail: the server refused 1 of 3 recipients (550); the others got the mail"]
    assert_secret_free(said[0])


def test_a_refused_connection_is_a_reason_without_the_password():
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    reason = smtp_of(f"smtp://{USER}:{PASSWORD}@127.0.0.1:{port}").send(mail("alice@example.org"))
    assert reason == "Connection refused"
    assert_secret_free(reason)


def test_a_silent_server_is_a_timeout():
    # Listening, never answering: the greeting never comes.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        reason = smtp_of(f"smtp://{USER}:{PASSWORD}@127.0.0.1:{port}", timeout=0.2).send(
            mail("alice@example.org")
        )
    assert reason == "no answer within 0.2 s"


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        *(("127.0.0.1", True), ("127.3.2.1", True), ("::1", True), ("[::1]", True)),
        *(("localhost", True), ("LocalHost.", True)),
        *(("mail.example.org", False), ("192.0.2.2", False), ("10.0.0.1", False), ("0.0.0.0", False)),
        *(("::", False), ("localhost.example.org", False), ("127.0.0.1.example.org", False), ("", False)),
    ],
)
def test_a_plain_login_is_allowed_only_to_a_loopback_relay(host, allowed):
    assert plain_login_allowed(host) is allowed


# A host this machine's connections reach (Linux takes 0.0.0.0 as this host) that is neither
# a loopback address nor a loopback name: to the rule, a server elsewhere.
ELSEWHERE = "0.0.0.0"


def test_no_password_goes_unencrypted_to_a_server_off_this_machine(plain):
    server, inbox = plain
    inbox.mails.clear()
    url = f"smtp://{USER}:{PASSWORD}@{ELSEWHERE}:{server.port}"
    reason = smtp_of(url).send(mail("alice@example.org"))
    assert reason == "the server offers no STARTTLS: the password is not sent unencrypted"
    assert_secret_free(reason)
    assert inbox.mails == []
    # Without a user there is no password to keep: the mail goes.
    assert smtp_of(f"smtp://{ELSEWHERE}:{server.port}").send(mail("alice@example.org")) is None
    assert [(got.tls, got.authenticated) for got in inbox.mails] == [(False, False)]


def test_starttls_is_used_when_offered(starttls, trusted):
    server, inbox = starttls
    url = f"smtp://{USER}:{PASSWORD}@127.0.0.1:{server.port}"
    assert smtp_of(url, trusted).send(mail("alice@example.org")) is None
    assert inbox.mails[-1].tls
    assert inbox.mails[-1].authenticated


def test_an_untrusted_certificate_is_a_reason_and_no_login(starttls):
    server, inbox = starttls
    count = len(inbox.mails)
    # The system's authorities do not know the test's certificate.
    reason = smtp_of(f"smtp://{USER}:{PASSWORD}@127.0.0.1:{server.port}").send(mail("alice@example.org"))
    assert reason == "TLS failed: CERTIFICATE_VERIFY_FAILED"
    assert_secret_free(reason)
    assert len(inbox.mails) == count


def test_smtps_is_tls_from_the_first_byte(smtps, trusted):
    server, inbox = smtps
    url = f"smtps://{USER}:{PASSWORD}@127.0.0.1:{server.port}"
    assert smtp_of(url, trusted).send(mail("alice@example.org")) is None
    assert inbox.mails[-1].tls
    assert inbox.mails[-1].authenticated


def test_the_password_is_not_in_the_repr(plain):
    server, _ = plain
    smtp = smtp_of(f"smtp://{USER}:{PASSWORD}@127.0.0.1:{server.port}")
    assert PASSWORD not in repr(smtp) and PASSWORD not in repr(smtp.server)
