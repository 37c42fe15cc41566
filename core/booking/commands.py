"""Commands: what a caller asks the booking core to do. Plain data, no behaviour."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class Book:
    service_id: int
    provider_id: int
    client_id: int
    start: datetime
    idempotency_key: str | None = None
    channel: str | None = None
    notes: str | None = None
    actor: str = "client"
    holder: str | None = None  # whose hold on the slot this booking uses (default: the client's)
    series_id: int | None = None  # the recurring series this booking is an occurrence of

    @property
    def holder_key(self) -> str:
        return self.holder or str(self.client_id)


@dataclass(frozen=True)
class Reschedule:
    appointment_id: int
    start: datetime
    provider_id: int | None = None
    expected_version: int | None = None
    actor: str = "client"
    holder: str | None = None  # whose hold on the new time this move uses (default: the client's)


@dataclass(frozen=True)
class Cancel:
    appointment_id: int
    reason: str | None = None
    actor: str = "client"


@dataclass(frozen=True)
class SetStatus:
    appointment_id: int
    status: str  # confirmed | completed | no_show
    actor: str = "provider"


@dataclass(frozen=True)
class HoldSlot:
    service_id: int
    provider_id: int
    holder: str | int  # who holds it: a client id, or a conversation not yet tied to a client
    start: datetime
    origin: str | None = None  # where the request came from (a web visitor's IP): capped holds each
    exclude_appointment_id: int | None = None  # the appointment being moved: its own time is not in the way


@dataclass(frozen=True)
class FindSlots:
    service_id: int
    start_date: date
    end_date: date
    provider_id: int | None = None  # None: any provider who offers the service
    holder: str | int | None = None  # whose own holds do not hide slots
    exclude_appointment_id: int | None = None  # the appointment being moved
    # Only starts in [not_before, before) (aware instants; None: no bound), and only each provider's
    # first `limit` of them (None: all): what a caller shows, without computing the rest.
    not_before: datetime | None = None
    before: datetime | None = None
    limit: int | None = None
