"""The SMS channel, over Twilio: verify, parse to `Inbound`, render `Reply` as numbered lines, send.

- Inbound texts arrive at `POST /webhooks/twilio/sms`, signed by Twilio (`X-Twilio-Signature`,
  checked over `SLOTLINE_PUBLIC_URL` + path and the form); `SmsInbox` answers them in TwiML.
- Choices become numbered lines ("1) 16:00"), and a bare number picks one. Each reply is kept
  within two GSM-7 segments where it can be (`render`, counted by `segments`).
- `SmsSender` sends reminders and other notifications through Twilio's REST API, and
  `record_delivery` stores what `POST /webhooks/twilio/status` reports about them.

Opt-out. Twilio's default opt-out words (STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE,
OPTOUT) mark the number's sms identity `opted_out`, and START, YES, UNSTOP or OPTIN clear it;
HELP or INFO get our help. Nothing is sent to an opted-out number, by TwiML or by `SmsSender`.
CANCEL is an opt-out word, so no prompt ever tells a client to reply CANCEL (`render` rewrites
such an instruction). Twilio acts on these words only when the word is the whole message: a
client who texts "cancel" is unsubscribed by Twilio (and we record it), while "cancel my
appointment" is not an opt-out for Twilio and is handed to the assistant as a cancel request.
"""
from __future__ import annotations

from collections.abc import Mapping

from twilio.request_validator import RequestValidator

from bots.sms.inbox import BadWebhook, SmsInbox
from bots.sms.optouts import CHANNEL, OptOuts
from bots.sms.render import render
from bots.sms.segments import segments
from bots.sms.sender import SmsSender
from bots.sms.status import UnknownStatus, record_delivery

__all__ = ["CHANNEL", "BadWebhook", "OptOuts", "SmsInbox", "SmsSender", "UnknownStatus", "record_delivery",
           "render", "segments", "signature_is_valid"]


def signature_is_valid(auth_token: str, url: str, form: Mapping[str, str], signature: str | None) -> bool:
    """True when `signature` is Twilio's HMAC of `url` and the form, keyed with our auth token."""
    return bool(signature) and RequestValidator(auth_token).validate(url, form, signature)
