"""Who has opted out of SMS, as the SMS channel asks it: by E.164 number.

The record itself is the client's (`core.booking.clients`): the `opted_out` flag of the number's
sms identity. STOP from a number nobody knows yet still has to be remembered, so that one is
recorded for a stranger too (a client with that phone is made on the spot).
"""
from __future__ import annotations

import logging

from sqlalchemy.orm import Session, sessionmaker

from core.booking import clients

CHANNEL = clients.SMS
log = logging.getLogger(__name__)


class OptOuts:
    """Reads and sets the opt-out flag of an E.164 number."""

    def __init__(self, session_factory: sessionmaker[Session]):
        self.session_factory = session_factory

    def is_opted_out(self, phone: str) -> bool:
        """True when the number said STOP (or Twilio told us it did) and has not said START since."""
        return clients.is_opted_out(self.session_factory, CHANNEL, phone)

    def set(self, phone: str, opted_out: bool) -> bool:
        """Record the number's choice; returns what the flag was before."""
        before = bool(clients.set_opt_out(self.session_factory, CHANNEL, phone, opted_out, remember_stranger=True))
        if before != opted_out:
            log.info("sms number %s opted %s", masked(phone), "out" if opted_out else "back in")
        return before


def masked(phone: str) -> str:
    """A number fit for a log line: "+44*******958"."""
    return phone[:3] + "*" * max(len(phone) - 6, 0) + phone[-3:]
