"""Looking after deliveries: the ones that failed (or were interrupted mid-send), and sending them again."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, sessionmaker

from core.booking.errors import NotFound
from core.db.models import Notification
from core.db.session import UnitOfWork
from core.notifications.ports import Jobs, deliver_now, notification_job_id

# A claim this old without an outcome: the worker died mid-send, so whether it went out is unknown.
STUCK_AFTER = timedelta(minutes=15)
REQUEUEABLE = ("failed", "sending", "retrying")


def failed(session_factory: sessionmaker[Session], now: datetime, *, limit: int = 200) -> list[Notification]:
    """Failed notifications, and ones stuck mid-send (maybe sent, maybe not), newest first."""
    stuck = and_(Notification.status == "sending", Notification.updated_at < now - STUCK_AFTER)
    with UnitOfWork(session_factory) as uow:
        return list(uow.session.scalars(select(Notification).where(or_(Notification.status == "failed", stuck))
                                        .order_by(Notification.updated_at.desc()).limit(limit)))


def requeue(session_factory: sessionmaker[Session], jobs: Jobs, notification_id: int, now: datetime) -> Notification:
    """Send it again from a fresh count of attempts (it is still checked against the appointment first)."""
    with UnitOfWork(session_factory, write=True) as uow:
        row = uow.session.get(Notification, notification_id, with_for_update=True)
        if row is None:
            raise NotFound(f"notification {notification_id} not found")
        if row.status not in REQUEUEABLE:
            raise ValueError(f"notification {notification_id} is {row.status}; only failed, interrupted or "
                             "retrying ones can be requeued")
        round_ = (row.payload or {}).get("round", 0) + 1
        old = notification_job_id(row.id, round_ - 1)
        row.status, row.attempts = "queued", 0
        row.payload = {**(row.payload or {}), "round": round_}
        row.log = [*(row.log or []), {"at": now.isoformat(), "status": "queued", "outcome": "requeued by hand"}]
        row.updated_at = now
        uow.commit()
    jobs.cancel(old)
    deliver_now(jobs, [row.id], round_)
    return row
