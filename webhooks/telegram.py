"""`POST /webhooks/telegram`: Telegram's webhook. Verify the secret, parse, answer 200; reply after.

The secret header is checked before anything else runs (403). The update is handled after the
response, in the threadpool (the assistant is sync), so Telegram gets its 200 at once; a
retried update is answered once (the assistant dedupes on the update id).
"""
from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, HTTPException, Request, status

from bots import telegram
from slotline.bootstrap import Container
from webhooks.deps import ContainerDep

router = APIRouter(tags=["telegram"])


@router.post("/webhooks/telegram", responses={
    400: {"description": "the body is not a Telegram Update"},
    403: {"description": "missing or wrong X-Telegram-Bot-Api-Secret-Token (or no secret configured)"},
    503: {"description": "Telegram is not configured (no bot token, or no Redis)"}})
async def telegram_update(request: Request, background: BackgroundTasks, container: ContainerDep) -> dict:
    """One Update from Telegram, sent with the secret given to setWebhook."""
    if not telegram.secret_matches(container.settings.telegram_webhook_secret,
                                   request.headers.get(telegram.SECRET_HEADER)):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"missing or wrong {telegram.SECRET_HEADER}")
    try:
        update = telegram.parse_update(await request.body())
    except telegram.MalformedUpdate as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from exc
    background.add_task(channel_for(request, container).handle, update)  # sync: run in the threadpool
    return {"ok": True}


def channel_for(request: Request, container: Container) -> telegram.TelegramChannel:
    """The app's one Telegram channel, made at its first update (503 while Telegram is not set up)."""
    channel = getattr(request.app.state, "telegram_channel", None)
    if channel is None:
        try:
            channel = telegram.TelegramChannel.from_container(container)
        except telegram.ChannelUnavailable as exc:
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(exc)) from exc
        request.app.state.telegram_channel = channel
    return channel
