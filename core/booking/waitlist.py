"""The waiting list: who wants which service in which window, if a time opens up.

Telling waiting clients when a cancellation frees a matching time is the worker's job;
here is only joining, leaving and reading.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.booking import errors
from core.db.models import Service, WaitlistEntry


def join(s: Session, *, client_id: int, service_id: int, provider_id: int | None, start: datetime,
         end: datetime, channel: str | None = None) -> WaitlistEntry:
    """Add the client to the list for that window; joining twice keeps one entry."""
    if end <= start:
        raise errors.InvalidRequest("the waiting-list window must end after it starts")
    if s.get(Service, service_id) is None:
        raise errors.NotFound(f"service {service_id} not found")
    existing = s.scalar(select(WaitlistEntry).where(
        WaitlistEntry.client_id == client_id, WaitlistEntry.service_id == service_id,
        WaitlistEntry.provider_id.is_(None) if provider_id is None else WaitlistEntry.provider_id == provider_id,
        WaitlistEntry.window_start == start, WaitlistEntry.window_end == end, WaitlistEntry.status == "waiting"))
    if existing is not None:
        return existing
    entry = WaitlistEntry(client_id=client_id, service_id=service_id, provider_id=provider_id,
                          window_start=start, window_end=end, status="waiting", channel=channel)
    s.add(entry)
    s.flush()
    return entry


def waiting_for(s: Session, client_id: int, now: datetime) -> list[WaitlistEntry]:
    return list(s.scalars(select(WaitlistEntry).where(
        WaitlistEntry.client_id == client_id, WaitlistEntry.status == "waiting", WaitlistEntry.window_end > now)
        .order_by(WaitlistEntry.window_start)))
