"""How erasure rewrites rows: the profile, a linked provider, appointments, notifications, audit texts.

Each helper returns how many rows (or fields) it changed, so a second erasure reports nothing.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.db.models import ApiToken, Appointment, AuditEntry, Notification, Provider, User, WaitlistEntry

PENDING_NOTICES = ("scheduled", "queued", "retrying")
ERASED = "[erased]"


def scrub_profile(user: User, name: str) -> int:
    before = [user.name, user.email, user.phone, user.timezone, user.preferred_channel, user.last_channel]
    user.name, user.email, user.phone, user.timezone = name, None, None, None
    user.preferred_channel = user.last_channel = None
    after = [user.name, user.email, user.phone, user.timezone, user.preferred_channel, user.last_channel]
    return sum(1 for b, a in zip(before, after) if b != a)


def scrub_provider(provider: Provider) -> int:
    """A provider linked to the person: renamed, without contacts, taking no bookings (figures stay by id)."""
    before = (provider.name, provider.email, provider.slack_user_id, provider.active)
    provider.name, provider.email, provider.slack_user_id = f"Erased provider #{provider.id}", None, None
    provider.active = False
    return int(before != (provider.name, provider.email, provider.slack_user_id, provider.active))


def revoke_tokens(tokens: list[ApiToken], now: datetime) -> int:
    """Their API tokens stop working now; each loses its name too (an admin may have named it after them)."""
    changed = 0
    for token in tokens:
        if token.revoked_at is None or token.name is not None:
            changed += 1
        token.revoked_at = token.revoked_at or now
        token.name = None
    return changed


def anonymise(appt: Appointment) -> int:
    changed = int(appt.notes is not None or appt.cancellation_reason is not None)
    appt.notes = appt.cancellation_reason = None
    return changed


def expire_passed(s: Session, user_id: int, now: datetime) -> int:
    """Entries still waiting whose window has passed count as the expired demand they are (for the reports)."""
    return s.execute(update(WaitlistEntry).where(
        WaitlistEntry.client_id == user_id, WaitlistEntry.status == "waiting", WaitlistEntry.window_end <= now)
        .values(status="expired")).rowcount or 0


def scrub_notifications(s: Session, user_id: int, appointment_ids: list[int], needles: list[str],
                         now: datetime) -> tuple[int, int]:
    about = Notification.user_id == user_id
    if appointment_ids:
        about = about | Notification.appointment_id.in_(appointment_ids)
    cancelled = scrubbed = 0
    for row in s.scalars(select(Notification).where(about)):
        if row.user_id == user_id and row.status in PENDING_NOTICES:
            row.status, cancelled = "cancelled", cancelled + 1
            row.log = [*(row.log or []), {"at": now.isoformat(), "status": "cancelled", "outcome": "recipient erased"}]
        payload, log, error = (_redact(v, needles) for v in (_without_reason(row.payload), row.log, row.error))
        if (payload, log, error) != (row.payload, row.log, row.error):
            row.payload, row.log, row.error, scrubbed = payload, log, error, scrubbed + 1
        if row.user_id == user_id and row.external_id is not None:
            row.external_id = None  # a platform's message id may name the chat it went to
    return cancelled, scrubbed


def scrub_audit(entry: AuditEntry, needles: list[str]) -> int:
    details = _redact(_without_reason(entry.details), needles)
    if details == entry.details:
        return 0
    entry.details = details
    return 1


def _without_reason(value):
    """A cancellation or decline reason is the client's own words: it goes whole."""
    if isinstance(value, dict) and value.get("reason"):
        return {**value, "reason": None}
    return value


def _redact(value, needles: list[str]):
    """`value` (JSON-like) with every needle in its strings replaced by `[erased]`."""
    if isinstance(value, str):
        for needle in needles:
            value = value.replace(needle, ERASED)
        return value
    if isinstance(value, dict):
        return {k: _redact(v, needles) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v, needles) for v in value]
    return value
