"""Twilio's default opt-out, opt-in and help keywords, and our answer to HELP.

Twilio acts on a keyword only when it is the whole message (one word, any case): "STOP" or
"cancel" unsubscribes the number, "cancel my haircut" or "please stop" does not (see
https://help.twilio.com/articles/223134027). We match the same way, so our record agrees
with Twilio's block list, and a sentence that mentions cancelling reaches the assistant.
"""
from __future__ import annotations

OPT_OUT = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
OPT_IN = frozenset({"START", "YES", "UNSTOP", "OPTIN"})
HELP = frozenset({"HELP", "INFO"})

HELP_TEXT = (
    "Book, move or cancel appointments by text. Try \"haircut tomorrow after 4\", \"my appointments\" "
    "or \"cancel my haircut\" (not just the word CANCEL: on its own it unsubscribes you). "
    "Reply with a number to pick an option. STOP to opt out, START to opt back in."
)


def keyword(body: str | None) -> str | None:
    """ "opt_out", "opt_in", "help" or None, for the body of an inbound SMS."""
    word = (body or "").strip().upper()
    if word in OPT_OUT:
        return "opt_out"
    if word in OPT_IN:
        return "opt_in"
    if word in HELP:
        return "help"
    return None
