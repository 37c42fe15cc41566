"""A neutral `Reply` as one SMS body: choices as numbered lines, kept within two segments where it can be.

Numbers are the positions of the choices as the assistant sent them, so a bare "2" picks what
it showed as 2 even when some lines were left out to save room. To fit, the renderer first
swaps typography for GSM-7 characters (one non-GSM-7 character makes the whole message
UCS-2, less than half the room), then abbreviates, then leaves out the middle choices
(keeping the first ones and the last two, the way on: "Later", "Another day").
"""
from __future__ import annotations

import re

from bots.sms.segments import fits, gsm_friendly
from core.conversation.messages import Reply

MAX_SEGMENTS = 2
PROMPT = "Reply with a number."
SHORT_PROMPT = "Reply with a number"
ABBREVIATIONS = (
    (re.compile(r"\bminutes\b"), "min"),
    (re.compile(r"\b(appointment)(s?)\b", re.IGNORECASE), r"appt\2"),
    (re.compile(r"\bWould you like\b"), "Want"),
    (re.compile(r"\bplease\b ?", re.IGNORECASE), ""),
    (re.compile(r" {2,}"), " "),
)
# "Reply CANCEL" would unsubscribe the client (CANCEL is one of Twilio's opt-out words), so an
# instruction to send the bare word is rewritten into a phrase the assistant understands.
BARE_CANCEL = re.compile(
    r"\b(reply|text|send|type|say)(\s+with)?\s+[\"']?cancel[\"']?(?=\s*(?:$|[.,;:!?)]|\s(?:to|or|and|if)\b))",
    re.IGNORECASE | re.MULTILINE)
TAIL = 2  # choices at the end that are kept when the middle ones are dropped


def render(reply: Reply, *, max_segments: int = MAX_SEGMENTS) -> str:
    """The SMS body for `reply`: its text, then "1) ..." lines and a prompt when it has choices."""
    text = safe_text(reply.text)
    numbered = [(n, gsm_friendly(c.label)) for n, c in enumerate(reply.choices, 1)]
    if not numbered:
        return text if fits(text, max_segments) else abbreviate(text)
    body = compose(text, numbered, PROMPT)
    if fits(body, max_segments):
        return body
    text, numbered = abbreviate(text), [(n, abbreviate(label)) for n, label in numbered]
    for shown in shrinking(numbered):
        body = compose(text, shown, SHORT_PROMPT)
        if fits(body, max_segments):
            return body
    return body  # as short as it gets without losing what the text says


def safe_text(text: str) -> str:
    return BARE_CANCEL.sub(lambda m: f'{m.group(1)}{m.group(2) or ""} "cancel my appointment"',
                           gsm_friendly(text)).strip()


def abbreviate(text: str) -> str:
    for pattern, short in ABBREVIATIONS:
        text = pattern.sub(short, text)
    return text.strip()


def compose(text: str, numbered: list[tuple[int, str]], prompt: str) -> str:
    lines = [f"{n}) {label}" for n, label in numbered]
    return "\n".join([text, *lines, prompt]) if text else "\n".join([*lines, prompt])


def shrinking(numbered: list[tuple[int, str]]):
    """All the choices, then fewer and fewer: the last of the middle ones goes first."""
    shown = list(numbered)
    yield shown
    tail = TAIL if len(shown) > TAIL + 2 else 0
    while len(shown) > tail + 1:
        del shown[len(shown) - tail - 1]
        yield shown
