""" "Cancel all my Tuesday sessions": when two or more upcoming appointments fit, ask whether just one
(then the usual pick and "are you sure?") or all of them (cancelled at once, each as on its own).
Part of `series_flow`; the appointments asked about wait in `Conversation.series` as {"cancel": [ids]}.
"""
from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from core.booking import errors
from core.conversation import choices, render
from core.conversation.manage_flow import describe
from core.conversation.state import IDLE, PICK_APPOINTMENT, SERIES_ONE_OR_ALL, State
from core.conversation.turn import Turn

MANY = re.compile(r"\b(all|every|each|both|series|recurring|weekly|sessions)\b"
                  r"|\b(mon|tues|wednes|thurs|fri|satur|sun)days\b")
ALL, ONE = re.compile(r"\b(all|every|both|them all|the lot)\b"), re.compile(r"\b(one|just (the )?(next|first)|single)\b")


def ask_one_or_all(turn: Turn) -> State | None:
    """Several upcoming appointments fit what they said: cancel one or all? None when fewer than two fit."""
    heard = turn.heard
    day = heard.weekday
    mine = [a for a in turn.bookings.upcoming(turn.client.id)
            if (heard.service_id is None or a.service_id == heard.service_id)
            and (heard.provider_id is None or a.provider_id == heard.provider_id)
            and (day is None or a.start_at.astimezone(ZoneInfo(turn.zone)).isoweekday() == day)]
    if len(mine) < 2:
        return None
    turn.convo.reset()
    turn.convo.intent, turn.convo.series = "cancel", {"cancel": [a.id for a in mine]}
    services = {a.service_id for a in mine}
    what = f"{turn.service_name(mine[0].service_id)}s" if len(services) == 1 else "appointments"
    on = f" on {mine[0].start_at.astimezone(ZoneInfo(turn.zone)):%A}s" if day else ""
    span = f"{render.day_label(mine[0].start_at, turn.zone)} to {render.day_label(mine[-1].start_at, turn.zone)}"
    turn.say(f"You have {len(mine)} {what}{on} coming up ({span}). Cancel just one, or all {len(mine)}?",
             [("Just one", choices.series("one")), (f"All {len(mine)}", choices.series("all")),
              ("Never mind", choices.RESTART)])
    return SERIES_ONE_OR_ALL


def cancel_choice(turn: Turn, word: str) -> State:
    convo = turn.convo
    wanted = convo.series.get("cancel", [])
    mine = [a for a in turn.bookings.upcoming(turn.client.id) if a.id in wanted]
    if word == "one" and mine:
        convo.series = None
        turn.say("Which one would you like to cancel?",
                 [(describe(turn, a), choices.appointment(a.id)) for a in mine] + [("Never mind", choices.RESTART)])
        return PICK_APPOINTMENT
    cancelled, kept = [], []
    for appt in mine:
        try:
            cancelled.append(turn.bookings.cancel(appt.id, reason="cancelled by the client in chat"))
        except errors.BookingError as exc:
            kept.append(f"{render.when(appt.start_at, turn.zone, turn.now)} ({exc})")
    convo.reset()
    lines = [f"• {describe(turn, a)}" for a in cancelled]
    text = "\n".join([f"Cancelled all {len(cancelled)}:" if cancelled else "Nothing was cancelled.", *lines])
    if kept:
        text += "\nNot cancelled: " + "; ".join(kept) + "."
    turn.say(text + "\nWould you like to book another time?",
             [("Book another time", choices.intent("book")), ("No, thanks", choices.RESTART)])
    return IDLE
