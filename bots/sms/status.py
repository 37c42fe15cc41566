"""Delivery reports: Twilio's status callback recorded on the notification whose SID it names."""
from __future__ import annotations

import logging

from sqlalchemy.orm import Session, sessionmaker

from core.notifications import records

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
    error = None
    if error_code and error_code != "0":
        detail = error_message or ERRORS.get(error_code, "see https://www.twilio.com/docs/api/errors/" + error_code)
        error = f"Twilio error {error_code}: {detail}"
    found = records.report_delivery(session_factory, external_id=message_sid, status=STORED.get(status, status),
                                    error=error, rank=_progress)
    if not found:
        log.info("a delivery report for %s (%s) matches no notification", message_sid, status)
    return found


def _progress(stored: str | None) -> int:
    """How far along a status stored on a notification is (ours, like "retrying", before any of Twilio's)."""
    return PROGRESS.get(next((name for name, short in STORED.items() if short == stored), stored), -1)
