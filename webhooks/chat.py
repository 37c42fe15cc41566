"""`POST /api/v1/chat`: the web chat (and the way tests drive whole conversations). Public: no token."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field, model_validator

from bots import webchat
from webhooks.deps import ContainerDep

router = APIRouter(tags=["chat"])
SESSION = r"^[A-Za-z0-9_.:-]{1,128}$"


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


@router.post("/api/v1/chat", response_model=ChatOut)
def chat(body: ChatIn, container: ContainerDep) -> dict:
    """One message from the web chat; the assistant's replies, each with its choices."""
    if container.assistant is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "the chat needs Redis, which is not configured")
    inbound = webchat.to_inbound(session=body.session, text=body.text, choice=body.choice, message_id=body.message_id)
    try:
        replies = container.assistant.handle(inbound)
    except TimeoutError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, f"{exc}; please send it again") from exc
    return webchat.render(replies)
