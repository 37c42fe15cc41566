"""Delivery reports: Twilio's status callback recorded on the notification whose SID it names."""
from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.db.models import Notification
from core.db.session import UnitOfWork

log = logging.getLogger(__name__)
# How far along each status is: callbacks can arrive out of order, and a late "sent" must not
# undo "delivered". Stored as Twilio names them ("partially_delivered" shortened to fit).
PROGRESS = {"accepted": 0, "scheduled": 0, "queued": 1, "sending": 2, "sent": 3, "canceled": 4, "failed": 4,
            "undelivered": 4, "delivered": 5, "partially_delivered": 5, "read": 6}
STORED = {"partially_delivered": "partly_delivered"}
ERRORS = {"30003": "unreachable handset", "30004": "message blocked", "30005": "unknown handset",
          "30006": "landline or unreachable carrier", "30007": "filtered by the carrier", "30008": "unknown error",
          "21610": "recipient unsubscribed (STOP)"}


class UnknownStatus(ValueError):
    """MessageStatus is not one Twilio sends for an outbound message."""


def record_delivery(session_factory: sessionmaker[Session], *, message_sid: str, status: str,
                    error_code: str | None = None, error_message: str | None = None) -> bool:
    """Update the notification sent as `message_sid`; False when there is none (not ours, or gone)."""
    status = status.strip().lower()
    if status not in PROGRESS:
        raise UnknownStatus(f"unknown MessageStatus {status!r}")
    with UnitOfWork(session_factory, write=True) as uow:
        notification = uow.session.scalar(select(Notification).where(Notification.external_id == message_sid))
        if notification is None:
            log.info("a delivery report for %s (%s) matches no notification", message_sid, status)
            return False
        if PROGRESS.get(_twilio_name(notification.status), -1) > PROGRESS[status]:
            return True  # a late report of an earlier step
        notification.status = STORED.get(status, status)
        if error_code and error_code != "0":
            detail = error_message or ERRORS.get(error_code, "see https://www.twilio.com/docs/api/errors/"
                                                 + error_code)
            notification.error = f"Twilio error {error_code}: {detail}"
        uow.commit()
    return True


def _twilio_name(stored: str | None) -> str | None:
    return next((name for name, short in STORED.items() if short == stored), stored)
