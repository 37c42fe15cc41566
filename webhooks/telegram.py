"""`POST /webhooks/telegram`: Telegram's webhook. Verify the secret, parse, answer 200; reply after.

The secret header is checked before anything else runs (403). The update is handled after the
response, in the threadpool (the assistant is sync), so Telegram gets its 200 at once; a
retried update is answered once (the assistant dedupes on the update id). The channel is the
one the composition root built (`webhooks.channels`: 503 while Telegram is off).

Rate limits (webhooks/ratelimit.py): a loose one per IP before the secret check (429), and one
per person (`from.id`) after it. A person over theirs still gets a 200 (Telegram would otherwise
retry) but the update is not handled; once a window the answer itself carries a "slow down"
message (Telegram runs a Bot API method given in a webhook's response), so it costs no call.
"""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, HTTPException, Request, status
from starlette.concurrency import run_in_threadpool
from telegram import Update

from bots import telegram
from webhooks import ratelimit
from webhooks.channels import TelegramDep
from webhooks.deps import ContainerDep

router = APIRouter(tags=["telegram"], dependencies=[Depends(ratelimit.limit_webhook_ip)])


async def verified_update(request: Request, container: ContainerDep) -> Update:
    """The Update, once it carries the secret given to setWebhook (else 403) and parses (else 400)."""
    if not telegram.secret_matches(container.settings.telegram_webhook_secret,
                                   request.headers.get(telegram.SECRET_HEADER)):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"missing or wrong {telegram.SECRET_HEADER}")
    try:
        return telegram.parse_update(await request.body())
    except telegram.MalformedUpdate as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from exc


async def held_back(update: Annotated[Update, Depends(verified_update)], request: Request) -> dict | None:
    """The answer for an update whose person is over their limit; None to handle it."""
    sender = _sender_of(update)
    if sender is None:
        return None
    refusal = await run_in_threadpool(ratelimit.rate_limits(request).sender_refusal, "telegram", sender)
    return _slow_down(update, refusal) if refusal is not None else None


@router.post("/webhooks/telegram", responses={
    400: {"description": "the body is not a Telegram Update"},
    403: {"description": "missing or wrong X-Telegram-Bot-Api-Secret-Token (or no secret configured)"},
    503: {"description": "Telegram is not configured (no bot token, or no Redis)"}})
async def telegram_update(update: Annotated[Update, Depends(verified_update)],
                          held: Annotated[dict | None, Depends(held_back)], channel: TelegramDep,
                          background: BackgroundTasks) -> dict:
    """One Update from Telegram, sent with the secret given to setWebhook."""
    if held is not None:
        return held
    background.add_task(channel.handle, update)  # sync: run in the threadpool
    return {"ok": True}


def _sender_of(update: Update) -> str | None:
    """Whose allowance an update spends: the person (`from.id`), or the chat when no person is named."""
    user, chat = update.effective_user, update.effective_chat
    return str(user.id) if user is not None else str(chat.id) if chat is not None else None


def _slow_down(update: Update, refusal: ratelimit.Refusal) -> dict:
    """The answer to an update held back: a tap is always settled (no endless spinner); "slow down" once a window."""
    text = ratelimit.slow_down(refusal.retry_after) if refusal.notify else None
    if update.callback_query is not None:
        return {"method": "answerCallbackQuery", "callback_query_id": update.callback_query.id,
                **({"text": text} if text else {})}
    chat = update.effective_chat
    if text and chat is not None:
        return {"method": "sendMessage", "chat_id": chat.id, "text": text}
    return {"ok": True}
