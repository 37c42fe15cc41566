"""`POST /webhooks/twilio/sms` and `/webhooks/twilio/status`: Twilio's webhooks, refused unless Twilio signed them.

Both are refused (403) when SLOTLINE_PUBLIC_URL or TWILIO_AUTH_TOKEN is unset: without them no
signature can be checked. Thin: the SMS channel (`bots.sms`) does the rest, through the inbox the
composition root built (`webhooks.channels`).

Rate limits (webhooks/ratelimit.py): a loose one per IP before the signature check (429), and,
for texts, one per number (`From`) after it. A number over its limit gets a 200 whose TwiML
says "slow down" once a window and nothing after, and the conversation is not run; opt-out and
opt-in words always go through, since they must be recorded.
"""
from __future__ import annotations

import logging
from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError
from starlette.datastructures import ImmutableMultiDict

from bots import sms
from bots.sms import keywords
from bots.sms.inbox import twiml
from core.conversation.messages import Reply
from webhooks import ratelimit
from webhooks.channels import SmsInboxDep
from webhooks.deps import ContainerDep
from webhooks.errors import NOTES_AWAY

log = logging.getLogger(__name__)
router = APIRouter(tags=["twilio"], include_in_schema=False, dependencies=[Depends(ratelimit.limit_webhook_ip)])
TWIML = "text/xml"


async def twilio_form(request: Request, container: ContainerDep) -> ImmutableMultiDict:
    """The webhook's form fields, once its `X-Twilio-Signature` is shown to be Twilio's (else 403)."""
    settings = container.settings
    if not (settings.public_url and settings.twilio_auth_token):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "Twilio webhooks need SLOTLINE_PUBLIC_URL and TWILIO_AUTH_TOKEN")
    try:
        form = ImmutableMultiDict(parse_qsl((await request.body()).decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "the form is not UTF-8") from None
    url = settings.public_url.rstrip("/") + request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if not sms.signature_is_valid(settings.twilio_auth_token, url, form, request.headers.get("X-Twilio-Signature")):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "X-Twilio-Signature does not match")
    return form


TwilioForm = Annotated[ImmutableMultiDict, Depends(twilio_form)]


@router.post("/webhooks/twilio/sms")
def incoming_sms(form: TwilioForm, inbox: SmsInboxDep, request: Request) -> Response:
    """A text from a client; the answer is TwiML, one `<Message>` a reply (none for a repeat or STOP)."""
    held = _held_back(request, form, inbox.opt_outs)
    if held is not None:
        return Response(held, media_type=TWIML)
    try:
        return Response(inbox.answer(form), media_type=TWIML)
    except sms.BadWebhook as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
    except RedisError as exc:  # the conversation lives in Redis: say so in the answer Twilio expects
        log.warning("answering a text while Redis is unavailable: %s", exc)
        return Response(twiml([Reply(NOTES_AWAY)]), media_type=TWIML)


def _held_back(request: Request, form: ImmutableMultiDict, opt_outs: sms.OptOuts) -> str | None:
    """TwiML for a number over its limit ("slow down" once a window, then nothing); None to answer as usual."""
    sender = form.get("From")
    if not sender or keywords.keyword(form.get("Body")) in ("opt_out", "opt_in"):
        return None
    refusal = ratelimit.rate_limits(request).sender_refusal("sms", sender)
    if refusal is None:
        return None
    tell = refusal.notify and not opt_outs.is_opted_out(sender)
    return twiml([Reply(ratelimit.slow_down(refusal.retry_after))] if tell else [])


@router.post("/webhooks/twilio/status")
def delivery_status(form: TwilioForm, container: ContainerDep) -> Response:
    """Twilio's report on a message we sent, stored on its notification; an unknown SID is fine (200)."""
    sid, state = form.get("MessageSid") or form.get("SmsSid"), form.get("MessageStatus") or form.get("SmsStatus")
    if not sid or not state:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "a status callback carries MessageSid and MessageStatus")
    try:
        sms.record_delivery(container.session_factory, message_sid=sid, status=state,
                            error_code=form.get("ErrorCode"), error_message=form.get("ErrorMessage"))
    except sms.UnknownStatus as exc:
        log.warning("ignoring a Twilio status callback for %s: %s", sid, exc)
    except SQLAlchemyError:
        log.exception("could not record Twilio's status %s for %s", state, sid)
        return Response(status_code=status.HTTP_503_SERVICE_UNAVAILABLE, headers={"Retry-After": "5"})
    return Response(status_code=status.HTTP_200_OK)
