"""From booking events to notifications: what to tell whom, and when the reminders are due.

Booking events reach the worker through the outbox (`core.booking.outbox`, relayed by
`core.notifications.relay`) as one job each. The worker's `Planner` then reads the appointment
as it is now, makes the rows (unique by key) and their jobs: a notice for the client at once,
a note for the provider, and the reminders of the current version. Reminders of an older
version, or of an appointment no longer active, are cancelled (their jobs removed); a job that
fires anyway finds a stale version and sends nothing.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.booking.access import CLIENT, role_of, user_of
from core.booking.schedules import get_business
from core.db.models import (
    ACTIVE_STATUSES,
    Appointment,
    AuditEntry,
    Notification,
    Provider,
    User,
)
from core.db.session import UnitOfWork
from core.notifications.ports import Jobs, deliver_now, notification_job_id
from core.notifications.records import ensure
from core.notifications.sender import NoChannel, Outbox, Sender
from core.notifications.timing import (
    QuietHours,
    after_quiet,
    offset_label,
    reminder_due,
)

log = logging.getLogger(__name__)
EXPIRE_REQUESTS = "expire_requests"  # the job that lapses requests nobody answered (`core.booking.approval`)
STATUS_NOTICE = {"no_show": "no_show", "completed": "follow_up"}


class Planner:
    def __init__(self, session_factory: sessionmaker[Session], jobs: Jobs, outbox: Outbox, *,
                 offsets: list[timedelta], clock: Callable[[], datetime]):
        self.session_factory, self.jobs, self.outbox = session_factory, jobs, outbox
        self.offsets, self.clock = offsets, clock

    def on_event(self, kind: str, appointment_id: int, version: int, extra: dict | None = None) -> list[int]:
        """Plan what an event calls for; returns the ids of the notices queued now."""
        extra = extra or {}
        self.sync_reminders(appointment_id)
        queued = []
        with UnitOfWork(self.session_factory, write=True) as uow:
            s = uow.session
            appt = s.get(Appointment, appointment_id)
            if appt is None:
                return []
            actor = _actor(s, appointment_id, version)
            lapses = appt.request_expires_at if kind == "booked" and appt.status == "pending" else None
            for notice, user_id, channel in self._notices(s, kind, appt, actor, extra):
                row, made = ensure(s, key=f"appt:{appointment_id}:v{version}:{notice}", kind=notice, status="queued",
                                   appointment_id=appointment_id, user_id=user_id, version=version, channel=channel,
                                   payload={**extra, "by": actor})
                if made:
                    queued.append(row.id)
            uow.commit()
        deliver_now(self.jobs, queued)
        if lapses is not None:  # a request lapses then unless answered; the worker's sweep is the safety net
            self.jobs.enqueue_at(lapses, EXPIRE_REQUESTS, job_id=f"slotline-expire-request-{appointment_id}")
        return queued

    def _notices(self, s: Session, kind: str, appt: Appointment, actor: str, extra: dict):
        """(notification kind, user, channel) for each message the event calls for.

        A change the client made themselves (`role_of(actor)` is client) tells their provider. Made in
        a chat (`client`), the chat has told them already; made with their own API token (`client:<id>`),
        the HTTP answer went to whatever program called, so they get the usual notice on their channel."""
        sender = self._sender(appt.client_id)
        by_client = role_of(actor) == CLIENT
        in_chat = by_client and user_of(actor) is None
        if kind == "booked" and appt.status == "pending" and appt.request_expires_at is not None:
            yield "requested", appt.client_id, ""  # a request awaiting approval (`core.booking.approval`)
            yield "provider_request", _provider_user(s, appt), ""  # Approve / Decline, where the provider works
        elif kind == "booked":
            yield "confirmation", appt.client_id, ""
        elif kind == "approved":
            yield "approved", appt.client_id, ""
        elif kind == "cancelled" and extra.get("why") in ("declined", "expired"):
            yield extra["why"], appt.client_id, ""  # a request turned down or lapsed, said kindly
        elif kind == "moved" and not (in_chat and sender is not None and not sender.calendar_files):
            yield "moved", appt.client_id, ""  # a client who moved it in a chat where no .ics goes (SMS) was just told so
        elif kind == "cancelled" and (not in_chat or (sender is not None and sender.invitations)):
            # A client who cancelled in a chat was told so there; an emailed invitation is still in their
            # calendar, though, and only the cancellation's METHOD:CANCEL takes it out. A client who used
            # their API token is told on their channel as for any change ("Cancelled, as you asked").
            yield "cancelled", appt.client_id, ""
        elif kind == "status" and extra.get("status") in STATUS_NOTICE:
            yield STATUS_NOTICE[extra["status"]], appt.client_id, ""
        if kind in ("moved", "cancelled") and by_client:
            provider = s.get(Provider, appt.provider_id)
            if provider is not None and provider.slack_user_id:
                yield f"provider_{kind}", provider.user_id, ""  # the channel is Outbox.route_provider's

    def sync_reminders(self, appointment_id: int) -> None:
        """Make the appointment's pending reminders exactly those of its current version."""
        now = self.clock()
        with UnitOfWork(self.session_factory, write=True) as uow:
            s = uow.session
            appt = s.get(Appointment, appointment_id)
            # A request awaiting approval gets its reminders once approved (a new version).
            active = appt is not None and appt.status in ACTIVE_STATUSES and not (
                appt.status == "pending" and appt.request_expires_at is not None)
            pending = list(s.scalars(select(Notification).where(
                Notification.appointment_id == appointment_id, Notification.kind == "reminder",
                Notification.status == "scheduled")))
            dropped = [row for row in pending if not active or row.version != appt.version]
            for row in dropped:
                row.status = "cancelled"
                row.log = [*(row.log or []), {"at": now.isoformat(), "status": "cancelled",
                                              "outcome": "the appointment changed or was cancelled"}]
            due = self._plan(s, appt, now) if active else []
            uow.commit()
        for row in dropped:
            self.jobs.cancel(notification_job_id(row.id, (row.payload or {}).get("round", 0)))
        for row in due:
            self.jobs.enqueue_at(row.due_at, "deliver", row.id, retry=True,
                                 job_id=notification_job_id(row.id, (row.payload or {}).get("round", 0)))

    def _plan(self, s: Session, appt: Appointment, now: datetime) -> list[Notification]:
        client = s.get(User, appt.client_id)
        business = get_business(s)
        zone = client.timezone or business.timezone
        quiet = QuietHours(business.sms_quiet_start, business.sms_quiet_end)
        sender = self._sender(appt.client_id)
        quiet_hours = sender is not None and sender.quiet_hours
        rows = []
        for offset in self.offsets:
            due = reminder_due(appt.start_at, offset)
            if quiet_hours:
                due = after_quiet(due, zone, quiet)
            if due <= now or due >= appt.start_at:
                continue  # never a reminder in the past, nor one pushed past the start
            row, _made = ensure(s, key=f"appt:{appt.id}:v{appt.version}:reminder:{offset_label(offset)}",
                                kind="reminder", status="scheduled", appointment_id=appt.id, user_id=appt.client_id,
                                version=appt.version, due_at=due, payload={"offset": offset_label(offset)})
            if row.status == "scheduled":
                rows.append(row)
        return rows

    def _sender(self, user_id: int) -> Sender | None:
        try:
            return self.outbox.route(user_id)[0]
        except NoChannel:
            return None


def _provider_user(s: Session, appt: Appointment) -> int | None:
    provider = s.get(Provider, appt.provider_id)
    return provider.user_id if provider is not None else None


def _actor(s: Session, appointment_id: int, version: int) -> str:
    """Who made the change that gave the appointment this version (from the audit log)."""
    entries = s.scalars(select(AuditEntry).where(AuditEntry.entity == "appointment",
                                                 AuditEntry.entity_id == appointment_id)
                        .order_by(AuditEntry.id.desc()).limit(20))
    for entry in entries:
        if (entry.details or {}).get("version") == version:
            return entry.actor
    return "unknown"
