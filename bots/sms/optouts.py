"""Who has opted out of SMS: the `opted_out` flag on each number's sms `ChannelIdentity`.

STOP from a number nobody knows yet still has to be remembered, so the identity (and a
client behind it, the one with that phone if there is one) is made on the spot.
"""
from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from core.booking import catalog
from core.db.models import ChannelIdentity, User
from core.db.session import UnitOfWork

CHANNEL = "sms"
log = logging.getLogger(__name__)


class OptOuts:
    """Reads and sets the opt-out flag of an E.164 number."""

    def __init__(self, session_factory: sessionmaker[Session]):
        self.session_factory = session_factory

    def is_opted_out(self, phone: str) -> bool:
        with UnitOfWork(self.session_factory) as uow:
            return bool(uow.session.scalar(select(ChannelIdentity.opted_out).where(
                ChannelIdentity.channel == CHANNEL, ChannelIdentity.external_id == phone)))

    def set(self, phone: str, opted_out: bool) -> bool:
        """Record the number's choice; returns what the flag was before."""
        for attempt in range(2):
            try:
                return self._set(phone, opted_out)
            except IntegrityError:  # someone made the same identity at the same moment: it exists now
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def _set(self, phone: str, opted_out: bool) -> bool:
        with UnitOfWork(self.session_factory, write=True) as uow:
            s = uow.session
            identity = s.scalar(select(ChannelIdentity).where(ChannelIdentity.channel == CHANNEL,
                                                              ChannelIdentity.external_id == phone))
            if identity is None:
                user_id = s.scalar(select(User.id).where(User.phone == phone))
                if user_id is None:
                    user = User(name="", role="client", phone=phone, last_channel=CHANNEL)
                    s.add(user)
                    s.flush()
                    user_id = user.id
                identity = catalog.link_identity(s, user_id=user_id, channel=CHANNEL, external_id=phone)
            before = bool(identity.opted_out)
            identity.opted_out = opted_out
            uow.commit()
        if before != opted_out:
            log.info("sms number %s opted %s", masked(phone), "out" if opted_out else "back in")
        return before


def masked(phone: str) -> str:
    """A number fit for a log line: "+44*******958"."""
    return phone[:3] + "*" * max(len(phone) - 6, 0) + phone[-3:]
