"""The Slack channel's two pure converters: a Slack message or button press in, a `Reply` out as Block Kit.

Choices become buttons (`action_id` `slotline_choice_<n>`, value = the choice's value); a
message whose buttons were used is rewritten to say what was picked, so nothing on it can
be pressed a second time.
"""
from __future__ import annotations

import re

from core.conversation.messages import Inbound, Reply

CHANNEL = "slack"
CHOICE_ACTION = re.compile(r"^slotline_choice_\d+$")
TEXT_BLOCK = "slotline_text"
SECTION_LIMIT = 3000   # characters in a section's text
BUTTON_LABEL_LIMIT = 75
BUTTONS_PER_BLOCK = 25
_LINK = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")


def from_message(event: dict) -> Inbound:
    """A person's direct message to the app. Slack's own id for the message answers a retried delivery once."""
    return Inbound(channel=CHANNEL, sender=event["user"], text=plain_text(event.get("text") or ""),
                   message_id=event.get("client_msg_id") or event["ts"])


def from_choice(body: dict, action: dict) -> Inbound:
    """A pressed choice button: each press has its own `action_ts`, so a retried delivery is answered once."""
    user = body["user"]["id"]
    return Inbound(channel=CHANNEL, sender=user, choice=action["value"], message_id=f"{action['action_ts']}:{user}")


def is_person_dm(event: dict) -> bool:
    """A plain message a person typed in their DM with the app (not an edit, a bot, or a channel message)."""
    return (event.get("channel_type") == "im" and "subtype" not in event and not event.get("bot_id")
            and bool(event.get("user")))


def plain_text(text: str) -> str:
    """Slack's wire text as the person typed it: links and mentions unwrapped, entities unescaped."""
    def unwrap(match: re.Match) -> str:
        target, label = match.group(1), match.group(2)
        if label:
            return label
        if target.startswith(("@", "#", "!")):
            return ""
        return target.removeprefix("mailto:")
    text = _LINK.sub(unwrap, text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()


def escape(text: str) -> str:
    """Text that Slack shows literally in mrkdwn (no accidental links or mentions)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render(reply: Reply) -> dict:
    """`chat.postMessage` arguments for a reply: the text (also the notification's), choices as buttons."""
    blocks: list[dict] = [{"type": "section", "block_id": TEXT_BLOCK,
                           "text": {"type": "mrkdwn", "text": escape(reply.text)[:SECTION_LIMIT], "verbatim": True}}]
    buttons = [{"type": "button", "action_id": f"slotline_choice_{n}", "value": choice.value,
                "text": {"type": "plain_text", "text": _label(choice.label), "emoji": True}}
               for n, choice in enumerate(reply.choices)]
    for start in range(0, len(buttons), BUTTONS_PER_BLOCK):
        blocks.append({"type": "actions", "block_id": f"slotline_choices_{start // BUTTONS_PER_BLOCK}",
                       "elements": buttons[start:start + BUTTONS_PER_BLOCK]})
    return {"text": reply.text, "blocks": blocks}


def spent(message: dict, picked: str) -> dict:
    """`chat.update` arguments for a message whose button was pressed: the buttons give way to the pick."""
    blocks = [block for block in message.get("blocks") or [] if block.get("type") != "actions"]
    blocks.append({"type": "context", "block_id": "slotline_picked",
                   "elements": [{"type": "mrkdwn", "text": f"You picked *{escape(picked)}*"}]})
    return {"text": message.get("text") or picked, "blocks": blocks}


def _label(label: str) -> str:
    return label if len(label) <= BUTTON_LABEL_LIMIT else label[:BUTTON_LABEL_LIMIT - 1] + "…"
