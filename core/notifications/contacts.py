"""Where a person can be reached: the chats they have used, and the phone and email on file.

Contact details on file are channels of their own: a phone is reached by SMS and an email
address by email, though the person never wrote from either. Opt-outs are kept per channel and
per address, as the `opted_out` flag of the address's `ChannelIdentity`: STOP, an email
unsubscribe, a bot the person blocked. Recording them, like every other write to who a person
is, is `core.booking.clients`'s; this module only reads.

Who hears on what (`Reach.order`): the person's preferred channel, else the channel they last
talked on, else SMS, else email; then any other chat they have used, newest first.

A provider is reached as a person too (`provider_reach`): their Slack user id is an address on
the Slack channel, as a phone on file is one on SMS, then whatever their own user has used.
Which of those a provider's messages may take is the sender's say (`Sender.agendas`).
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from core.booking.clients import EMAIL, SMS
from core.db.models import ChannelIdentity, Provider, User

SLACK = "slack"  # the channel Provider.slack_user_id is an address on

# Moved to `core.booking.clients` (the writes to who a person is); these names stay only until
# the callers not yet moved (core/conversation/contact_flow.py, webhooks/unsubscribe.py,
# webhooks/api/users.py, bots/telegram/channel.py) call `clients` themselves.
from core.booking.clients import prefer, reachable_again, set_opt_out, update_details  # noqa: E402,F401


@dataclass(frozen=True)
class Address:
    """One way to reach a person: a channel and that channel's id for them (chat id, E.164, address)."""

    channel: str
    recipient: str
    opted_out: bool = False


@dataclass(frozen=True)
class Reach:
    user_id: int
    preferred: str | None
    last: str | None
    addresses: tuple[Address, ...]  # on file first, then identities newest first

    def order(self) -> list[str]:
        """The channels to try, best first."""
        first = [c for c in (self.preferred, self.last, SMS, EMAIL) if c]
        return list(dict.fromkeys(first + [a.channel for a in self.addresses]))

    def at(self, channel: str) -> list[Address]:
        return [a for a in self.addresses if a.channel == channel]


def reach(s: Session, user_id: int) -> Reach | None:
    """How `user_id` can be reached (opted-out addresses included, flagged); None when there is no such user.

    Someone booked for by another client ("for me and my son") with no address of their own is
    reached through the booker: their messages go to the booker's channels."""
    user = s.get(User, user_id)
    if user is None:
        return None
    if user.booker_id is not None and not (user.phone or user.email or user.identities):
        booker = reach(s, user.booker_id)
        return Reach(user.id, booker.preferred, booker.last, booker.addresses) if booker is not None else None
    on_file = [(channel, value) for channel, value in ((SMS, user.phone), (EMAIL, user.email)) if value]
    mine = ChannelIdentity.user_id == user_id
    theirs = [and_(ChannelIdentity.channel == c, ChannelIdentity.external_id == v) for c, v in on_file]
    rows = list(s.scalars(select(ChannelIdentity).where(or_(mine, *theirs)).order_by(ChannelIdentity.id.desc())))
    flags = {(r.channel, r.external_id): bool(r.opted_out) for r in rows}
    addresses = [Address(c, v, flags.get((c, v), False)) for c, v in on_file]
    addresses += [Address(r.channel, r.external_id, bool(r.opted_out)) for r in rows
                  if (r.channel, r.external_id) not in on_file]
    return Reach(user.id, user.preferred_channel, user.last_channel, tuple(addresses))


def provider_reach(s: Session, provider_id: int) -> tuple[Address, ...] | None:
    """How a provider can be reached: their Slack user first, then their own user's addresses; None
    when there is no such provider. Opt-outs are read as for anyone (`ChannelIdentity.opted_out`)."""
    provider = s.get(Provider, provider_id)
    if provider is None:
        return None
    own = reach(s, provider.user_id) if provider.user_id is not None else None
    addresses = list(own.addresses) if own is not None else []
    if provider.slack_user_id:
        opted = s.scalar(select(ChannelIdentity.opted_out).where(ChannelIdentity.channel == SLACK,
                                                                 ChannelIdentity.external_id == provider.slack_user_id))
        addresses = [Address(SLACK, provider.slack_user_id, bool(opted)),
                     *(a for a in addresses if (a.channel, a.recipient) != (SLACK, provider.slack_user_id))]
    return tuple(addresses)
