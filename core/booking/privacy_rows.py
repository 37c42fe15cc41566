"""Rows as the privacy export writes them: camelCase, times as UTC ISO 8601 with `Z`, ids not names."""
from __future__ import annotations

from datetime import datetime, timezone

from core.db.models import ApiToken, Appointment, AppointmentSeries, AuditEntry, Notification, WaitlistEntry, WaitlistOffer


def instant(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def appointment_out(appt: Appointment, role: str) -> dict:
    """`role`: whether the person was the appointment's client or its provider."""
    return {"id": appt.id, "as": role, "serviceId": appt.service_id, "providerId": appt.provider_id,
            "clientId": appt.client_id, "seriesId": appt.series_id, "startTime": instant(appt.start_at),
            "endTime": instant(appt.end_at), "status": appt.status, "confirmationCode": appt.confirmation_code,
            "channel": appt.channel, "notes": appt.notes, "cancellationReason": appt.cancellation_reason,
            "lateCancellation": appt.late_cancellation, "createdAt": instant(appt.created_at),
            "updatedAt": instant(appt.updated_at)}


def series_out(series: AppointmentSeries) -> dict:
    return {"id": series.id, "serviceId": series.service_id, "providerId": series.provider_id,
            "startTime": instant(series.start_at), "recurrence": series.recurrence, "timezone": series.timezone,
            "conflicts": series.conflicts or [], "createdAt": instant(series.created_at)}


def notification_out(row: Notification) -> dict:
    return {"id": row.id, "appointmentId": row.appointment_id, "kind": row.kind, "channel": row.channel,
            "status": row.status, "attempts": row.attempts, "dueAt": instant(row.due_at),
            "createdAt": instant(row.created_at), "updatedAt": instant(row.updated_at), "payload": row.payload or {},
            "log": row.log or [], "error": row.error}


def waitlist_out(entry: WaitlistEntry, offers: list[WaitlistOffer]) -> dict:
    return {"id": entry.id, "serviceId": entry.service_id, "providerId": entry.provider_id,
            "windowStart": instant(entry.window_start), "windowEnd": instant(entry.window_end),
            "status": entry.status, "channel": entry.channel, "createdAt": instant(entry.created_at),
            "offers": [{"id": o.id, "providerId": o.provider_id, "startTime": instant(o.start_at),
                        "endTime": instant(o.end_at), "status": o.status, "expiresAt": instant(o.expires_at),
                        "appointmentId": o.appointment_id, "createdAt": instant(o.created_at),
                        "answeredAt": instant(o.answered_at)} for o in offers]}


def audit_out(entry: AuditEntry) -> dict:
    return {"id": entry.id, "at": instant(entry.at), "actor": entry.actor, "action": entry.action,
            "entity": entry.entity, "entityId": entry.entity_id, "details": entry.details or {}}


def token_out(token: ApiToken) -> dict:
    """An API token as its user may see it: never its hash (nor the token, which is not kept)."""
    return {"id": token.id, "name": token.name, "prefix": token.prefix, "createdAt": instant(token.created_at),
            "expiresAt": instant(token.expires_at), "revokedAt": instant(token.revoked_at)}
