"""`GET /o/{token}`: a waiting-list offer's page, from the signed link in the email that offers it.

A GET only shows (mail servers open links to scan them); "Book it" and "No thanks" are forms
posting back to the same URL (`action=take|decline`). The link stands for the client the offer
was made to, on that offer only. A tampered token is 403; an offer that lapsed while its time stayed
free (and held for nobody else) is booked all the same, and says so; one that can no longer be
taken says why, kindly, with 409. Thin: the rules live in `core.booking.offers`.
"""
from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse

from core.booking import errors
from core.booking.offers import OfferUnavailable, Offers, OfferView
from core.conversation.offer_flow import unavailable
from core.conversation.render import when, zone_label
from core.notifications.links import BadLink, Links
from slotline.channels import build_links
from webhooks import pages
from webhooks.deps import ContainerDep
from webhooks.pages import Button

router = APIRouter(tags=["waitlist"], include_in_schema=False)
MAX_FORM = 512  # bytes: one short field
CHANNEL = "email"


def _links(container) -> Links:
    return container.outbox.links or build_links(container.settings)


def _open(container, token: str) -> OfferView | HTMLResponse:
    try:
        offer = Offers(container.booking).view(_links(container).read_offer(token))
    except BadLink:
        return pages.render("This link isn't valid", ["Please use the link from your latest message, as it was sent."],
                            status_code=status.HTTP_403_FORBIDDEN)
    if offer is None:
        return pages.render("Offer not found", ["It no longer exists."], status_code=status.HTTP_404_NOT_FOUND)
    return offer


@router.get("/o/{token}", response_class=HTMLResponse)
def offer_page(token: str, container: ContainerDep) -> HTMLResponse:
    offer = _open(container, token)
    if isinstance(offer, HTMLResponse):
        return offer
    now = container.clock()
    if offer.status != "open" or offer.expires_at <= now:
        return _gone(offer, now, status_code=200)
    held = when(offer.expires_at, offer.client_zone, now)
    return pages.render(offer.business, [_describe(offer, now), f"It's held for you until {held}."],
                        heading="A time has opened up",
                        buttons=[Button("Book it", {"action": "take"}, "primary"),
                                 Button("No thanks", {"action": "decline"})])


@router.post("/o/{token}", response_class=HTMLResponse)
async def offer_action(token: str, request: Request, container: ContainerDep) -> HTMLResponse:
    body = await request.body()
    if len(body) > MAX_FORM:
        return pages.render("Too much", ["That form is too large."], status_code=status.HTTP_413_CONTENT_TOO_LARGE)
    action = dict(parse_qsl(body.decode("utf-8", "replace"))).get("action")
    if action not in ("take", "decline"):
        return pages.render("Pick an action", ["Use one of the buttons on the page."], status_code=400)
    offer = _open(container, token)
    if isinstance(offer, HTMLResponse):
        return offer
    offers, now = Offers(container.booking), container.clock()
    try:
        if action == "decline":
            offers.decline(offer.id, client_id=offer.client_id)
            return pages.render(offer.business, ["No problem, the time is passed on. You're still on the waiting "
                                                 "list, and we'll write if another time opens up."],
                                heading="Passed on")
        taken = offers.take(offer.id, client_id=offer.client_id, channel=CHANNEL)
    except OfferUnavailable as gone:
        return _gone(gone.offer, now, status_code=status.HTTP_409_CONFLICT)
    except errors.BookingError as exc:
        return pages.render(offer.business, [f"Sorry, that didn't work: {str(exc).rstrip('.')}."],
                            heading="Not booked", status_code=status.HTTP_409_CONFLICT)
    said = [_describe(offer, now), f"Your confirmation code is {taken.appointment.confirmation_code}."]
    if taken.late:
        said.insert(0, "That offer had run out, but the time was still free, so it's yours.")
    return pages.render(offer.business, said, heading="Booked")


def _describe(offer: OfferView, now) -> str:
    return (f"{offer.service} with {offer.provider}, {when(offer.start, offer.client_zone, now)} "
            f"{zone_label(offer.client_zone)}.")


def _gone(offer: OfferView, now, *, status_code: int) -> HTMLResponse:
    return pages.render(offer.business, [unavailable(offer, offer.client_zone, now)], heading="No longer available",
                        links=[("Ask in the chat", "/chat")], status_code=status_code)
