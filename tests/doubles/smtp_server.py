"""A real SMTP server on 127.0.0.1 (aiosmtpd), keeping what it receives for the test to read.

`SmtpDouble().start()` listens on a free port; `url` goes in SLOTLINE_SMTP_URL. Each message
received is kept as an `email.message.EmailMessage` (parsed with the `email` package, as a mail
client would) with its envelope. `refuse(address)` answers RCPT TO for that address with a
550, as a server does for a mailbox that does not exist. `credentials` makes it offer AUTH
and accept only that user and password (over plain SMTP: the test server is on this machine).
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.servers import free_port


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage
    raw: bytes


class SmtpDouble:
    def __init__(self, *, credentials: tuple[str, str] | None = None):
        self.received: list[Received] = []
        self.refused: set[str] = set()
        self.logins: list[str] = []
        self.credentials = credentials
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        user = f"{self.credentials[0]}:{self.credentials[1]}@" if self.credentials else ""
        return f"smtp://{user}127.0.0.1:{self._controller.port}"

    def refuse(self, address: str) -> None:
        self.refused.add(address.lower())

    def start(self) -> SmtpDouble:
        auth = dict(authenticator=self._authenticate, auth_require_tls=False) if self.credentials else {}
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=free_port(), **auth)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def messages_to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [r.message for r in self.received if address.lower() in (a.lower() for a in r.rcpt_tos)]

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.02)
        raise AssertionError(f"expected {count} messages, got {len(self.received)}")

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and \
            (auth_data.login.decode(), auth_data.password.decode()) == self.credentials
        if ok:
            self.logins.append(auth_data.login.decode())
        return AuthResult(success=ok)

    def _keep(self, envelope) -> None:
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self._lock:
            self.received.append(Received(envelope.mail_from, tuple(envelope.rcpt_tos), message, envelope.content))

    def __enter__(self) -> SmtpDouble:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class _Handler:
    def __init__(self, double: SmtpDouble):
        self.double = double

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.double.refused:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.double._keep(envelope)
        return "250 Message accepted for delivery"
