"""The console's other pages: the waiting list, failed notifications ("send again"), and the reports.

A provider reads the waiting list and the notifications about their own provider only; the reports
are the business's figures, an admin's to read (as over REST).
"""
from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import RedirectResponse

from core.booking import access, console, errors
from core.booking.reports import WEEKDAYS, Reports
from webhooks.admin import charts, session
from webhooks.admin.diary import visible_providers
from webhooks.admin.pages import HEADERS, ConsoleRoute, FormDep, SignedDep, parse_day, parse_id, render

router = APIRouter(prefix="/admin", route_class=ConsoleRoute, include_in_schema=False)


@router.get("/waitlist")
def waitlist_page(request: Request, signed: SignedDep) -> Response:
    container = request.app.state.container
    ids = None if signed.who.is_admin else signed.who.provider_ids
    entries, offers = console.waiting_list(container.session_factory, ids, container.clock())
    return render(request, "waitlist.html", {"nav": "waitlist", "entries": entries, "offers": offers,
                                             "zone": request.state.zone})


def _notifications(request: Request):
    found = request.app.state.container.notifications
    if found is None:
        raise errors.BookingError("notifications need Redis, which is not configured")
    return found


def _failed(request: Request, who: access.Principal) -> list:
    rows = _notifications(request).failed()
    if who.is_admin:
        return rows
    owner = console.providers_of(request.app.state.container.session_factory, (r.appointment_id for r in rows))
    return [r for r in rows if owner.get(r.appointment_id) in who.provider_ids]


@router.get("/notifications")
def notifications_page(request: Request, signed: SignedDep) -> Response:
    sent = request.query_params.get("sent", "")
    return render(request, "notifications.html", {
        "nav": "notifications", "rows": _failed(request, signed.who), "zone": request.state.zone,
        "done": f"Notification {sent} is queued to be sent again." if sent.isdigit() else ""})


@router.post("/notifications/{notification_id}/send")
def send_again(request: Request, signed: SignedDep, notification_id: str, form: FormDep) -> Response:
    session.check_form(request, signed, form)
    wanted = parse_id(notification_id)
    if not any(row.id == wanted for row in _failed(request, signed.who)):
        raise errors.NotFound(f"notification {wanted} not found")
    try:
        _notifications(request).requeue(wanted)
    except ValueError as refused:  # sent meanwhile, or requeued by someone else
        raise errors.NotActive(str(refused)) from None
    return RedirectResponse(f"/admin/notifications?sent={wanted}", status.HTTP_303_SEE_OTHER, headers=HEADERS)


@router.get("/reports")
def reports_page(request: Request, signed: SignedDep) -> Response:
    """From and to (`?from=&to=`, dates in the business's zone; the last 30 days by default)."""
    access.require_admin(signed.who, "read the business's reports")
    reports = Reports(request.app.state.container.session_factory, request.app.state.container.clock)
    query = request.query_params
    start, end = reports.period(_maybe(query.get("from")), _maybe(query.get("to")))
    summary, heat = reports.summary(start, end), reports.heatmap(start, end)
    return render(request, "reports.html", {
        "nav": "reports", "summary": summary, "heat": charts.heatmap(heat.counts, WEEKDAYS), "total": heat.total,
        "bars": charts.bars([(p.name, p.figures.bookings) for p in summary.providers]),
        "providers": visible_providers(request, signed.who)})


def _maybe(text: str | None) -> date | None:
    return parse_day(text, None) if text else None
