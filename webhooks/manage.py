"""`GET /m/{token}`: one appointment's manage page, from the signed link in a reminder; its actions are POSTs.

A GET only shows: mail servers and chat apps open links to preview or scan them, and that
must never confirm, cancel or move anything. The buttons are forms posting back to the same
URL (`action=confirm|cancel|move`, and `action=moveto` with a `start` picked from the free
times that "Move" lists). A tampered token is 403, an appointment that is over 410. Thin: the
rules live in `core.notifications.manage`.
"""
from __future__ import annotations

from datetime import datetime
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse

from core.booking import errors
from core.conversation.render import when
from core.notifications.manage import BadLink, LinkExpired, ManageLink
from core.notifications.texts import AppointmentFacts
from slotline.channels import build_links
from webhooks import pages
from webhooks.deps import ContainerDep
from webhooks.pages import Button

router = APIRouter(tags=["manage"], include_in_schema=False)
MAX_FORM = 2048  # bytes: a few short fields
ACTIONS = ("confirm", "cancel", "move", "moveto")
REFUSED = {BadLink: (status.HTTP_403_FORBIDDEN, "This link isn't valid",
                     "Please use the link from your latest message, as it was sent."),
           LinkExpired: (status.HTTP_410_GONE, "This appointment is over",
                         "Its link no longer changes anything. Message us to book again."),
           errors.NotFound: (status.HTTP_404_NOT_FOUND, "Appointment not found", "It no longer exists.")}


def _desk(container) -> ManageLink:
    # The container's links when it has them (the app's own); a bare Outbox built elsewhere has none.
    return ManageLink(container.booking, container.session_factory,
                      container.outbox.links or build_links(container.settings))


@router.get("/m/{token}", response_class=HTMLResponse)
def manage_page(token: str, container: ContainerDep, do: str | None = None) -> HTMLResponse:
    """The appointment and its buttons; `?do=cancel` (from a reminder's Cancel button) puts that one first."""
    desk = _desk(container)
    try:
        facts = desk.open(token)
    except tuple(REFUSED) as exc:
        return _refused(exc)
    return _show(facts, container.clock(), first=do)


@router.post("/m/{token}", response_class=HTMLResponse)
async def manage_action(token: str, request: Request, container: ContainerDep) -> HTMLResponse:
    body = await request.body()
    if len(body) > MAX_FORM:
        return pages.render("Too much", ["That form is too large."], status_code=status.HTTP_413_CONTENT_TOO_LARGE)
    form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    action = form.get("action")
    if action not in ACTIONS:
        return pages.render("Pick an action", ["Use one of the buttons on the page."], status_code=400)
    return _act(_desk(container), token, action, form, container.clock())


def _act(desk: ManageLink, token: str, action: str, form: dict[str, str], now: datetime) -> HTMLResponse:
    try:
        if action == "confirm":
            facts = desk.confirm(token)
            return _done("You're confirmed", facts, now, "See you then!")
        if action == "cancel":
            facts = desk.cancel(token)
            return _done("Cancelled", facts, now, "Your appointment is cancelled. The time is free for others.")
        if action == "move":
            return _times(desk, token, now)
        facts = desk.move(token, _instant(form.get("start")), _version(form.get("version")))
        return _done("Moved", facts, now, "Your appointment is moved.")
    except tuple(REFUSED) as exc:
        return _refused(exc)
    except errors.BookingError as exc:  # taken meanwhile, too late to change, already cancelled...
        problem = f"Sorry, that didn't work: {str(exc).rstrip('.')}."
        try:
            return _times(desk, token, now, problem=problem, status_code=status.HTTP_409_CONFLICT)
        except tuple(REFUSED) as gone:
            return _refused(gone)


def _show(facts: AppointmentFacts, now: datetime, *, first: str | None = None) -> HTMLResponse:
    if facts.status == "cancelled":
        return pages.render(facts.business, [_describe(facts, now), "This appointment is cancelled."],
                            heading="Cancelled", links=[("Book another time", "/chat")])
    buttons = [Button("Confirm", {"action": "confirm"}, "primary"), Button("Move", {"action": "move"}),
               Button("Cancel appointment", {"action": "cancel"}, "danger")]
    buttons.sort(key=lambda b: b.fields["action"] != first)  # the one they came for first; stable otherwise
    return pages.render(facts.business, [_describe(facts, now), f"Confirmation code {facts.code}."],
                        heading="Your appointment", buttons=buttons)


def _times(desk: ManageLink, token: str, now: datetime, *, problem: str | None = None,
           status_code: int = 200) -> HTMLResponse:
    facts = desk.open(token)
    free = desk.free_times(token) if facts.status != "cancelled" else []
    lead = [problem] if problem else []
    if not free:
        return pages.render(facts.business, [*lead, _describe(facts, now), "No free times to move to soon."],
                            heading="Move your appointment", links=[("Ask in the chat", "/chat")],
                            status_code=status_code)
    buttons = [Button(when(start, facts.client_zone, now),
                      {"action": "moveto", "start": start.isoformat(), "version": str(facts.version)})
               for start in free]
    return pages.render(facts.business, [*lead, _describe(facts, now), "Pick a new time:"],
                        heading="Move your appointment", buttons=buttons,
                        links=[("Another time? Ask in the chat", "/chat")], status_code=status_code)


def _done(heading: str, facts: AppointmentFacts, now: datetime, said: str) -> HTMLResponse:
    return pages.render(facts.business, [said, _describe(facts, now)], heading=heading)


def _describe(facts: AppointmentFacts, now: datetime) -> str:
    return f"{facts.service} with {facts.provider}, {facts.at(now)}."


def _refused(exc: Exception) -> HTMLResponse:
    code, heading, said = next(v for kind, v in REFUSED.items() if isinstance(exc, kind))
    return pages.render(heading, [said], status_code=code)


def _instant(raw: str | None) -> datetime:
    try:
        start = datetime.fromisoformat(raw or "")
    except ValueError:
        raise errors.InvalidRequest("pick one of the times offered") from None
    if start.tzinfo is None:
        raise errors.InvalidRequest("pick one of the times offered")
    return start


def _version(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isascii() and raw.isdigit() and len(raw) < 10 else None
