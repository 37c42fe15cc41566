"""SQLAlchemy models: the tables every engine shares.

Times are stored in UTC (`UTCDateTime`); wall-clock rules (hours, breaks) are stored
as local `time` values and read in the provider's zone.
"""
from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import (
    JSON, Boolean, Column, Date, ForeignKey, Index, Integer, Numeric, String, Table, Text, Time,
    UniqueConstraint, false, text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from core.clock import utcnow
from core.db.types import UTCDateTime

ACTIVE_STATUSES = ("pending", "confirmed")


class Base(DeclarativeBase):
    pass


provider_services = Table(
    "provider_services", Base.metadata,
    Column("provider_id", ForeignKey("providers.id", ondelete="CASCADE"), primary_key=True),
    Column("service_id", ForeignKey("services.id", ondelete="CASCADE"), primary_key=True),
)

service_resources = Table(
    "service_resources", Base.metadata,
    Column("service_id", ForeignKey("services.id", ondelete="CASCADE"), primary_key=True),
    Column("resource_id", ForeignKey("resources.id", ondelete="CASCADE"), primary_key=True),
)


class Business(Base):
    """The one business this deployment serves, and its booking rules."""

    __tablename__ = "business"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="Slotline")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    min_notice_minutes: Mapped[int] = mapped_column(Integer, default=60)
    horizon_days: Mapped[int] = mapped_column(Integer, default=60)
    slot_interval_minutes: Mapped[int] = mapped_column(Integer, default=15)
    cancellation_window_hours: Mapped[int] = mapped_column(Integer, default=24)
    hold_minutes: Mapped[int] = mapped_column(Integer, default=5)
    confirm_sms_cancel: Mapped[bool] = mapped_column(Boolean, default=True)
    # No reminder or follow-up by SMS between these local times (in the client's zone); None: any time.
    sms_quiet_start: Mapped[time | None] = mapped_column(Time, default=time(21, 0))
    sms_quiet_end: Mapped[time | None] = mapped_column(Time, default=time(8, 0))
    # Bumped by every catalogue write (services, providers, hours, time off, rules): one cheap read
    # tells each process's cached catalogue whether it is still the current one.
    catalogue_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # Against abuse: at most this many upcoming bookings per client (None: no cap); and whether a
    # web chat visitor must prove a phone or email with a one-time code before a booking is made.
    max_future_bookings: Mapped[int | None] = mapped_column(Integer)
    verify_web_contact: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # How prices are shown: a symbol ("£") or an ISO code ("GBP"); None: plain numbers, no symbol made up.
    currency: Mapped[str | None] = mapped_column(String(8))
    # A time freed for the waiting list is held this long for the client it is offered to.
    waitlist_offer_minutes: Mapped[int] = mapped_column(Integer, default=15, server_default="15")
    # Policies (issue 12): after this many no-shows a client books only through the business, reached
    # as `contact` says (None: no such rule); a request for a service that needs approval lapses after
    # `approval_expiry_hours` unanswered (or at its start, if sooner), and frees its slot.
    no_show_limit: Mapped[int | None] = mapped_column(Integer)
    approval_expiry_hours: Mapped[int] = mapped_column(Integer, default=24, server_default="24")
    contact: Mapped[str | None] = mapped_column(String(200))


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)  # E.164
    role: Mapped[str] = mapped_column(String(16), default="client")
    timezone: Mapped[str | None] = mapped_column(String(64))
    preferred_channel: Mapped[str | None] = mapped_column(String(16))  # chosen by them or the business
    last_channel: Mapped[str | None] = mapped_column(String(16))  # the channel they last talked on
    # Someone booked for by another client ("for me and my son"), with no chat, phone or email of
    # their own: their messages go to the booker's (`core.notifications.contacts.reach`).
    booker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    identities: Mapped[list[ChannelIdentity]] = relationship(back_populates="user", cascade="all, delete-orphan")


class ChannelIdentity(Base):
    """A Telegram chat, Slack user, phone number or web session that speaks for a user."""

    __tablename__ = "channel_identities"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(128))
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    user: Mapped[User] = relationship(back_populates="identities")


class Resource(Base):
    """A room or piece of equipment that one appointment at a time may use."""

    __tablename__ = "resources"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32), default="room")


class Service(Base):
    __tablename__ = "services"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    price: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    buffer_before_minutes: Mapped[int] = mapped_column(Integer, default=0)
    buffer_after_minutes: Mapped[int] = mapped_column(Integer, default=0)
    synonyms: Mapped[list] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # A booking of it is a request (status "pending", holding the slot) until the provider approves it.
    needs_approval: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    resources: Mapped[list[Resource]] = relationship(secondary=service_resources, lazy="selectin")


class Provider(Base):
    __tablename__ = "providers"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    timezone: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    email: Mapped[str | None] = mapped_column(String(320))
    slack_user_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    daily_limit: Mapped[int | None] = mapped_column(Integer)
    agenda_time: Mapped[time | None] = mapped_column(Time, default=time(8, 0))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped whenever hours, breaks, overrides or time off change, so caches of the schedule know.
    schedule_version: Mapped[int] = mapped_column(Integer, default=1)
    services: Mapped[list[Service]] = relationship(secondary=provider_services, lazy="selectin")


class WeeklyHours(Base):
    """Opening hours of a provider on one ISO weekday (1 = Monday), in the provider's zone."""

    __tablename__ = "weekly_hours"
    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id", ondelete="CASCADE"), index=True)
    day_of_week: Mapped[int] = mapped_column(Integer)
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)


class Break(Base):
    """A recurring break (lunch); `day_of_week` None means every working day."""

    __tablename__ = "breaks"
    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id", ondelete="CASCADE"), index=True)
    day_of_week: Mapped[int | None] = mapped_column(Integer)
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)


class DateOverride(Base):
    """Hours for one date that replace the weekly ones; no times means closed that day."""

    __tablename__ = "date_overrides"
    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id", ondelete="CASCADE"), index=True)
    date: Mapped[date] = mapped_column(Date)
    start_time: Mapped[time | None] = mapped_column(Time)
    end_time: Mapped[time | None] = mapped_column(Time)


class TimeOff(Base):
    __tablename__ = "time_off"
    __table_args__ = (Index("ix_time_off_provider_start", "provider_id", "start_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id", ondelete="CASCADE"))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(String(200))


class AppointmentSeries(Base):
    """Appointments booked together by a recurrence rule ("every Tuesday at 10 for 6 weeks").

    Each occurrence is an appointment of its own (`Appointment.series_id`), moved and cancelled like
    any other; the series keeps what was asked (the RRULE, read in `timezone` from `start_at`) and
    the occurrences that could not be booked (`conflicts`: what a replay of the request answers)."""

    __tablename__ = "appointment_series"
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recurrence: Mapped[str] = mapped_column(String(500))
    timezone: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    conflicts: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Appointment(Base):
    """A booked visit. `block_start`/`block_end` add the service's buffers: that is what may not overlap."""

    __tablename__ = "appointments"
    __table_args__ = (
        Index("ix_appointments_provider_block", "provider_id", "block_start"),
        Index("ix_appointments_client_start", "client_id", "start_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"))
    client_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # The recurring series it was booked in, if any (None: booked on its own).
    series_id: Mapped[int | None] = mapped_column(ForeignKey("appointment_series.id"), index=True)
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    block_start: Mapped[datetime] = mapped_column(UTCDateTime)
    block_end: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="confirmed")
    version: Mapped[int] = mapped_column(Integer, default=1)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    confirmation_code: Mapped[str] = mapped_column(String(12), unique=True)
    cancellation_reason: Mapped[str | None] = mapped_column(String(500))
    late_cancellation: Mapped[bool] = mapped_column(Boolean, default=False)
    channel: Mapped[str | None] = mapped_column(String(16))
    notes: Mapped[str | None] = mapped_column(Text)
    # A request awaiting approval (status "pending") lapses at this instant unless approved first.
    request_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    resources: Mapped[list[AppointmentResource]] = relationship(cascade="all, delete-orphan", lazy="selectin")


class AppointmentResource(Base):
    """A resource an appointment uses; the block is copied so the database can forbid overlaps."""

    __tablename__ = "appointment_resources"
    __table_args__ = (Index("ix_appointment_resources_resource_block", "resource_id", "block_start"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id", ondelete="CASCADE"), index=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id"))
    block_start: Mapped[datetime] = mapped_column(UTCDateTime)
    block_end: Mapped[datetime] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Notification(Base):
    """One message meant for one person; `dedupe_key` (appointment, version, kind) makes it once only.

    `status`: scheduled (waits for `due_at`), queued, sending (claimed by a worker), sent, retrying,
    failed, skipped (nothing to send: stale, cancelled, no channel) or cancelled (a reminder removed).
    `log` holds one entry per attempt and what came of it.
    """

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_status_due", "status", "due_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id", ondelete="SET NULL"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(32))
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    external_id: Mapped[str | None] = mapped_column(String(128), index=True)
    error: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int | None] = mapped_column(Integer)  # the appointment's version it was made for
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    payload: Mapped[dict | None] = mapped_column(JSON, default=dict)
    log: Mapped[list | None] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class OutboxEvent(Base):
    """A booking event on its way to the worker, written in the transaction of the change that caused it.

    `relayed_at` is set once the event's job is in the queue; until then the event waits here (Redis
    away), and `attempts` counts the relays that could not queue it. `done_at` is set when the worker
    has planned what the event calls for: one relayed but never done had its job lost with Redis's
    data, and the worker's sweep queues it again.
    """

    __tablename__ = "outbox_events"
    # Every read is of the events not done yet (to relay, or lost), or done long ago (to forget).
    __table_args__ = (Index("ix_outbox_events_done_relayed", "done_at", "relayed_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    relayed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditEntry(Base):
    """Who changed what: `actor` is `admin`, `<role>:<user id>` (a user's API token), or a channel's
    actor (`client`, `provider`, `staff`, ...); the core reads its role (`core.booking.access.role_of`)."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    details: Mapped[dict] = mapped_column(JSON, default=dict)


class WaitlistEntry(Base):
    """A client waiting for a time to open up for a service (with one provider, or anyone) in a window."""

    __tablename__ = "waitlist_entries"
    __table_args__ = (Index("ix_waitlist_service_window", "service_id", "window_start"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id", ondelete="CASCADE"))
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    window_end: Mapped[datetime] = mapped_column(UTCDateTime)
    # waiting | offered (an offer is open) | booked | expired (its window passed) | left
    status: Mapped[str] = mapped_column(String(16), default="waiting")
    channel: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


_OPEN = text("status = 'open'")


class WaitlistOffer(Base):
    """A freed time offered to one waiting client, held for them until `expires_at`.

    `status`: open | taken | expired | gone (no longer free when they answered) | declined.
    The database refuses two open offers of one start with one provider, and a second open offer
    to one entry; the backfill checks overlapping blocks under the provider's row lock."""

    __tablename__ = "waitlist_offers"
    __table_args__ = (
        Index("ix_waitlist_offers_open_slot", "provider_id", "start_at", unique=True,
              postgresql_where=_OPEN, sqlite_where=_OPEN),
        Index("ix_waitlist_offers_open_entry", "entry_id", unique=True, postgresql_where=_OPEN, sqlite_where=_OPEN),
        Index("ix_waitlist_offers_status_expires", "status", "expires_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("waitlist_entries.id", ondelete="CASCADE"))
    client_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id", ondelete="CASCADE"))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    block_start: Mapped[datetime] = mapped_column(UTCDateTime)
    block_end: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="open")
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CalendarFeed(Base):
    """A secret iCalendar feed URL of one provider's or one client's appointments (`core.booking.feeds`).

    The URL's secret is not kept: only its hash (to find the feed) and a random `nonce` from which
    the secret is derived again with the server's key (so the same URL can be shown twice; the
    table alone gives no URL away). `revoked_at` set means its URL answers 404. At most one feed
    per owner stands at a time (the database refuses a second)."""

    __tablename__ = "calendar_feeds"
    __table_args__ = (
        Index("ix_calendar_feeds_standing_owner", "owner_kind", "owner_id", unique=True,
              postgresql_where=text("revoked_at IS NULL"), sqlite_where=text("revoked_at IS NULL")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    owner_kind: Mapped[str] = mapped_column(String(16))  # provider | client
    owner_id: Mapped[int] = mapped_column(Integer)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex of the URL's secret
    nonce: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ApiToken(Base):
    """A user's bearer token for the REST API (`core.booking.tokens`). Only the token's sha256 is kept;
    `prefix` (its first characters) tells tokens apart in a list. Revoked or expired, it is refused."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str | None] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
