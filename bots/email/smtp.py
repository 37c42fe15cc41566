"""Handing one message to the SMTP server named by `SLOTLINE_SMTP_URL`, with the standard library's smtplib.

`smtp://user:pass@host:port` (port 587 unless given) upgrades to TLS with STARTTLS whenever
the server offers it; `smtps://host:port` (465 unless given) is TLS from the first byte. The
user and password are percent-decoded, so `p%40ss` is `p@ss`. A password is never sent over a
connection that is not encrypted, except to a server on this machine (a local relay, a test
server). One connection a message: the worker sends a few messages a minute, not thousands.

What the server says becomes a `SendFailed`: a 5xx refusal is permanent (the address does not
exist, the message is refused); a 4xx, a timeout or a refused connection is transient.
"""
from __future__ import annotations

import ipaddress
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from core.notifications.sender import SendFailed

DEFAULT_PORTS = {"smtp": 587, "smtps": 465}


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    implicit_tls: bool
    username: str | None = None
    password: str | None = None

    @classmethod
    def parse(cls, url: str) -> SmtpServer:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in DEFAULT_PORTS or not parts.hostname:
            raise ValueError("SLOTLINE_SMTP_URL must look like smtp://user:pass@host:587 or smtps://host:465")
        return cls(host=parts.hostname, port=parts.port or DEFAULT_PORTS[scheme], implicit_tls=scheme == "smtps",
                   username=unquote(parts.username) if parts.username else None,
                   password=unquote(parts.password) if parts.password else None)

    @property
    def local(self) -> bool:
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    def __repr__(self) -> str:  # never the password, in a log line or a traceback
        scheme = "smtps" if self.implicit_tls else "smtp"
        return f"SmtpServer({scheme}://{self.username + '@' if self.username else ''}{self.host}:{self.port})"


class Smtp:
    """Sends `EmailMessage`s through one SMTP server. Raises `SendFailed`."""

    def __init__(self, server: SmtpServer, *, timeout: float = 10.0, tls: ssl.SSLContext | None = None):
        self.server, self.timeout = server, timeout
        self.tls = tls or ssl.create_default_context()

    def send(self, message: EmailMessage) -> None:
        try:
            with self._connect() as smtp:
                self._log_in(smtp)
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()), (0, b""))
            raise _refused("the recipient", code, text) from exc
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            raise _refused("the message", exc.smtp_code, exc.smtp_error) from exc
        except smtplib.SMTPAuthenticationError as exc:
            raise SendFailed(f"the mail server refused our login: {exc.smtp_code}") from exc
        except (smtplib.SMTPException, OSError) as exc:  # a refused or dropped connection, a timeout, TLS
            raise SendFailed(f"the mail server {self.server.host}:{self.server.port} could not be reached: "
                             f"{type(exc).__name__}: {exc}") from exc

    def _connect(self) -> smtplib.SMTP:
        server = self.server
        if server.implicit_tls:
            return smtplib.SMTP_SSL(server.host, server.port, timeout=self.timeout, context=self.tls)
        smtp = smtplib.SMTP(server.host, server.port, timeout=self.timeout)
        try:
            smtp.ehlo()
            if smtp.has_extn("starttls"):
                smtp.starttls(context=self.tls)
                smtp.ehlo()
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _log_in(self, smtp: smtplib.SMTP) -> None:
        server = self.server
        if not server.username:
            return
        encrypted = server.implicit_tls or getattr(smtp, "sock", None) is not None and \
            isinstance(smtp.sock, ssl.SSLSocket)
        if not encrypted and not server.local:
            raise SendFailed(f"{server.host} offers no STARTTLS: not sending the SMTP password unencrypted "
                             "(use smtps:// or a server that offers STARTTLS)")
        smtp.login(server.username, server.password or "")


def _refused(what: str, code: int, text: bytes | str) -> SendFailed:
    said = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    return SendFailed(f"the mail server refused {what}: {code} {said}"[:300], permanent=500 <= code < 600)
