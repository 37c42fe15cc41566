"""Request bodies are capped: 64 KB for the public chat and the webhooks (Slack's 256 KB), 1 MB for the rest.

A pure ASGI middleware, so nothing is buffered before the decision: a declared Content-Length
over the cap is refused before the body is read at all, and a body without one (chunked) is
counted as it streams and refused as soon as it passes the cap. The answer is 413 with
`{"detail": ..., "code": "body_too_large"}`, whatever the route would have said.
"""
from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PUBLIC_MAX_BYTES = 64 * 1024
DEFAULT_MAX_BYTES = 1024 * 1024
# Path prefixes anyone on the internet may post to, with their smaller caps; the first match decides.
# Slack's is larger: a button pressed in the App Home carries the whole view (up to 100 blocks: a
# provider's full agenda for two days), and form-encoded that comes near 64 KB with long names.
CAPS = (("/webhooks/slack/", 256 * 1024), ("/webhooks/", PUBLIC_MAX_BYTES), ("/api/v1/chat", PUBLIC_MAX_BYTES))


class BodyTooLarge(Exception):
    """Raised from `receive` once the body passes its cap; the middleware answers 413."""


def cap_for(path: str) -> int:
    """The most bytes a request body to `path` may have."""
    return next((cap for prefix, cap in CAPS if path.startswith(prefix)), DEFAULT_MAX_BYTES)


class BodySizeLimit:
    """Refuses (413) a request whose body is larger than `cap_for` its path."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cap = cap_for(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > cap:
            await _too_large(send, cap)
            return
        await _StreamCap(self.app, cap)(scope, receive, send)


class _StreamCap:
    """One request: counts its body as the app reads it and swaps whatever the app then answers for a 413."""

    def __init__(self, app: ASGIApp, cap: int) -> None:
        self.app, self.cap = app, cap
        self.received = 0
        self.exceeded = False
        self.started = False  # a response has gone out (ours or the app's)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def counted_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                self.received += len(message.get("body", b""))
                if self.received > self.cap:
                    self.exceeded = True
                    raise BodyTooLarge(f"request body over {self.cap} bytes")
            return message

        async def guarded_send(message: Message) -> None:
            if self.exceeded:
                # The app caught BodyTooLarge and answers something else (FastAPI makes it a 400): ours instead.
                if not self.started:
                    self.started = True
                    await _too_large(send, self.cap)
                return
            self.started = self.started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not self.exceeded:
                raise
        if self.exceeded and not self.started:
            self.started = True
            await _too_large(send, self.cap)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses a malformed length itself; count the body instead
    return None


async def _too_large(send: Send, cap: int) -> None:
    body = json.dumps({"detail": f"the request body is too large: at most {cap // 1024} KB here",
                       "code": "body_too_large"}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
