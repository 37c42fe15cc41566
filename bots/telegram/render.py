"""Telegram's output form: a `Reply` as message text plus an inline keyboard.

Short labels (times) share rows, long ones get a row each; a new kind of option (the slots,
then "Later"/"Another day") starts a new row. Telegram caps a message at 4096 characters and
a button's callback_data at 64 bytes; both limits are kept here.
"""
from __future__ import annotations

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

from bots.telegram.inbound import POSITION_PREFIX
from core.conversation.messages import Choice, Reply

MAX_TEXT = 4096
MAX_CALLBACK_DATA = 64
SHARE_PHONE = "Share my phone number"
CONTACT_OFFER = ("If you'd like reminders by SMS as well, or already book with us by text, tap \"Share my "
                 "phone number\" below. It's optional.")


def render(reply: Reply) -> list[tuple[str, InlineKeyboardMarkup | None]]:
    """The messages for one reply: its text (split if very long), the keyboard on the last one."""
    parts = split_text(reply.text or "…")
    markup = keyboard(reply.choices)
    return [(part, markup if i == len(parts) - 1 else None) for i, part in enumerate(parts)]


def keyboard(choices: tuple[Choice, ...]) -> InlineKeyboardMarkup | None:
    if not choices:
        return None
    rows: list[list[InlineKeyboardButton]] = []
    row_kind, row_cap = None, 0
    for position, choice in enumerate(choices, start=1):
        kind, cap = _kind(choice.value), _per_row(choice.label)
        if rows and kind == row_kind and len(rows[-1]) < min(row_cap, cap):
            rows[-1].append(_button(choice, position))
            row_cap = min(row_cap, cap)
        else:
            rows.append([_button(choice, position)])
            row_kind, row_cap = kind, cap
    return InlineKeyboardMarkup(rows)


def split_text(text: str) -> list[str]:
    """Pieces of at most MAX_TEXT characters, cut at a line break where there is one."""
    parts = []
    while len(text) > MAX_TEXT:
        cut = text.rfind("\n", 0, MAX_TEXT)
        cut = cut if cut > 0 else MAX_TEXT
        parts.append(text[:cut])
        text = text[cut:].lstrip("\n")
    return [*parts, text]


def picked(text: str | None, label: str | None) -> str | None:
    """The text of a message whose keyboard was used, showing what was picked; None if unknown."""
    if not text or not label:
        return None
    suffix = f"\n\n» {label}"
    return text[:MAX_TEXT - len(suffix)] + suffix


def contact_keyboard() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup([[KeyboardButton(SHARE_PHONE, request_contact=True)]], resize_keyboard=True,
                               one_time_keyboard=True)


def _button(choice: Choice, position: int) -> InlineKeyboardButton:
    data = choice.value
    if not data or len(data.encode("utf-8")) > MAX_CALLBACK_DATA:
        data = f"{POSITION_PREFIX}{position}"  # read back as the bare number the assistant understands
    return InlineKeyboardButton(choice.label or choice.value, callback_data=data)


def _kind(value: str) -> str:
    return value.partition(":")[0] if ":" in value else ""


def _per_row(label: str) -> int:
    return 4 if len(label) <= 6 else 2 if len(label) <= 16 else 1
