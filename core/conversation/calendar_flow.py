"""A client's calendar feed by chat: "add my appointments to my calendar" answers with their feed link.

The link is their secret iCalendar feed (`core.booking.feeds`): subscribed to once from Google
Calendar, Outlook or Apple Calendar, it keeps showing their appointments as they book, move and
cancel. "A new calendar link" revokes the old one first (a link shared by mistake stops working).
Someone who has never booked has nothing to show, and no user is made for them.
"""
from __future__ import annotations

import re

from core.booking.feeds import CLIENT
from core.conversation import choices
from core.conversation.state import State
from core.conversation.turn import Turn

RENEW = re.compile(r"\b(new|reset|revoke|replace|different)\b")
HOW = ("Subscribe to it from your calendar app (Google Calendar: Other calendars > From URL; "
       "Apple Calendar: File > New Calendar Subscription; Outlook: Add calendar > Subscribe from web) "
       "and your appointments will show there and stay up to date. Keep the link to yourself: "
       "anyone with it can see your appointments. Say \"new calendar link\" to replace it.")


def give_link(turn: Turn) -> State:
    """Answer with the client's feed URL (made on first ask, the same one after), or say why not."""
    feeds, client_id = turn.desk.feeds, turn.client.id
    if feeds is None or feeds.base_url is None:
        turn.say("Sorry, I can't give out calendar links here. \"My appointments\" lists yours.",
                 [("My appointments", choices.intent("list"))])
        return turn.state
    if client_id is None:
        turn.say("You have no appointments with us yet, so there is nothing for your calendar. "
                 "Would you like to book one?", [("Book an appointment", choices.intent("book"))])
        return turn.state
    renewed = bool(RENEW.search(turn.heard.text.lower())) if turn.heard else False
    if renewed:
        feeds.revoke(CLIENT, client_id)
    url = feeds.url(CLIENT, client_id)
    lead = "Here is your new calendar link (the old one no longer works):" if renewed \
        else "Here is your calendar link:"
    turn.say(f"{lead}\n{url}\n{HOW}")
    return turn.state
