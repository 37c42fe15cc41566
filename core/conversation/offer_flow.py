"""Answers to a waiting-list offer: "Book it" books it in one tap, "No thanks" passes it on.

An offer's buttons carry `offer:<take|decline>:<offer id>`; on SMS the client answers the latest
offer (remembered in `Conversation.offer` when it was delivered) with one letter: Y books it, N
lets it go. An offer that lapsed, was passed on, or whose time someone else has booked is said
so kindly (`unavailable`), with whether they are still on the waiting list; one that lapsed while its
time stayed free, held for nobody else, is booked all the same, and said so. Each handler returns
the next state.
"""
from __future__ import annotations

from datetime import datetime

from core.booking import errors
from core.booking.offers import OfferUnavailable, OfferView
from core.conversation import choices, render
from core.conversation.state import IDLE, State
from core.conversation.turn import Turn

LETTERS = {"Y": "take", "N": "decline"}
LATE = "That offer had run out, but the time was still free, so it's yours: "  # before "Booked! ..."


def letter(turn: Turn) -> State | None:
    """A bare Y or N after an offer answers it; None when the message is something else."""
    action = LETTERS.get(turn.heard.text.strip().strip(".!").upper())
    if action is None or turn.convo.offer is None:
        return None
    return act(turn, action, turn.convo.offer)


def act(turn: Turn, action: str, offer_id: int) -> State:
    turn.convo.offer = None  # answered: a later "Y" is not taken for it again
    try:
        if action == "take":
            return _take(turn, offer_id)
        offer = turn.bookings.decline_offer(offer_id, client_id=turn.client.id)
    except OfferUnavailable as gone:
        turn.menu(unavailable(gone.offer, turn.zone, turn.now))
        return IDLE
    except errors.NotFound:
        turn.menu("That offer isn't one I can find for you. What would you like to do?")
        return IDLE
    except errors.BookingError as exc:
        turn.menu(f"Sorry, I couldn't book it: {exc}.")
        return IDLE
    day = render.day_label(offer.window_start, turn.zone, turn.now)
    turn.say(f"No problem, I've passed that time on. You're still on the waiting list for {day}; "
             "I'll message you if another time opens up.", [("My appointments", choices.intent("list"))])
    return turn.state


def _take(turn: Turn, offer_id: int) -> State:
    taken = turn.bookings.take_offer(offer_id, client_id=turn.client.id, channel=turn.inbound.channel)
    appt = taken.appointment
    turn.convo.reset()
    turn.convo.booked = appt.id
    what = f"{turn.service_name(appt.service_id)} with {turn.provider_name(appt.provider_id)}"
    at = f"{render.when(appt.start_at, turn.zone, turn.now)} {render.zone_label(turn.zone)}"
    late = LATE if taken.late else ""
    turn.say(f"{late}Booked! {what}, {at}. Your confirmation code is {appt.confirmation_code}.",
             [("My appointments", choices.intent("list")), ("Book another", choices.intent("book"))])
    return IDLE


def unavailable(offer: OfferView, zone: str, now: datetime) -> str:
    """Why the offer can no longer be taken, kindly, and whether they are still on the list."""
    at = render.clock(offer.start, zone)
    if offer.booked_by_another or offer.status == "gone":
        said = f"Sorry, that {at} slot has just gone."
    elif offer.status == "declined":
        said = f"That {at} slot was passed on, as you asked."
    else:
        said = f"Sorry, that offer of {at} has expired."
    if offer.still_waiting:
        said += (f" You're still on the waiting list for {render.day_label(offer.window_start, zone, now)}; "
                 "I'll message you if another time opens up.")
    return said
