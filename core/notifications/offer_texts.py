"""What a waiting-list offer says, on each kind of channel (what is said when it can no longer be taken
is the conversation's: `core.conversation.offer_flow.unavailable`).

With buttons (web chat, Telegram, Slack): "Book it" / "No thanks". Where answers are letters
(SMS): "Reply Y to book it, or N to let it go". By email (a `NoticeSender`): a signed link to the
offer's page, whose button (a POST) books it. Times in the client's zone, the zone named.
"""
from __future__ import annotations

from datetime import datetime

from core.booking.offers import OfferView
from core.conversation import choices
from core.conversation.messages import Choice, Reply
from core.conversation.render import when, zone_label
from core.notifications.links import Links
from core.notifications.notice import Link, Notice
from core.notifications.sender import NoticeSender, Sender

KIND = "waitlist_offer"  # the notification's kind
LETTERS = "Reply Y to book it, or N to let it go."  # never the bare word STOP or CANCEL: they opt out


def offer_text(offer: OfferView, now: datetime) -> str:
    name = f", {offer.client_name.split()[0]}" if offer.client_name.strip() else ""
    return (f"Good news{name}: a {offer.service} with {offer.provider} has opened up, "
            f"{when(offer.start, offer.client_zone, now)} {zone_label(offer.client_zone)}. "
            f"It's held for you for {offer.minutes} minutes.")


def offer_reply(offer: OfferView, now: datetime, *, buttons: bool, letters: bool) -> Reply:
    text = offer_text(offer, now)
    if letters:
        return Reply(f"{text} {LETTERS}")
    if not buttons:
        return Reply(text)
    return Reply(text, (Choice("Book it", choices.offer("take", offer.id)),
                        Choice("No thanks", choices.offer("decline", offer.id))))


def offer_notice(offer: OfferView, now: datetime, links: Links | None, *, letters: bool = False) -> Notice:
    """The offer as a whole notice: by email its page's link books it (a GET only shows; the page's button
    posts); where answers are letters (SMS) the text says them."""
    url = links.offer_url(offer.id) if links is not None else None
    reply = offer_reply(offer, now, buttons=False, letters=letters)
    if url is None and not letters:
        reply = Reply(reply.text + " Reply in the chat to book it.")
    return Notice(kind=KIND, reply=reply, business=offer.business, client_name=offer.client_name,
                  subject=f"A time has opened up: {offer.service}, {when(offer.start, offer.client_zone, now)}",
                  actions=(Link("Book it", url),) if url else ())


def send_offer(sender: Sender, recipient: str, offer: OfferView, now: datetime, links: Links | None) -> str | None:
    """Send the offer in the sender's own form; returns the platform's message id."""
    if isinstance(sender, NoticeSender):
        return sender.send_notice(recipient, offer_notice(offer, now, links, letters=sender.letters))
    return sender.send(recipient, offer_reply(offer, now, buttons=sender.buttons, letters=sender.letters))

