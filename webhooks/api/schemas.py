"""Request and response bodies of the REST API: camelCase on the wire, snake_case in Python.

Responses are built by the `of` constructors from the core's views; nothing here decides
anything. Appointments and time off have theirs in `webhooks.api.appointment_schemas`.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, model_validator
from pydantic.alias_generators import to_camel

from core.booking.setup_writes import Window as CoreWindow
from core.booking.views import ProviderView, ResourceView, ServiceView, UserView, WeeklyHoursView
from webhooks.api.fields import Day, Id, IdList, Minutes, WallEnd, WallStart, Zone, text

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
    no_shows: int = Field(description="appointments they missed")
    late_cancellations: int = Field(description="cancellations inside the business's window (never refused)")

    @classmethod
    def of(cls, user: UserView) -> UserOut:
        return cls.model_validate(user, from_attributes=True)  # the view's fields are these, by name


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
        return cls.model_validate(resource, from_attributes=True)


class ServiceIn(RequestModel):
    name: Name
    description: text(5000) | None = None
    duration: int = Field(ge=5, le=24 * 60, description="minutes")
    price: Money | None = None
    buffer_before: Minutes = 0
    buffer_after: Minutes = 0
    resource_ids: IdList = Field(default_factory=list)
    synonyms: list[text(100, min_length=1)] = Field(default_factory=list, max_length=50)
    needs_approval: bool = Field(default=False, description=(
        "each booking is a request, pending until the provider approves it (it holds the slot meanwhile)"))


class ServiceUpdate(RequestModel):
    """What can change on a service here: whether its bookings need the provider's approval."""

    needs_approval: bool


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
    needs_approval: bool

    @classmethod
    def of(cls, service: ServiceView) -> ServiceOut:
        return cls(id=service.id, name=service.name, description=service.description,
                   duration=service.duration_minutes, price=service.price,
                   buffer_before=service.buffer_before_minutes, buffer_after=service.buffer_after_minutes,
                   resource_ids=list(service.resource_ids), synonyms=list(service.synonyms), active=service.active,
                   needs_approval=service.needs_approval)


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




class Health(BaseModel):
    status: str
    database: str
    redis: str

