"""The console's diary: a day per provider as a grid, a provider's week, and one appointment (move, cancel).

Moves and cancellations are the booking core's commands, as the REST API sends them, recorded in
the audit log as the signed-in principal. A provider sees and changes only their own provider's
appointments; anyone else's is 404, as for one that does not exist.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import RedirectResponse

from core.booking import access, console, errors
from core.booking.commands import Cancel, FindSlots, Reschedule
from core.booking.setup import BusinessSetup
from core.conversation.render import zone_label
from webhooks.admin import grid, session
from webhooks.admin.pages import HEADERS, ConsoleRoute, FormDep, SignedDep, parse_day, parse_id, render, sentence
from webhooks.errors import status_for

router = APIRouter(prefix="/admin", route_class=ConsoleRoute, include_in_schema=False)
DONE = {"cancelled": "The appointment is cancelled; its time is free again.", "moved": "The appointment is moved."}
MAX_REASON = 500


def visible_providers(request: Request, who: access.Principal) -> list:
    """The active providers the principal may see, by name."""
    found = BusinessSetup(request.app.state.container.session_factory).providers()
    return sorted((p for p in found if p.active and (who.is_admin or p.id in who.provider_ids)), key=lambda p: p.name)


def _today(request: Request) -> date:
    return request.app.state.container.clock().astimezone(ZoneInfo(request.state.zone)).date()


def _around(first: date, last: date) -> tuple[datetime, datetime]:
    """A UTC range holding [first, last] on every wall clock."""
    return (datetime.combine(first - timedelta(days=1), time(0), tzinfo=UTC),
            datetime.combine(last + timedelta(days=2), time(0), tzinfo=UTC))


@router.get("")
def day_page(request: Request, signed: SignedDep, day: str | None = None) -> Response:
    """The day grid: times down, the providers the principal may see across."""
    today = _today(request)
    shown = parse_day(day, today)
    providers = visible_providers(request, signed.who)
    items = console.appointments(request.app.state.container.session_factory, [p.id for p in providers],
                                 *_around(shown, shown))
    columns = [grid.Column(p.name, zone_label(p.timezone), shown, p.timezone,
                           [i for i in items if i.provider_id == p.id]) for p in providers]
    monday = shown - timedelta(days=shown.weekday())
    return render(request, "day.html", {
        "nav": "day", "day": shown, "today": today, "grid": grid.layout(columns), "providers": providers,
        "week": [monday + timedelta(days=i) for i in range(7)],
        "prev_week": monday - timedelta(days=7), "next_week": monday + timedelta(days=7)})


@router.get("/week")
def week_page(request: Request, signed: SignedDep, provider: str = "", day: str | None = None) -> Response:
    """One provider's week as a grid: times down, the days across."""
    providers = visible_providers(request, signed.who)
    chosen = next((p for p in providers if str(p.id) == provider), None) if provider else (
        providers[0] if providers else None)
    if chosen is None:
        raise errors.NotFound(f"provider {provider[:12]} not found")
    shown = parse_day(day, _today(request))
    monday = shown - timedelta(days=shown.weekday())
    days = [monday + timedelta(days=i) for i in range(7)]
    items = console.appointments(request.app.state.container.session_factory, [chosen.id], *_around(days[0], days[-1]))
    columns = [grid.Column(f"{d:%a}", f"{d.day} {d:%b}", d, chosen.timezone, items) for d in days]
    return render(request, "week.html", {
        "nav": "week", "provider": chosen, "providers": providers, "grid": grid.layout(columns), "monday": monday,
        "prev_week": monday - timedelta(days=7), "next_week": monday + timedelta(days=7), "today": _today(request)})


def _visible(request: Request, who: access.Principal, appointment_id: str) -> console.Booked:
    found = console.appointment(request.app.state.container.session_factory, parse_id(appointment_id))
    if found is None:
        raise errors.NotFound(f"appointment {appointment_id} not found")
    access.require_visible(who, found)
    return found


def _detail(request: Request, signed: session.Signed, item: console.Booked, *, day: str | None = None,
            error: str = "", status_code: int = 200) -> Response:
    container = request.app.state.container
    provider = BusinessSetup(container.session_factory).provider(item.provider_id)
    zone = provider.timezone
    local_day = item.start.astimezone(ZoneInfo(zone)).date()
    pick = parse_day(day, max(local_day, container.clock().astimezone(ZoneInfo(zone)).date()))
    slots = []
    if item.status in ("pending", "confirmed"):
        slots = container.booking.find_slots(FindSlots(
            service_id=item.service_id, start_date=pick, end_date=pick, provider_id=item.provider_id,
            holder=item.client_id, exclude_appointment_id=item.id))
    return render(request, "appointment.html", {
        "nav": "day", "item": item, "provider": provider, "zone": zone, "local_day": local_day, "pick": pick,
        "slots": slots, "done": DONE.get(request.query_params.get("done", ""), ""), "error": error,
        "active": item.status in ("pending", "confirmed")}, status_code=status_code)


@router.get("/appointments/{appointment_id}")
def appointment_page(request: Request, signed: SignedDep, appointment_id: str, day: str | None = None) -> Response:
    return _detail(request, signed, _visible(request, signed.who, appointment_id), day=day)


@router.post("/appointments/{appointment_id}/move")
def move(request: Request, signed: SignedDep, appointment_id: str, form: FormDep) -> Response:
    """Move to a free time picked on the page; a time taken meanwhile is said on the page (409)."""
    session.check_form(request, signed, form)
    item = _visible(request, signed.who, appointment_id)
    try:
        start = datetime.fromisoformat(form.get("start", "")[:40])
        if start.tzinfo is None:
            raise ValueError
        version = int(form["version"]) if form.get("version", "").isdigit() else None
        request.app.state.container.booking.reschedule(Reschedule(
            item.id, start, expected_version=version, actor=signed.who.actor))
    except ValueError:
        return _detail(request, signed, item, error="Pick one of the free times.", status_code=400)
    except errors.BookingError as refused:
        fresh = _visible(request, signed.who, appointment_id)
        return _detail(request, signed, fresh, day=form.get("day"), error=sentence(refused),
                       status_code=status_for(refused))
    return RedirectResponse(f"/admin/appointments/{item.id}?done=moved", status.HTTP_303_SEE_OTHER, headers=HEADERS)


@router.post("/appointments/{appointment_id}/cancel")
def cancel(request: Request, signed: SignedDep, appointment_id: str, form: FormDep) -> Response:
    session.check_form(request, signed, form)
    item = _visible(request, signed.who, appointment_id)
    reason = " ".join(form.get("reason", "").split())[:MAX_REASON] or None
    try:
        request.app.state.container.booking.cancel(Cancel(item.id, reason=reason, actor=signed.who.actor))
    except errors.BookingError as refused:
        return _detail(request, signed, item, error=sentence(refused), status_code=status_for(refused))
    return RedirectResponse(f"/admin/appointments/{item.id}?done=cancelled", status.HTTP_303_SEE_OTHER,
                            headers=HEADERS)
