"""Calendar feeds: a secret, revocable iCalendar URL of one provider's or one client's appointments.

A provider subscribes to theirs from Google Calendar, Outlook or Apple Calendar; a client asks
for theirs in the chat. The URL is `<public URL>/calendar/<secret>.ics`. Only a hash of the
secret is stored, with a random nonce: the secret is HMAC(key, nonce), the key derived from the
secret the web app and the worker share (as signed links are), so the same URL can be shown
again while the table alone gives none away. Revoking a feed makes its URL answer 404; the
next request for one makes a new URL. Making and revoking one are recorded in the audit log (as
the caller's actor; by default the owner's own, as in a chat), never with the secret. Anyone with the URL reads the feed: it shows a provider
their clients' names, and a client only the service and provider of their own appointments.

The feed holds what takes the provider's time (every appointment but a cancelled one) from
`PAST` ago to `AHEAD` on, each with its stable UID and its version as SEQUENCE, so a moved
appointment updates the same event in the subscriber's calendar.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from core.booking import audit
from core.booking.errors import NotFound
from core.booking.schedules import get_business
from core.db.models import Appointment, CalendarFeed, Provider, Service, User
from core.db.session import UnitOfWork
from core.notifications.calendar import CalendarEntry, feed

PROVIDER, CLIENT = "provider", "client"
FEED_PATH = "/calendar/"
PAST, AHEAD = timedelta(days=30), timedelta(days=366)
MAX_EVENTS = 2000  # bounds one answer, whatever a feed holds
_KEY_LABEL = b"slotline calendar feeds v1"
_SECRET_BYTES = 24  # 192 bits: not to be guessed


class CalendarFeeds:
    """Issues, revokes and renders the feeds. `secret` (or a callable giving it) keys the URLs;
    `base_url` None makes no URLs (only the secret's path)."""

    def __init__(self, session_factory: sessionmaker[Session], secret: str | Callable[[], str],
                 base_url: str | None, *, clock: Callable[[], datetime]):
        self._session_factory = session_factory
        self._secret = secret
        self._key: bytes | None = None
        self.base_url = base_url.rstrip("/") if base_url else None
        self._clock = clock

    def path(self, owner_kind: str, owner_id: int, *, actor: str | None = None) -> str:
        """`/calendar/<secret>.ics` of the owner's standing feed, made now if there is none."""
        with UnitOfWork(self._session_factory, write=True) as uow:
            s = uow.session
            _require_owner(s, owner_kind, owner_id)
            standing = _standing(s, owner_kind, owner_id)
            if standing is None:
                standing = self._issue(s, owner_kind, owner_id)
                audit.record(s, actor or owner_kind, "create", "calendar_feed", standing.id, at=self._clock(),
                             ownerKind=owner_kind, ownerId=owner_id)
            uow.commit()
            return f"{FEED_PATH}{self._secret_of(standing.nonce)}.ics"

    def url(self, owner_kind: str, owner_id: int, *, actor: str | None = None) -> str | None:
        """The full feed URL under the public URL; None when Slotline has no public URL."""
        return self.base_url + self.path(owner_kind, owner_id, actor=actor) if self.base_url else None

    def revoke(self, owner_kind: str, owner_id: int, *, actor: str | None = None) -> bool:
        """Revoke the owner's standing feed (its URL answers 404 from now); False when there was none."""
        with UnitOfWork(self._session_factory, write=True) as uow:
            s = uow.session
            _require_owner(s, owner_kind, owner_id)
            standing = _standing(s, owner_kind, owner_id)
            if standing is None:
                return False
            standing.revoked_at = self._clock()
            audit.record(s, actor or owner_kind, "revoke", "calendar_feed", standing.id, at=self._clock(),
                         ownerKind=owner_kind, ownerId=owner_id)
            uow.commit()
            return True

    def render(self, secret: str) -> bytes:
        """The iCalendar text of the feed whose URL holds `secret`. Raises NotFound for a wrong or revoked one."""
        if not secret or len(secret) > 100 or not secret.isascii():
            raise NotFound("no such calendar")
        digest = _hash(secret)
        now = self._clock()
        with UnitOfWork(self._session_factory) as uow:
            s = uow.session
            found = s.scalar(select(CalendarFeed).where(CalendarFeed.secret_hash == digest,
                                                        CalendarFeed.revoked_at.is_(None)))
            if found is None:
                raise NotFound("no such calendar")
            business = get_business(s).name
            if found.owner_kind == PROVIDER:
                name = s.scalar(select(Provider.name).where(Provider.id == found.owner_id)) or "Appointments"
                entries = _entries(s, Appointment.provider_id == found.owner_id, now, business, for_provider=True)
            else:
                name = business
                mine = or_(Appointment.client_id == found.owner_id,
                           Appointment.client_id.in_(select(User.id).where(User.booker_id == found.owner_id)))
                entries = _entries(s, mine, now, business, for_provider=False)
        return feed(entries, name=f"{name} ({business})" if found.owner_kind == PROVIDER else name, now=now)

    def _issue(self, s: Session, owner_kind: str, owner_id: int) -> CalendarFeed:
        nonce = secrets.token_hex(16)
        made = CalendarFeed(owner_kind=owner_kind, owner_id=owner_id, nonce=nonce,
                            secret_hash=_hash(self._secret_of(nonce)), created_at=self._clock())
        try:
            with s.begin_nested():
                s.add(made)
        except IntegrityError:  # another request made the owner's feed first: that one stands
            made = _standing(s, owner_kind, owner_id)
        return made

    def _secret_of(self, nonce: str) -> str:
        digest = hmac.new(self._signing_key(), nonce.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:_SECRET_BYTES]).decode()

    def _signing_key(self) -> bytes:
        if self._key is None:
            secret = self._secret() if callable(self._secret) else self._secret
            self._key = hmac.new(secret.encode(), _KEY_LABEL, hashlib.sha256).digest()
        return self._key


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _standing(s: Session, owner_kind: str, owner_id: int) -> CalendarFeed | None:
    return s.scalar(select(CalendarFeed).where(CalendarFeed.owner_kind == owner_kind,
                                               CalendarFeed.owner_id == owner_id, CalendarFeed.revoked_at.is_(None)))


def _require_owner(s: Session, owner_kind: str, owner_id: int) -> None:
    model = {PROVIDER: Provider, CLIENT: User}.get(owner_kind)
    if model is None or s.get(model, owner_id) is None:
        raise NotFound(f"{owner_kind} {owner_id} not found")


def _entries(s: Session, whose, now: datetime, business: str, *, for_provider: bool) -> list[CalendarEntry]:
    rows = s.execute(
        select(Appointment.id, Appointment.version, Appointment.start_at, Appointment.end_at, Appointment.status,
               Appointment.confirmation_code, Service.name.label("service"), Provider.name.label("provider"),
               User.name.label("client"))
        .join(Service, Service.id == Appointment.service_id).join(Provider, Provider.id == Appointment.provider_id)
        .join(User, User.id == Appointment.client_id)
        .where(whose, Appointment.status != "cancelled", Appointment.end_at > now - PAST,
               Appointment.start_at < now + AHEAD)
        .order_by(Appointment.start_at, Appointment.id).limit(MAX_EVENTS))
    return [CalendarEntry(r.id, r.version, r.start_at, r.end_at,
                          f"{r.service}: {r.client}" if for_provider else f"{r.service} with {r.provider}",
                          business, f"Confirmation code {r.confirmation_code}.", tentative=r.status == "pending")
            for r in rows]
