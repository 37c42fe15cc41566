"""`/api/v1/reports`: the business's figures over a period (`summary`) and when bookings fall (`heatmap`).

`from` and `to` are dates (inclusive) in the business's zone; by default the last 30 days.
What each figure counts is said in `core.booking.reports`.
"""
from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import Field

from core.booking import access
from core.booking.reports import WEEKDAYS, Figures, Reports
from webhooks.api.schemas import ApiModel
from webhooks.deps import ContainerDep, PrincipalDep


def admins_only(who: PrincipalDep) -> None:
    """The business's figures are an admin's to read."""
    access.require_admin(who, "read the business's reports")


router = APIRouter(prefix="/reports", tags=["reports"], dependencies=[Depends(admins_only)])
From = Annotated[date | None, Query(alias="from", description="first date, YYYY-MM-DD (default: 29 days before `to`)")]
To = Annotated[date | None, Query(alias="to", description="last date, YYYY-MM-DD (default: today)")]
REVENUE_RULE = ("the service's price of each appointment completed, or confirmed and already over; "
                "not no-shows, cancellations, pending requests or appointments still to come")


class FiguresOut(ApiModel):
    bookings: int
    booked_hours: float
    open_hours: float | None = None  # providers and the total: hours open for booking
    occupancy: float | None = None  # booked / open hours, 0..1
    cancellations: int
    late_cancellations: int
    no_shows: int
    revenue: float
    unmet_waitlist: int  # waiting-list entries whose window passed without a booking

    @classmethod
    def of(cls, f: Figures) -> dict:
        return dict(bookings=f.bookings, booked_hours=round(f.booked_minutes / 60, 2),
                    open_hours=None if f.open_minutes is None else round(f.open_minutes / 60, 2),
                    occupancy=f.occupancy, cancellations=f.cancellations, late_cancellations=f.late_cancellations,
                    no_shows=f.no_shows, revenue=float(f.revenue), unmet_waitlist=f.unmet_waitlist)


class ProviderFigures(FiguresOut):
    provider_id: int
    name: str


class ServiceFigures(FiguresOut):
    service_id: int
    name: str


class SummaryOut(ApiModel):
    from_: date = Field(alias="from")
    to: date
    timezone: str
    currency: str | None
    revenue_counts: str
    providers: list[ProviderFigures]
    services: list[ServiceFigures]
    total: FiguresOut
    unmet_waitlist_any_provider: int  # of the total's, the entries that named no provider


class HeatmapDay(ApiModel):
    weekday: int  # ISO, 1 = Monday
    name: str
    hours: list[int]  # bookings starting in each hour, 0-23, on the business's wall clock


class HeatmapOut(ApiModel):
    from_: date = Field(alias="from")
    to: date
    timezone: str
    total: int
    days: list[HeatmapDay]


def _reports(container) -> Reports:
    return Reports(container.session_factory, container.clock)


@router.get("/summary", response_model=SummaryOut, response_model_by_alias=True)
def report_summary(container: ContainerDep, first: From = None, last: To = None) -> dict:
    """Per provider and per service: bookings, booked hours, occupancy of open hours, cancellations
    (late ones too), no-shows, revenue and waiting-list demand left unmet."""
    found = _reports(container).summary(first, last)
    return {"from": found.first, "to": found.last, "timezone": found.timezone, "currency": found.currency,
            "revenueCounts": REVENUE_RULE,
            "providers": [{"providerId": p.id, "name": p.name, **FiguresOut.of(p.figures)} for p in found.providers],
            "services": [{"serviceId": sv.id, "name": sv.name, **FiguresOut.of(sv.figures)} for sv in found.services],
            "total": FiguresOut.of(found.total), "unmetWaitlistAnyProvider": found.unmet_any_provider}


@router.get("/heatmap", response_model=HeatmapOut, response_model_by_alias=True)
def report_heatmap(container: ContainerDep, first: From = None, last: To = None) -> dict:
    """Bookings by weekday and hour of their start, in the business's zone."""
    found = _reports(container).heatmap(first, last)
    return {"from": found.first, "to": found.last, "timezone": found.timezone, "total": found.total,
            "days": [{"weekday": i + 1, "name": name, "hours": found.counts[i]} for i, name in enumerate(WEEKDAYS)]}
