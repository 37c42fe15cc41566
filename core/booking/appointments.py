"""The appointment writes on the hot path: a new booking (its row, the rooms it holds, its audit
row and its outbox event) and the audit row of every later change, as Core INSERTs.

Reads live in `schedules`; the decisions that call these are `service.BookingService`'s.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, bindparam, func, insert, literal, literal_column, select, type_coerce
from sqlalchemy.orm import Session, make_transient_to_detached

from core.booking import events, outbox
from core.db.models import Appointment, AppointmentResource, AuditEntry, OutboxEvent

_appointments, _used, _audit_log = Appointment.__table__, AppointmentResource.__table__, AuditEntry.__table__
_INSERT_APPOINTMENT = insert(_appointments).values(
    {c.key: bindparam(c.key, type_=c.type) for c in _appointments.columns if c.key != "id"}
).returning(_appointments.c.id)
_INSERT_RESOURCES_USED = insert(_used).returning(_used.c.id, sort_by_parameter_order=True)
_INSERT_AUDIT = insert(_audit_log)
# On PostgreSQL a new appointment and its audit row go in one statement, saving a round trip:
#   WITH new AS (INSERT INTO appointments ... RETURNING id)
#   INSERT INTO audit_log (at, actor, action, entity, entity_id, details) SELECT ..., new.id FROM new
_new = _INSERT_APPOINTMENT.cte("new")
_INSERT_APPOINTMENT_AND_AUDIT = insert(_audit_log).add_cte(_new).from_select(
    ["at", "actor", "action", "entity", "entity_id", "details"],
    select(*(bindparam(name, type_=_audit_log.c[name].type) for name in ("at", "actor", "action")),
           literal("appointment"), _new.c.id, bindparam("details", type_=_audit_log.c.details.type)),
).returning(_audit_log.c.entity_id)


# ...and with its "booked" outbox event too (`outbox.payload_of` an AppointmentBooked, built in SQL):
#   WITH new AS (INSERT INTO appointments ... RETURNING id), audited AS (INSERT INTO audit_log ... FROM new),
#        announced AS (INSERT INTO outbox_events ... FROM new RETURNING id)  SELECT new.id, announced.id
_events = OutboxEvent.__table__
_audited = insert(_audit_log).from_select(
    ["at", "actor", "action", "entity", "entity_id", "details"],
    select(*(bindparam(name, type_=_audit_log.c[name].type) for name in ("at", "actor", "action")),
           literal("appointment"), _new.c.id, bindparam("details", type_=_audit_log.c.details.type)),
).cte("audited")
_announced = insert(_events).from_select(
    ["kind", "payload", "created_at", "attempts"],
    select(literal(outbox.KINDS[events.AppointmentBooked]),
           # The keys as SQL literals: json_build_object takes "any", so a bound key would have no type.
           type_coerce(func.json_build_object(literal_column("'appointment_id'"), _new.c.id,
                                              literal_column("'version'"),
                                              bindparam("version", type_=_appointments.c.version.type),
                                              literal_column("'extra'"), func.json_build_object()), JSON),
           bindparam("at", type_=_events.c.created_at.type), literal(0)),
).returning(_events.c.id).cte("announced")
_BOOK = select(_new.c.id, _announced.c.id.label("event_id")).add_cte(_audited).select_from(_new.join(_announced, literal(True)))


def book_appointment(session: Session, row: dict, resource_ids: tuple[int, ...], *, actor: str, at: datetime,
                     **details) -> tuple[Appointment, list[OutboxEvent]]:
    """`insert_appointment` and the outbox row announcing it (`outbox.record` of an `AppointmentBooked`):
    on PostgreSQL the appointment, its audit row and its event are one statement, one round trip."""
    if session.get_bind().dialect.name != "postgresql":
        appt = insert_appointment(session, row, resource_ids, actor=actor, at=at, **details)
        return appt, outbox.record(session, [events.AppointmentBooked(appt.id, appt.version)], at)
    audit = dict(at=at, actor=actor, action="book", details={"version": row["version"], **details})
    appointment_id, event_id = session.execute(_BOOK, row | audit).one()
    booked = events.AppointmentBooked(appointment_id, row["version"])
    announced = OutboxEvent(id=event_id, kind=outbox.KINDS[type(booked)], payload=outbox.payload_of(booked),
                            created_at=at, relayed_at=None, attempts=0, done_at=None)
    return _loaded(session, appointment_id, row, resource_ids), [announced]


def insert_appointment(session: Session, row: dict, resource_ids: tuple[int, ...], *, actor: str, at: datetime,
                       **details) -> Appointment:
    """INSERT a new appointment (`row`: every column but the id), the resources it holds and its
    "book" audit row; return it as a flush would leave it: detached, every attribute loaded.

    Core INSERTs rather than a unit-of-work flush: booking is the hot path, and a flush costs
    several times their CPU. `at` is the audit row's instant (the service's clock)."""
    audit = dict(at=at, actor=actor, action="book", details={"version": row["version"], **details})
    if session.get_bind().dialect.name == "postgresql":
        appointment_id = session.execute(_INSERT_APPOINTMENT_AND_AUDIT, row | audit).scalar_one()
    else:
        appointment_id = session.execute(_INSERT_APPOINTMENT, row).scalar_one()
        session.execute(_INSERT_AUDIT, dict(audit, entity="appointment", entity_id=appointment_id))
    return _loaded(session, appointment_id, row, resource_ids)


def _loaded(session: Session, appointment_id: int, row: dict, resource_ids: tuple[int, ...]) -> Appointment:
    """INSERT the resources the new appointment holds; the appointment, detached, every attribute loaded."""
    used = [dict(appointment_id=appointment_id, resource_id=rid, block_start=row["block_start"],
                 block_end=row["block_end"], active=True) for rid in resource_ids]
    if used:
        ids = session.execute(_INSERT_RESOURCES_USED, used).scalars().all()
        for values, used_id in zip(used, ids, strict=True):
            values["id"] = used_id
    appt = Appointment(id=appointment_id, **row, resources=[AppointmentResource(**values) for values in used])
    for loaded in (appt, *appt.resources):
        make_transient_to_detached(loaded)
    return appt


def write_audit(session: Session, actor: str, action: str, appt: Appointment, *, at: datetime, **details) -> None:
    """The audit row of a change to an appointment, at `at` (the service's clock), with its new version."""
    session.execute(_INSERT_AUDIT, dict(at=at, actor=actor, action=action, entity="appointment",
                                       entity_id=appt.id, details={"version": appt.version, **details}))
