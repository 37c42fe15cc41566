"""Block Kit for providers: a day's agenda (a message or the App Home) and the two modals. Pure.

One section per appointment (time in the provider's own zone, service, client, status) and
an actions block under it: Completed, No-show, Running late, Cancel. A button's value is
the appointment id; the listeners check that the person pressing it is its provider.
"""
from __future__ import annotations

import json
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from bots.slack.messages import escape
from core.booking.provider_day import Agenda, AgendaItem
from core.conversation.render import clock, day_label, zone_label

MARK_ACTIONS = {"agenda_completed": "completed", "agenda_no_show": "no_show"}
# Approve / Decline: on a request's own message ("request_*"), or on its line in an agenda ("agenda_*").
ANSWER_ACTIONS = {"request_approve": "approve", "request_decline": "decline",
                  "agenda_approve": "approve", "agenda_decline": "decline"}
LATE_ACTION, CANCEL_ACTION = "agenda_running_late", "agenda_cancel"
LATE_VIEW, CANCEL_VIEW = "slotline_running_late", "slotline_cancel"
LATE_MINUTES = (5, 10, 15, 30)
STATUS = {"pending": "awaiting your approval", "confirmed": "confirmed", "completed": "completed ✓", "no_show": "no-show",
          "cancelled": "cancelled"}
MESSAGE_ITEMS, HOME_ITEMS = 23, 22  # Slack allows 50 blocks in a message, 100 in a view


def agenda_message(agenda: Agenda) -> dict:
    """`chat.postMessage`/`respond` arguments for one day's agenda."""
    return {"text": f"Your agenda: {_title(agenda)}", "blocks": agenda_blocks(agenda, MESSAGE_ITEMS)}


def agenda_blocks(agenda: Agenda, limit: int) -> list[dict]:
    blocks: list[dict] = [{"type": "header", "text": {"type": "plain_text", "text": _title(agenda)[:150]}}]
    if not agenda.items:
        blocks.append(_mrkdwn("Nothing booked."))
    for item in agenda.items[:limit]:
        blocks.append(_mrkdwn(item_line(item, agenda.provider.timezone), block_id=_block_id(agenda.day, item, "line")))
        buttons = _buttons(item)
        if buttons:
            blocks.append({"type": "actions", "block_id": _block_id(agenda.day, item, "do"), "elements": buttons})
    if len(agenda.items) > limit:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text":
                       f"…and {len(agenda.items) - limit} more."}]})
    return blocks


def item_line(item: AgendaItem, zone: str) -> str:
    return (f"*{clock(item.start, zone)}–{clock(item.end, zone)}*  {escape(item.service)} · "
            f"{escape(item.client)}{client_record(item)} · _{STATUS.get(item.status, item.status)}_")


def client_record(item: AgendaItem) -> str:
    """" (2 no-shows, 1 late cancellation)" after the client's name; nothing for a clean record."""
    parts = [_count(n, noun) for n, noun in ((item.no_shows, "no-show"),
                                             (item.late_cancellations, "late cancellation")) if n]
    return f" ({', '.join(parts)})" if parts else ""


def request_message(item: AgendaItem, zone: str, now: datetime) -> dict:
    """`chat.postMessage` arguments asking the provider to approve or decline a request."""
    when = f"{day_label(item.start, zone, now)}, {clock(item.start, zone)}–{clock(item.end, zone)} ({zone_label(zone)})"
    text = f"New request: {item.client}{client_record(item)} asks for a {item.service} on {when}."
    return {"text": text, "blocks": [
        _mrkdwn(f"*New request* awaiting your approval\n{escape(item.service)} · {escape(item.client)}"
                f"{client_record(item)}\n{escape(when)}", block_id=f"request_{item.appointment_id}_line"),
        {"type": "actions", "block_id": f"request_{item.appointment_id}_do", "elements": [
            _button("request_approve", "Approve", item.appointment_id, "primary"),
            _button("request_decline", "Decline", item.appointment_id, "danger")]}]}


def answered_message(text: str, line: str) -> dict:
    """`chat.update` arguments for a request once answered: what it was and what came of it, no buttons."""
    return {"text": text, "blocks": [_mrkdwn(line), {"type": "context", "elements": [
        {"type": "mrkdwn", "text": escape(text)}]}]}


def home_view(today: Agenda, tomorrow: Agenda) -> dict:
    blocks = [*agenda_blocks(today, HOME_ITEMS), {"type": "divider"}, *agenda_blocks(tomorrow, HOME_ITEMS),
              {"type": "context", "elements": [{"type": "mrkdwn", "text":
               "`/agenda friday` shows another day; `/block 2-4pm friday` blocks time off."}]}]
    return {"type": "home", "blocks": blocks}


def welcome_home_view() -> dict:
    """The App Home for someone who is not a provider: how to book."""
    return {"type": "home", "blocks": [
        {"type": "header", "text": {"type": "plain_text", "text": "Book an appointment"}},
        _mrkdwn("Send me a message in the *Messages* tab, like _a haircut tomorrow after 4_, and I'll find you "
                "a time. You can also ask me to move or cancel an appointment.")]}


def late_modal(item: AgendaItem, zone: str, metadata: dict) -> dict:
    options = [{"text": {"type": "plain_text", "text": f"{m} minutes"}, "value": str(m)} for m in LATE_MINUTES]
    return _modal(LATE_VIEW, "Running late", "Tell the client", metadata, [
        _mrkdwn(item_line(item, zone)),
        {"type": "input", "block_id": "minutes", "label": {"type": "plain_text", "text": "How late will you be?"},
         "element": {"type": "radio_buttons", "action_id": "minutes", "options": options}}])


def cancel_modal(item: AgendaItem, zone: str, metadata: dict) -> dict:
    return _modal(CANCEL_VIEW, "Cancel appointment", "Cancel it", metadata, [
        _mrkdwn(item_line(item, zone)),
        {"type": "input", "block_id": "reason", "label": {"type": "plain_text", "text": "Reason"},
         "hint": {"type": "plain_text", "text": "The client is told this, and the time is freed for others."},
         "element": {"type": "plain_text_input", "action_id": "reason", "max_length": 500,
                     "placeholder": {"type": "plain_text", "text": "e.g. I'm unwell today"}}}])


def answer(view: dict, block_id: str) -> str:
    """What was entered or chosen in an input block of a submitted modal."""
    element = view["state"]["values"][block_id][block_id]
    return (element.get("selected_option") or {}).get("value") or element.get("value") or ""


def metadata(view: dict) -> dict:
    return json.loads(view.get("private_metadata") or "{}")


def _modal(callback_id: str, title: str, submit: str, meta: dict, blocks: list[dict]) -> dict:
    return {"type": "modal", "callback_id": callback_id, "private_metadata": json.dumps(meta),
            "title": {"type": "plain_text", "text": title}, "submit": {"type": "plain_text", "text": submit},
            "close": {"type": "plain_text", "text": "Back"}, "blocks": blocks}


def _buttons(item: AgendaItem) -> list[dict]:
    if item.awaiting_approval:
        wanted = [("agenda_approve", "Approve", "primary"), ("agenda_decline", "Decline", "danger")]
    elif item.active:
        wanted = [("agenda_completed", "Completed", "primary"), ("agenda_no_show", "No-show", None),
                  (LATE_ACTION, "Running late", None), (CANCEL_ACTION, "Cancel", "danger")]
    elif item.status in ("completed", "no_show"):  # a slip of the finger can be put right
        wanted = [("agenda_no_show", "No-show", None)] if item.status == "completed" else \
            [("agenda_completed", "Completed", "primary")]
    else:
        wanted = []
    return [_button(action, label, item.appointment_id, style) for action, label, style in wanted]


def _button(action: str, label: str, appointment_id: int, style: str | None) -> dict:
    return {"type": "button", "action_id": action, "value": str(appointment_id),
            "text": {"type": "plain_text", "text": label}, **({"style": style} if style else {})}


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _title(agenda: Agenda) -> str:
    zone = agenda.provider.timezone
    midnight = datetime.combine(agenda.day, time(0), tzinfo=ZoneInfo(zone))
    day = day_label(midnight, zone, agenda.now)
    return f"{day[0].upper()}{day[1:]} · {zone_label(zone)}"


def _block_id(day: date, item: AgendaItem, part: str) -> str:
    return f"appointment_{day:%Y%m%d}_{item.appointment_id}_{part}"


def _mrkdwn(text: str, block_id: str | None = None) -> dict:
    section = {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}
    return section | {"block_id": block_id} if block_id else section
