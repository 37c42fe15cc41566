"""The web chat API (and the way tests drive whole conversations). Public: no token.

`POST /api/v1/chat` answers a message; `GET /api/v1/chat/inbox` holds what the worker sent
the session since (confirmations, reminders), which the page polls. The session id is the only
key to a client's bookings, so it travels in the body or the `X-Chat-Session` header, never in
a URL (URLs end up in access logs, proxies' logs and browser history).

Both are rate limited per session and per client IP (webhooks/ratelimit.py): a refused message
is a 429 with Retry-After whose body also carries a chat reply saying how long to wait.
"""
from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from redis.exceptions import RedisError

from bots import webchat
from bots.webchat import WebChatInbox, WebChatSender
from core.conversation.errors import ConversationBusy
from webhooks import ratelimit
from webhooks.clientip import client_ip
from webhooks.deps import ContainerDep

log = logging.getLogger(__name__)
router = APIRouter(tags=["chat"])
SESSION = webchat.SESSION_PATTERN


class ChatIn(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")
    session: Annotated[str, Field(pattern=SESSION, description="the browser's own conversation id")]
    text: Annotated[str | None, Field(max_length=4000)] = None
    choice: Annotated[str | None, Field(max_length=200)] = None
    message_id: Annotated[str | None, Field(alias="messageId", pattern=SESSION,
                                            description="sent again on a retry, answered once")] = None

    @model_validator(mode="after")
    def _one_of_text_or_choice(self) -> "ChatIn":
        if (self.text is None) == (self.choice is None):
            raise ValueError("send either text (what the person typed) or choice (the value of a picked option)")
        return self


class ChoiceOut(BaseModel):
    label: str
    value: str


class ReplyOut(BaseModel):
    text: str
    choices: list[ChoiceOut]


class ChatOut(BaseModel):
    replies: list[ReplyOut]


RATE_LIMITED = {429: {"description": "too many messages from this session or address: wait `Retry-After` "
                                     "seconds (`replies` holds a chat reply saying so)"}}


@router.post("/api/v1/chat", response_model=ChatOut, responses=RATE_LIMITED)
def chat(body: ChatIn, container: ContainerDep, request: Request) -> dict:
    """One message from the web chat; the assistant's replies, each with its choices."""
    origin = client_ip(request)
    # Before the conversation's per-person lock: a flood is turned away without waiting on anyone.
    ratelimit.enforce(request, ("chat", body.session), ("chat_ip", origin), chat_reply=True)
    if container.assistant is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "the chat needs Redis, which is not configured")
    inbound = webchat.to_inbound(session=body.session, text=body.text, choice=body.choice, message_id=body.message_id,
                                 origin=origin)
    try:
        replies = container.assistant.handle(inbound)
    except ConversationBusy as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, f"{exc}; please send it again") from exc
    return webchat.render(replies)


class FileOut(BaseModel):
    name: str
    type: str
    url: str = Field(description="where to fetch it (relative to this API's base, `api/v1/chat/inbox/...`), "
                                 "with the same X-Chat-Session header")


class InboxMessage(BaseModel):
    id: int = Field(description="increases with every message to the session; ask for those `after` it")
    text: str
    choices: list[ChoiceOut]
    at: datetime = Field(description="when it was sent (UTC)")
    file: FileOut | None = Field(default=None, description="a file sent with it, such as the appointment's .ics")


class InboxOut(BaseModel):
    messages: list[InboxMessage]
    last: int = Field(description="the newest id sent to this session (0 if none): the next `after`")


SESSION_HEADER = "X-Chat-Session"
SessionHeader = Annotated[str, Header(alias=SESSION_HEADER, pattern=SESSION,
                                      description="the browser's own conversation id (never in the URL)")]
NO_STORE = {"Cache-Control": "no-store"}


def _limit_inbox(request: Request, session: SessionHeader) -> None:
    ratelimit.enforce(request, ("inbox", session), ("inbox_ip", client_ip(request)))


InboxLimit = [Depends(_limit_inbox)]
POLLED_TOO_OFTEN = {429: {"description": "asked too often from this session or address: wait `Retry-After` seconds"}}


def _inbox(container) -> WebChatInbox:
    sender = container.senders.get(webchat.CHANNEL)
    if not isinstance(sender, WebChatSender):
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "the chat inbox needs Redis, which is not configured")
    return sender.inbox


@router.get("/api/v1/chat/inbox", response_model=InboxOut, dependencies=InboxLimit, responses=POLLED_TOO_OFTEN)
def inbox(session: SessionHeader, container: ContainerDep, response: Response,
          after: Annotated[int, Query(ge=0, le=2**53, description="the last id already seen (0: everything)")] = 0
          ) -> InboxOut:
    """What the assistant sent this session since `after`, out of band: confirmations, reminders with
    their Confirm / Cancel / Move choices. Replies to `POST /api/v1/chat` are never repeated here.
    The page polls it; a choice is answered by posting it to `POST /api/v1/chat` as usual."""
    store = _inbox(container)
    try:
        raw, last = store.read(session, after)
    except RedisError as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "the chat inbox is unavailable for a moment; "
                                                                 "please ask again") from exc
    messages = []
    for item in raw:
        try:
            message = InboxMessage.model_validate({**item, "file": None})
        except ValidationError:
            log.warning("skipping an unreadable web chat inbox message")  # the session id is a key: not logged
            continue
        file = item.get("file")
        if isinstance(file, dict):
            message.file = FileOut(name=str(file.get("name") or "file"), type=str(file.get("type") or ""),
                                   url=f"api/v1/chat/inbox/{message.id}/file")
        messages.append(message)
    response.headers.update(NO_STORE)
    return InboxOut(messages=messages, last=last)


@router.get("/api/v1/chat/inbox/{message_id}/file", response_class=Response, dependencies=InboxLimit,
            responses={200: {"content": {"text/calendar": {}}, "description": "the file, as a download"},
                       **POLLED_TOO_OFTEN})
def inbox_file(session: SessionHeader, message_id: Annotated[int, Path(ge=1, le=2**53)],
               container: ContainerDep) -> Response:
    """The file sent with an inbox message (the appointment's .ics), for a few days after it was sent.
    The page fetches it with the session header and offers it to save as a `blob:` link."""
    store = _inbox(container)
    try:
        attachment = store.file(session, message_id)
    except RedisError as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "the chat inbox is unavailable for a moment; "
                                                                 "please ask again") from exc
    if attachment is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no file with that message (or it has expired)")
    name = re.sub(r"[^A-Za-z0-9._-]", "_", attachment.filename) or "file"
    return Response(attachment.content, media_type=attachment.mime_type,
                    headers={**NO_STORE, "Content-Disposition": f'attachment; filename="{name}"',
                             "X-Content-Type-Options": "nosniff"})
