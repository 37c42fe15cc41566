"""`/email/unsubscribe/{token}`: the signed link in every email's `List-Unsubscribe` header and footer.

A GET asks (a link scanner opening it unsubscribes nobody); the POST does it, both from the
page's button and as RFC 8058's one-click unsubscribe that mail apps send themselves
(`List-Unsubscribe=One-Click`, no cookies, no confirmation). It marks that address's email
channel opted out: nothing more is emailed to it, and the person is reached on their next
channel, if they have one. A tampered token is 403.
"""
from __future__ import annotations

from fastapi import APIRouter, status
from fastapi.responses import HTMLResponse

from core.booking import clients
from core.notifications.links import BadLink
from slotline.channels import build_links
from webhooks import pages
from webhooks.deps import ContainerDep, SetupDep
from webhooks.pages import Button

router = APIRouter(tags=["email"], include_in_schema=False)


@router.get("/email/unsubscribe/{token}", response_class=HTMLResponse)
def confirm_unsubscribe(token: str, container: ContainerDep, setup: SetupDep) -> HTMLResponse:
    address = _address(container, token)
    if address is None:
        return _bad_link()
    said = [f"Stop emails to {address}?",
            "You'll still hear about your appointments on any other channel you use with us."]
    return pages.render(setup.business_name(), said, heading="Unsubscribe",
                        buttons=[Button("Unsubscribe", {"confirm": "yes"}, "primary")])


@router.post("/email/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe(token: str, container: ContainerDep, setup: SetupDep) -> HTMLResponse:
    """Both the page's button and a mail app's one-click POST: the body says nothing we need."""
    address = _address(container, token)
    if address is None:
        return _bad_link()
    clients.opt_out(container.session_factory, clients.EMAIL, address)
    return pages.render(setup.business_name(), [f"We won't email {address} any more."], heading="Unsubscribed")


def _address(container, token: str) -> str | None:
    links = container.outbox.links or build_links(container.settings)
    try:
        return links.read_unsubscribe(token)
    except BadLink:
        return None


def _bad_link() -> HTMLResponse:
    return pages.render("This link isn't valid", ["Please use the unsubscribe link from the email itself."],
                        status_code=status.HTTP_403_FORBIDDEN)
