"""The notifications table: one row per message (unique by its key), claimed before it is sent.

A worker claims a row with one conditional UPDATE (queued/scheduled/retrying -> sending); only
the worker whose UPDATE changed the row sends, and a job run again finds nothing to take. A
worker killed after claiming leaves the row "sending"; once that worker is known dead (the
worker's `Tending` asks RQ) the claim is `release`d and the row is sent again: a reminder is
not lost to a crash. Only a kill in the instant between the platform taking the message and
the "sent" being recorded can send it twice. A claim nobody releases (the job itself lost)
shows among the failed after a while, for someone to look at.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from core.booking.schedules import get_business
from core.db.models import Appointment, Notification, Provider, Service, User
from core.db.session import UnitOfWork
from core.notifications.texts import AppointmentFacts

CLAIMABLE = ("scheduled", "queued", "retrying")


def ensure(s: Session, *, key: str, kind: str, status: str, **columns) -> tuple[Notification, bool]:
    """The row with this key, made now if there is none; (row, made)."""
    found = s.scalar(select(Notification).where(Notification.dedupe_key == key))
    if found is not None:
        return found, False
    row = Notification(dedupe_key=key, kind=kind, status=status, channel=columns.pop("channel", ""),
                       attempts=0, log=[], **columns)
    try:
        with s.begin_nested():  # another worker may make the same row at the same moment
            s.add(row)
    except IntegrityError:
        return s.scalar(select(Notification).where(Notification.dedupe_key == key)), False
    return row, True


def claim(session_factory: sessionmaker[Session], notification_id: int, now: datetime) -> Notification | None:
    """Take the row for sending (one attempt more); None when it is not there to take."""
    with UnitOfWork(session_factory, write=True) as uow:
        taken = uow.session.execute(
            update(Notification).where(Notification.id == notification_id, Notification.status.in_(CLAIMABLE))
            .values(status="sending", attempts=Notification.attempts + 1, updated_at=now))
        if taken.rowcount != 1:
            return None
        row = uow.session.get(Notification, notification_id)
        uow.commit()
        return row


def release(session_factory: sessionmaker[Session], notification_id: int, now: datetime,
            why: str) -> Notification | None:
    """Give back a claim whose worker died before recording an outcome ("sending" -> "retrying"), so it
    can be claimed and sent again; None when the row holds no claim (it was sent, or is gone)."""
    with UnitOfWork(session_factory, write=True) as uow:
        row = uow.session.get(Notification, notification_id, with_for_update=True)
        if row is None or row.status != "sending":
            return None
        row.status, row.updated_at = "retrying", now
        row.log = [*(row.log or []), {"at": now.isoformat(), "attempt": row.attempts, "status": "retrying",
                                      "outcome": why[:500]}]
        uow.commit()
        return row


def record(session_factory: sessionmaker[Session], notification_id: int, status: str, outcome: str, now: datetime,
           **columns) -> Notification:
    """Set the row's status (and any other columns) and add a line to its log."""
    with UnitOfWork(session_factory, write=True) as uow:
        row = uow.session.get(Notification, notification_id)
        row.status = status
        for name, value in columns.items():
            setattr(row, name, value)
        row.log = [*(row.log or []), {"at": now.isoformat(), "attempt": row.attempts, "status": status,
                                      "outcome": outcome[:500]}]
        row.updated_at = now
        uow.commit()
        return row


def report_delivery(session_factory: sessionmaker[Session], *, external_id: str, status: str,
                    error: str | None = None, rank: Callable[[str | None], int]) -> bool:
    """A platform's delivery report on the message it knows as `external_id`, stored on the notification
    that sent it; False when no notification did (not ours, or gone).

    Reports can arrive out of order: `rank` orders the platform's statuses, and a report ranked below
    the status stored already (a late "sent" after "delivered") changes nothing."""
    with UnitOfWork(session_factory, write=True) as uow:
        row = uow.session.scalar(select(Notification).where(Notification.external_id == external_id))
        if row is None:
            return False
        if rank(row.status) > rank(status):
            return True
        row.status = status
        if error:
            row.error = error
        uow.commit()
    return True


def facts(s: Session, appointment_id: int | None) -> AppointmentFacts | None:
    """The appointment as a notification shows it, or None when it is gone."""
    appt = s.get(Appointment, appointment_id) if appointment_id is not None else None
    if appt is None:
        return None
    service, provider, client = s.get(Service, appt.service_id), s.get(Provider, appt.provider_id), \
        s.get(User, appt.client_id)
    business = get_business(s)
    return AppointmentFacts(
        id=appt.id, version=appt.version, status=appt.status, start=appt.start_at, end=appt.end_at,
        code=appt.confirmation_code, service=service.name, provider=provider.name, provider_zone=provider.timezone,
        provider_id=provider.id,
        client_id=client.id, client_name=client.name or f"client #{client.id}",
        client_zone=client.timezone or business.timezone, business=business.name,
        cancellation_reason=appt.cancellation_reason, request_expires=appt.request_expires_at)
