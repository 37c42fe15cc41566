"""The waiting list: who wants which service in which window, if a time opens up.

Here are joining and reading. Offering freed time to waiting clients is `core.booking.backfill`
(run by the worker from the outbox's events); answering an offer and leaving the list are
`core.booking.offers`.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.booking import audit, errors
from core.booking.offers import Offers
from core.booking.service import BookingService
from core.db.models import Provider, Service, User, WaitlistEntry
from core.db.session import UnitOfWork

MAX_WINDOW = timedelta(days=92)  # as far as availability is read at once
MAX_WAITING = 20  # open entries per client: joining is open to anyone who chats
OPEN = ("waiting", "offered")


def join(s: Session, *, client_id: int, service_id: int, provider_id: int | None, start: datetime,
         end: datetime, channel: str | None = None, now: datetime | None = None) -> WaitlistEntry:
    """Add the client to the list for that window; joining twice keeps one entry."""
    return joined(s, client_id=client_id, service_id=service_id, provider_id=provider_id, start=start, end=end,
                  channel=channel, now=now)[0]


def joined(s: Session, *, client_id: int, service_id: int, provider_id: int | None, start: datetime,
           end: datetime, channel: str | None = None, now: datetime | None = None) -> tuple[WaitlistEntry, bool]:
    """`join`, and whether it made the entry (False: the client was on the list for that window already)."""
    if start.tzinfo is None or end.tzinfo is None:
        raise errors.InvalidRequest("the waiting-list window needs times with a zone offset")
    if end <= start:
        raise errors.InvalidRequest("the waiting-list window must end after it starts")
    if end - start > MAX_WINDOW:
        raise errors.InvalidRequest(f"a waiting-list window may be at most {MAX_WINDOW.days} days long")
    if now is not None and end <= now:
        raise errors.InvalidRequest("that window has already passed")
    _require(s, client_id, service_id, provider_id)
    existing = s.scalar(select(WaitlistEntry).where(
        WaitlistEntry.client_id == client_id, WaitlistEntry.service_id == service_id,
        WaitlistEntry.provider_id.is_(None) if provider_id is None else WaitlistEntry.provider_id == provider_id,
        WaitlistEntry.window_start == start, WaitlistEntry.window_end == end, WaitlistEntry.status.in_(OPEN)))
    if existing is not None:
        return existing, False
    if len(waiting_for(s, client_id, now)) >= MAX_WAITING:
        raise errors.InvalidRequest(f"you are already on the waiting list {MAX_WAITING} times; "
                                    "leave one before joining again")
    entry = WaitlistEntry(client_id=client_id, service_id=service_id, provider_id=provider_id,
                          window_start=start, window_end=end, status="waiting", channel=channel,
                          **({"created_at": now} if now is not None else {}))
    s.add(entry)
    s.flush()
    return entry, True


def _require(s: Session, client_id: int, service_id: int, provider_id: int | None) -> None:
    service = s.get(Service, service_id)
    if service is None or not service.active:
        raise errors.NotFound(f"service {service_id} not found")
    if s.get(User, client_id) is None:
        raise errors.NotFound(f"client {client_id} not found")
    if provider_id is not None:
        provider = s.get(Provider, provider_id)
        if provider is None or not provider.active:
            raise errors.NotFound(f"provider {provider_id} not found")
        if all(offered.id != service_id for offered in provider.services):
            raise errors.InvalidRequest(f"{provider.name} does not offer {service.name}")


def waiting_for(s: Session, client_id: int, now: datetime | None) -> list[WaitlistEntry]:
    """The client's entries still open (waiting, or with an offer out), by window."""
    query = select(WaitlistEntry).where(WaitlistEntry.client_id == client_id, WaitlistEntry.status.in_(OPEN))
    if now is not None:
        query = query.where(WaitlistEntry.window_end > now)
    return list(s.scalars(query.order_by(WaitlistEntry.window_start)))


def entries(s: Session, *, service_id: int | None = None, provider_id: int | None = None,
            client_id: int | None = None, limit: int = 500) -> list[WaitlistEntry]:
    """Entries of every status, in the order they joined, filtered as asked."""
    query = select(WaitlistEntry).order_by(WaitlistEntry.created_at, WaitlistEntry.id).limit(limit)
    for column, value in ((WaitlistEntry.service_id, service_id), (WaitlistEntry.provider_id, provider_id),
                          (WaitlistEntry.client_id, client_id)):
        if value is not None:
            query = query.where(column == value)
    return list(s.scalars(query))


def entry(s: Session, entry_id: int) -> WaitlistEntry:
    found = s.get(WaitlistEntry, entry_id)
    if found is None:
        raise errors.NotFound(f"waiting-list entry {entry_id} not found")
    return found


# -- for the REST API, over the booking core's database ----------------------------------------
def add(booking: BookingService, *, client_id: int, service_id: int, provider_id: int | None, start: datetime,
        end: datetime, channel: str | None = None, actor: str = "client") -> WaitlistEntry:
    """Join (as `join`), recorded in the audit log as `actor`'s when it made an entry (joining again does not)."""
    with UnitOfWork(booking.session_factory, write=True) as uow:
        s = uow.session
        added, made = joined(s, client_id=client_id, service_id=service_id, provider_id=provider_id,
                             start=start, end=end, channel=channel, now=booking.clock())
        if made:
            audit.record(s, actor, "join", "waitlist_entry", added.id, at=booking.clock(), clientId=client_id,
                         serviceId=service_id, providerId=provider_id, windowStart=start.isoformat(),
                         windowEnd=end.isoformat())
        uow.commit()
        return added


def listed(booking: BookingService, *, service_id: int | None = None, provider_id: int | None = None,
           client_id: int | None = None, limit: int = 500) -> list[WaitlistEntry]:
    with UnitOfWork(booking.session_factory) as uow:
        return entries(uow.session, service_id=service_id, provider_id=provider_id, client_id=client_id,
                       limit=limit)


def leave(booking: BookingService, entry_id: int, *, actor: str = "client") -> WaitlistEntry:
    """Off the list; an offer out to the entry is let go and passes to the next in line."""
    return Offers(booking).leave(entry_id, actor=actor)
