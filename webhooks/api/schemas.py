"""Request and response bodies of the REST API: camelCase on the wire, snake_case in Python.

Responses are built by the `of` constructors from what the core answers (its views, its
appointments); nothing here decides anything.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, model_validator
from pydantic.alias_generators import to_camel

from core.booking.bulk_cancel import MAX_AT_ONCE, Cancellations
from core.booking.catalog import Window as CoreWindow
from core.booking.timeoff import TimeOffBlocked
from core.booking.views import AppointmentView, ProviderView, ResourceView, ServiceView, UserView, WeeklyHoursView
from webhooks.api.fields import MAX_ID, Day, Id, IdList, Instant, Minutes, WallEnd, WallStart, Zone, text

Name = text(200, min_length=1)
Email = Annotated[text(320, min_length=3), Field(pattern=r"^[^@\s]+@[^@\s]+$", examples=["ada@example.com"])]
Role = Literal["client", "provider", "admin"]
Money = Annotated[Decimal, Field(ge=0, max_digits=10, decimal_places=2),
                  PlainSerializer(float, return_type=float, when_used="json")]


class ApiModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class RequestModel(ApiModel):
    """A body a client sends: unknown fields are refused, so a typo is an error and not a silent default."""

    model_config = ConfigDict(extra="forbid")


# -- users ---------------------------------------------------------------------------------
Phone = text(32, min_length=1)
Channel = Annotated[Literal["telegram", "slack", "sms", "email", "web"], Field(description=(
    "where this person hears from us first; without it, the channel they last talked on, else SMS to "
    "their phone, else email"))]


class UserIn(RequestModel):
    name: Name
    email: Email | None = None
    phone: Phone | None = Field(default=None, examples=["+442079460958"])
    role: Role = "client"
    timezone: Zone | None = None
    preferred_channel: Channel | None = None


class UserUpdate(RequestModel):
    """Only the fields sent change; `null` clears one (not the name)."""

    name: Name | None = None
    email: Email | None = None
    phone: Phone | None = None
    timezone: Zone | None = None
    preferred_channel: Channel | None = None

    @model_validator(mode="after")
    def _named(self) -> UserUpdate:
        if "name" in self.model_fields_set and self.name is None:
            raise ValueError("name cannot be cleared")
        return self

    def changes(self) -> dict:
        return {field: getattr(self, field) for field in self.model_fields_set}


class UserOut(ApiModel):
    id: int
    name: str
    email: str | None
    phone: str | None
    role: str
    timezone: str | None
    preferred_channel: str | None
    created_at: datetime

    @classmethod
    def of(cls, user: UserView) -> UserOut:
        return cls(id=user.id, name=user.name, email=user.email, phone=user.phone, role=user.role,
                   timezone=user.timezone, preferred_channel=user.preferred_channel, created_at=user.created_at)


# -- resources and services ----------------------------------------------------------------
class ResourceIn(RequestModel):
    name: Name
    kind: text(32, min_length=1) = "room"


class ResourceOut(ApiModel):
    id: int
    name: str
    kind: str

    @classmethod
    def of(cls, resource: ResourceView) -> ResourceOut:
        return cls(id=resource.id, name=resource.name, kind=resource.kind)


class ServiceIn(RequestModel):
    name: Name
    description: text(5000) | None = None
    duration: int = Field(ge=5, le=24 * 60, description="minutes")
    price: Money | None = None
    buffer_before: Minutes = 0
    buffer_after: Minutes = 0
    resource_ids: IdList = Field(default_factory=list)
    synonyms: list[text(100, min_length=1)] = Field(default_factory=list, max_length=50)


class ServiceOut(ApiModel):
    id: int
    name: str
    description: str | None
    duration: int
    price: Money | None
    buffer_before: int
    buffer_after: int
    resource_ids: list[int]
    synonyms: list[str]
    active: bool

    @classmethod
    def of(cls, service: ServiceView) -> ServiceOut:
        return cls(id=service.id, name=service.name, description=service.description,
                   duration=service.duration_minutes, price=service.price,
                   buffer_before=service.buffer_before_minutes, buffer_after=service.buffer_after_minutes,
                   resource_ids=list(service.resource_ids), synonyms=list(service.synonyms), active=service.active)


# -- providers and their hours -------------------------------------------------------------
class TimeSlot(ApiModel):
    """Weekly opening hours on one ISO weekday (1 = Monday)."""

    day_of_week: int = Field(ge=1, le=7)
    start_time: WallStart
    end_time: WallEnd

    @classmethod
    def of(cls, window: CoreWindow) -> TimeSlot:
        return cls(day_of_week=window.day_of_week, start_time=window.start, end_time=window.end)


class BreakSlot(ApiModel):
    """A recurring break; no dayOfWeek means every day."""

    day_of_week: int | None = Field(default=None, ge=1, le=7)
    start_time: WallStart
    end_time: WallEnd

    @classmethod
    def of(cls, window: CoreWindow) -> BreakSlot:
        return cls(day_of_week=window.day_of_week, start_time=window.start, end_time=window.end)


class Window(ApiModel):
    start_time: WallStart
    end_time: WallEnd


class WeeklyHoursIn(RequestModel):
    time_slots: list[TimeSlot] = Field(max_length=100)
    breaks: list[BreakSlot] | None = Field(default=None, max_length=100)
    recurrence: Literal["weekly"] = "weekly"


class WeeklyHoursOut(ApiModel):
    provider_id: int
    time_slots: list[TimeSlot]
    breaks: list[BreakSlot]
    recurrence: Literal["weekly"] = "weekly"

    @classmethod
    def of(cls, weekly: WeeklyHoursView) -> WeeklyHoursOut:
        return cls(provider_id=weekly.provider_id, time_slots=[TimeSlot.of(w) for w in weekly.hours],
                   breaks=[BreakSlot.of(b) for b in weekly.breaks])


class ProviderIn(RequestModel):
    name: Name
    timezone: Zone
    service_ids: IdList = Field(default_factory=list)
    user_id: Id | None = None
    email: Email | None = None
    slack_user_id: text(32, min_length=1) | None = None
    daily_limit: int | None = Field(default=None, ge=1, le=1000)


class ProviderOut(ApiModel):
    id: int
    name: str
    timezone: str
    service_ids: list[int]
    user_id: int | None
    email: str | None
    slack_user_id: str | None
    daily_limit: int | None
    active: bool
    weekly_hours: list[TimeSlot]
    breaks: list[BreakSlot]

    @classmethod
    def of(cls, provider: ProviderView) -> ProviderOut:
        return cls(id=provider.id, name=provider.name, timezone=provider.timezone,
                   service_ids=list(provider.service_ids), user_id=provider.user_id, email=provider.email,
                   slack_user_id=provider.slack_user_id, daily_limit=provider.daily_limit, active=provider.active,
                   weekly_hours=[TimeSlot.of(w) for w in provider.weekly.hours],
                   breaks=[BreakSlot.of(b) for b in provider.weekly.breaks])


class TimeOffIn(RequestModel):
    start_time: Instant
    end_time: Instant
    reason: text(200) | None = Field(default=None, description="a note for staff; clients are not shown it")
    cancel_appointments: bool = Field(default=False, description=(
        "cancel the active appointments in the way and tell each client; false: 409 listing them"))
    cancellation_reason: text(500) | None = Field(default=None, description="what those clients are told")


class TimeOffOut(ApiModel):
    id: int
    provider_id: int
    start_time: datetime
    end_time: datetime
    reason: str | None
    cancelled: list[AppointmentOut] = Field(default_factory=list, description="appointments cancelled for it")
    not_cancelled: list[NotCancelledOut] = Field(default_factory=list)

    @classmethod
    def of(cls, blocked: TimeOffBlocked) -> TimeOffOut:
        entry, done = blocked.time_off, blocked.cancellations
        return cls(id=entry.id, provider_id=entry.provider_id, start_time=entry.start_at, end_time=entry.end_at,
                   reason=entry.reason, cancelled=[AppointmentOut.of(a) for a in done.cancelled],
                   not_cancelled=[NotCancelledOut.of(n) for n in done.not_cancelled])


class DateOverrideIn(RequestModel):
    day: Day = Field(alias="date", examples=["2025-12-24"])
    time_slots: list[Window] = Field(default_factory=list, max_length=24, description="empty: closed that day")


class DateOverrideOut(ApiModel):
    provider_id: int
    day: date = Field(alias="date")
    time_slots: list[Window]
    closed: bool


# -- availability --------------------------------------------------------------------------
class SlotOut(ApiModel):
    start_time: datetime
    end_time: datetime
    provider_id: int | None = None


class SlotsOut(ApiModel):
    timezone: str | None = Field(description="the zone the times are shown in; null: each provider's own")
    slots: list[SlotOut]


# -- appointments --------------------------------------------------------------------------
class AppointmentIn(RequestModel):
    service_id: Id
    provider_id: Id
    client_id: Id
    start_time: Instant = Field(examples=["2025-03-10T09:00:00+00:00"])
    notes: text(2000) | None = None


class AppointmentChange(RequestModel):
    """Move (startTime and/or providerId) or mark (status); not both at once."""

    start_time: Instant | None = None
    provider_id: Id | None = None
    status: Literal["confirmed", "completed", "no_show"] | None = None
    version: int | None = Field(default=None, ge=1, le=MAX_ID,
                                description="the version you last read; 409 if it changed since")


class CancelIn(RequestModel):
    cancellation_reason: text(500) | None = None


class AppointmentOut(ApiModel):
    id: int
    confirmation_code: str
    status: str
    start_time: datetime
    end_time: datetime
    service_id: int
    provider_id: int
    client_id: int
    version: int
    cancellation_reason: str | None
    late_cancellation: bool
    notes: str | None
    created_at: datetime
    updated_at: datetime | None

    @classmethod
    def of(cls, appt: AppointmentView) -> AppointmentOut:
        return cls(id=appt.id, confirmation_code=appt.confirmation_code, status=appt.status,
                   start_time=appt.start_at, end_time=appt.end_at, service_id=appt.service_id,
                   provider_id=appt.provider_id, client_id=appt.client_id, version=appt.version,
                   cancellation_reason=appt.cancellation_reason, late_cancellation=bool(appt.late_cancellation),
                   notes=appt.notes, created_at=appt.created_at, updated_at=appt.updated_at)


class NotCancelledOut(ApiModel):
    id: int
    code: str
    detail: str

    @classmethod
    def of(cls, refused) -> NotCancelledOut:
        return cls(id=refused.appointment_id, code=refused.code, detail=refused.detail)


class BulkCancelIn(RequestModel):
    """Either `ids`, or `clientId` (their active appointments ending after `from`, default now, and
    starting before `to`)."""

    ids: list[Id] | None = Field(default=None, min_length=1, max_length=MAX_AT_ONCE)
    client_id: Id | None = None
    start: Instant | None = Field(default=None, alias="from")
    end: Instant | None = Field(default=None, alias="to")
    cancellation_reason: text(500) | None = None

    @model_validator(mode="after")
    def _one_selection(self) -> BulkCancelIn:
        if (self.ids is None) == (self.client_id is None):
            raise ValueError("send either ids or clientId")
        if self.ids is not None and (self.start or self.end):
            raise ValueError("from and to bound a client's appointments; leave them out with ids")
        if self.start and self.end and self.end <= self.start:
            raise ValueError("to must be after from")
        return self


class BulkCancelOut(ApiModel):
    cancelled: list[AppointmentOut]
    not_cancelled: list[NotCancelledOut]
    more: bool = Field(description="the client has more appointments than one request cancels; send it again")

    @classmethod
    def of(cls, done: Cancellations) -> BulkCancelOut:
        return cls(cancelled=[AppointmentOut.of(a) for a in done.cancelled],
                   not_cancelled=[NotCancelledOut.of(n) for n in done.not_cancelled], more=done.more)


TimeOffOut.model_rebuild()  # its lists name models defined further down


class Health(BaseModel):
    status: str
    database: str
    redis: str

