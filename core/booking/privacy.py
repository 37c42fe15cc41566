"""A person's right to see what is held about them, and to have it erased.

`export(user_id)`: everything held about one user as plain JSON (camelCase): their profile, chat
identities, the people they booked for, the providers linked to them, appointments (as client,
and as provider when linked), the notifications meant for them, waiting-list entries and offers,
series, calendar feeds (never their secrets), API tokens (never their hashes), the audit entries
about them, their appointments, waiting-list entries and tokens or made with their tokens, and what
Redis holds (conversation state, web chat inbox).

`erase(user_id)`: their name becomes "Erased client #<id>"; phone, email, time zone and channel
choices go; their chat identities, calendar feeds and Redis traces are deleted; their API tokens are
revoked (and lose their names, which may name them); open waiting-list
entries are left (an offer out passes on). Appointments are kept, so the business's figures stay
right, but anonymised: notes and cancellation reasons cleared (confirmation codes kept); the
texts of notifications and audit entries about them lose any name, number, address or chat id of
theirs, and reminders still to go are cancelled. People they booked for with no contact of their
own are erased with them; others are only unlinked. One audit entry records the erasure, without
the erased data. A provider with active appointments still to come is refused; erasing again
changes nothing.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from core.booking import audit, errors
from core.booking.access import user_actors
from core.booking.offers import Offers
from core.booking.privacy_redis import Identity, RedisTraces
from core.booking.privacy_rows import (
    appointment_out, audit_out, instant, notification_out, series_out, token_out, waitlist_out,
)
from core.booking.privacy_scrub import (
    anonymise, expire_passed, revoke_tokens, scrub_audit, scrub_notifications, scrub_profile, scrub_provider,
)
from core.booking.service import BookingService
from core.db.models import (
    ACTIVE_STATUSES, ApiToken, Appointment, AppointmentSeries, AuditEntry, CalendarFeed, ChannelIdentity, Notification,
    Provider, User, WaitlistEntry, WaitlistOffer,
)
from core.db.session import UnitOfWork

ACTOR = "privacy"


class ErasureRefused(errors.BookingError):
    """The person cannot be erased yet (a provider with appointments still to come)."""

    code = "erasure_refused"


@dataclass
class Erasure:
    """What one erasure removed; every count 0 when the person had been erased already."""

    user_id: int
    name: str  # what they are called from now on
    removed: dict[str, int] = field(default_factory=dict)
    dependants_erased: list[int] = field(default_factory=list)
    dependants_unlinked: list[int] = field(default_factory=list)

    @property
    def anything(self) -> bool:
        return any(self.removed.values()) or bool(self.dependants_erased or self.dependants_unlinked)

    def to_dict(self) -> dict:
        return {"userId": self.user_id, "name": self.name, "removed": self.removed,
                "dependantsErased": self.dependants_erased, "dependantsUnlinked": self.dependants_unlinked}


def erased_name(user: User) -> str:
    return f"Erased {'provider' if user.role == 'provider' else 'client'} #{user.id}"


class Privacy:
    """Export and erasure of one user, over the booking core and (when there is one) Redis."""

    def __init__(self, booking: BookingService, traces: RedisTraces | None = None):
        self.booking, self.traces = booking, traces
        self.session_factory = booking.session_factory
        self.clock: Callable[[], datetime] = booking.clock

    # -- export --------------------------------------------------------------------------------

    def export(self, user_id: int, *, actor: str = "admin") -> dict:
        """Everything held about the user, as JSON-ready data; NotFound for an unknown id. Who exported
        it is recorded in the audit log (after the export is read, so it is not in it)."""
        with UnitOfWork(self.session_factory) as uow:
            s = uow.session
            user = _user(s, user_id)
            found = _Found.of(s, user)
            out = {
                "exportedAt": instant(self.clock()),
                "user": _profile(user),
                "identities": [{"channel": i.channel, "externalId": i.external_id, "optedOut": i.opted_out}
                               for i in found.identities],
                "bookedFor": [{"id": d.id, "name": d.name} for d in found.dependants],
                "providers": [{"id": p.id, "name": p.name, "email": p.email, "slackUserId": p.slack_user_id,
                               "timezone": p.timezone, "active": p.active} for p in found.providers],
                "appointments": [appointment_out(a, "client") for a in found.appointments]
                + [appointment_out(a, "provider") for a in found.provided],
                "series": [series_out(x) for x in s.scalars(select(AppointmentSeries).where(
                    AppointmentSeries.client_id == user_id).order_by(AppointmentSeries.id))],
                "notifications": [notification_out(n) for n in s.scalars(select(Notification).where(
                    Notification.user_id == user_id).order_by(Notification.id))],
                "waitlist": [waitlist_out(e, _offers(s, e.id)) for e in found.entries],
                "calendarFeeds": [{"id": f.id, "ownerKind": f.owner_kind, "createdAt": instant(f.created_at),
                                   "revokedAt": instant(f.revoked_at)} for f in _feeds(s, user_id, found.providers)],
                "apiTokens": [token_out(t) for t in found.tokens],
                "audit": [audit_out(a) for a in _audit(s, found)],
            }
        out.update(self.traces.export(found.redis_identities) if self.traces is not None
                   else {"conversations": [], "webChatInbox": []})
        with UnitOfWork(self.session_factory, write=True) as uow:
            audit.record(uow.session, actor, "export", "user", user_id, at=self.clock())
            uow.commit()
        return out

    # -- erasure -------------------------------------------------------------------------------

    def erase(self, user_id: int, *, actor: str = "admin") -> Erasure:
        """Erase the user (see the module's docstring); ErasureRefused for a provider with appointments to come."""
        with UnitOfWork(self.session_factory) as uow:
            s = uow.session
            user = _user(s, user_id)
            self._refuse_busy_provider(s, user)
            open_entries = [e.id for e in _Found.of(s, user).entries if e.status in ("waiting", "offered")]
            dependants = list(s.scalars(select(User).where(User.booker_id == user_id).order_by(User.id)))
            alone = [d.id for d in dependants if not (d.phone or d.email or d.identities)]
        left = self._leave_waitlist(open_entries)
        erasure = self._erase_one(user_id)
        erasure.removed["waitlistEntriesLeft"] = left
        done = [erasure] + [self._erase_one(dependant) for dependant in alone]
        erasure.dependants_erased = alone
        erasure.dependants_unlinked = [d.id for d in dependants if d.id not in alone]
        with UnitOfWork(self.session_factory, write=True) as uow:
            uow.session.execute(update(User).where(User.booker_id == user_id).values(booker_id=None))
            for one in done:  # what went, never what it was
                if one.anything:
                    details = {"removed": one.removed, "dependantsErased": one.dependants_erased}
                    if one is not erasure:
                        details["bookedBy"] = user_id
                    uow.session.add(AuditEntry(at=self.clock(), actor=actor, action="erase", entity="user",
                                               entity_id=one.user_id, details=details))
            uow.commit()
        return erasure

    def _refuse_busy_provider(self, s: Session, user: User) -> None:
        provider_ids = [p.id for p in s.scalars(select(Provider).where(Provider.user_id == user.id))]
        if not provider_ids:
            return
        ahead = s.scalar(select(Appointment.id).where(
            Appointment.provider_id.in_(provider_ids), Appointment.status.in_(ACTIVE_STATUSES),
            Appointment.end_at > self.clock()).limit(1))
        if ahead is not None:
            raise ErasureRefused(f"user {user.id} is a provider with appointments still to come: cancel or move "
                                 "them to another provider first, then erase")

    def _leave_waitlist(self, entry_ids: Iterable[int]) -> int:
        """Open entries leave the list the usual way (an offer out to one passes on); passed windows expire."""
        now, left, offers = self.clock(), 0, Offers(self.booking)
        for entry_id in entry_ids:
            with UnitOfWork(self.session_factory) as uow:
                entry = uow.session.get(WaitlistEntry, entry_id)
            if entry.window_end > now:
                offers.leave(entry_id)
                left += 1
        return left

    def _erase_one(self, user_id: int) -> Erasure:
        with UnitOfWork(self.session_factory, write=True) as uow:
            s = uow.session
            user = _user(s, user_id)
            found = _Found.of(s, user)
            needles, traced = found.needles(), found.redis_identities  # before the profile loses them
            erasure = Erasure(user_id, erased_name(user))
            removed = erasure.removed
            # Redis first: if it is away, nothing is committed and erasing again finds everything still.
            removed["redisKeys"] = self.traces.forget(traced) if self.traces is not None else 0
            removed["profileFields"] = scrub_profile(user, erasure.name)
            removed["identities"] = len(found.identities)
            for identity in found.identities:
                s.delete(identity)
            removed["providerProfiles"] = sum(scrub_provider(p) for p in found.providers)
            removed["appointmentsAnonymised"] = sum(anonymise(a) for a in found.appointments)
            removed["waitlistEntriesExpired"] = expire_passed(s, user_id, self.clock())
            removed["apiTokensRevoked"] = revoke_tokens(found.tokens, self.clock())
            removed["calendarFeeds"] = s.execute(delete(CalendarFeed).where(
                CalendarFeed.id.in_([f.id for f in _feeds(s, user_id, found.providers)]))).rowcount or 0
            removed["notificationsCancelled"], removed["notificationTextsScrubbed"] = scrub_notifications(
                s, user_id, found.appointment_ids, needles, self.clock())
            removed["auditTextsScrubbed"] = sum(scrub_audit(a, needles) for a in _audit(s, found))
            uow.commit()
        return erasure


@dataclass
class _Found:
    """A user's rows that erasure and export both walk."""

    user: User
    identities: list[ChannelIdentity]
    providers: list[Provider]
    appointments: list[Appointment]  # as client
    provided: list[Appointment]  # as provider
    entries: list[WaitlistEntry]
    dependants: list[User]
    tokens: list[ApiToken]

    @classmethod
    def of(cls, s: Session, user: User) -> _Found:
        providers = list(s.scalars(select(Provider).where(Provider.user_id == user.id).order_by(Provider.id)))
        provided = list(s.scalars(select(Appointment).where(Appointment.provider_id.in_([p.id for p in providers]))
                                  .order_by(Appointment.start_at, Appointment.id))) if providers else []
        return cls(
            user=user,
            identities=list(s.scalars(select(ChannelIdentity).where(ChannelIdentity.user_id == user.id)
                                      .order_by(ChannelIdentity.id))),
            providers=providers,
            appointments=list(s.scalars(select(Appointment).where(Appointment.client_id == user.id)
                                        .order_by(Appointment.start_at, Appointment.id))),
            provided=provided,
            entries=list(s.scalars(select(WaitlistEntry).where(WaitlistEntry.client_id == user.id)
                                   .order_by(WaitlistEntry.id))),
            dependants=list(s.scalars(select(User).where(User.booker_id == user.id).order_by(User.id))),
            tokens=list(s.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id))))

    @property
    def appointment_ids(self) -> list[int]:
        return [a.id for a in self.appointments]

    @property
    def redis_identities(self) -> list[Identity]:
        """Every (channel, sender) a conversation or counter of theirs may be keyed by."""
        found = [Identity(i.channel, i.external_id) for i in self.identities]
        if self.user.phone:
            found.append(Identity("sms", self.user.phone))
        if self.user.email:
            found.append(Identity("email", self.user.email))
        found += [Identity("slack", p.slack_user_id) for p in self.providers if p.slack_user_id]
        return list(dict.fromkeys(found))

    def needles(self) -> list[str]:
        """What must not be left in any stored text: their name, number, address and chat ids."""
        words = [self.user.name, self.user.phone, self.user.email, *(i.external_id for i in self.identities)]
        words += [w for p in self.providers for w in (p.name, p.email, p.slack_user_id)]
        return sorted({w for w in words if w and len(w) >= 3}, key=len, reverse=True)


def _user(s: Session, user_id: int) -> User:
    user = s.get(User, user_id)
    if user is None:
        raise errors.NotFound(f"user {user_id} not found")
    return user


def _profile(user: User) -> dict:
    return {"id": user.id, "name": user.name, "email": user.email, "phone": user.phone, "role": user.role,
            "timezone": user.timezone, "preferredChannel": user.preferred_channel, "lastChannel": user.last_channel,
            "bookerId": user.booker_id, "createdAt": instant(user.created_at)}


def _offers(s: Session, entry_id: int) -> list[WaitlistOffer]:
    return list(s.scalars(select(WaitlistOffer).where(WaitlistOffer.entry_id == entry_id).order_by(WaitlistOffer.id)))


def _feeds(s: Session, user_id: int, providers: list[Provider]) -> list[CalendarFeed]:
    owners = [(CalendarFeed.owner_kind == "client") & (CalendarFeed.owner_id == user_id)]
    owners += [(CalendarFeed.owner_kind == "provider") & (CalendarFeed.owner_id == p.id) for p in providers]
    return list(s.scalars(select(CalendarFeed).where(or_(*owners)).order_by(CalendarFeed.id)))


def _audit(s: Session, found: _Found) -> list[AuditEntry]:
    """The entries about the user, their appointments, waiting-list entries and tokens, and those made with their tokens."""
    about = ((AuditEntry.entity == "user") & (AuditEntry.entity_id == found.user.id)) | AuditEntry.actor.in_(
        user_actors(found.user.id))
    for entity, ids in (("appointment", found.appointment_ids), ("waitlist_entry", [e.id for e in found.entries]),
                        ("api_token", [t.id for t in found.tokens])):
        if ids:
            about = about | ((AuditEntry.entity == entity) & AuditEntry.entity_id.in_(ids))
    return list(s.scalars(select(AuditEntry).where(about).order_by(AuditEntry.id)))
