"""What Redis holds about one person, found by the chat identities they spoke from.

Three parts of Slotline keep something of a person in Redis, each under its own key layout:

- the conversation (`core.conversation.store`): `slotline:conv:state:<channel>:<sender>` and its
  lock, one per identity (an SMS conversation is keyed by the phone number, an email one by the
  address);
- the web chat inbox (`bots.webchat`): `slotline:webchat:<session>:inbox`, `:seq` and `:file:<n>`,
  the messages the worker sent to a web session;
- rate-limit counters (`webhooks.ratelimit`, the `limits` library): `slotline:ratelimit:LIMITER/
  <rule>/<key>/...`, where a key is a session, `<platform>:<sender>`, or an address a one-time code
  went to. Counters only, so never exported, but their names carry the identity.

Holds are not here: their holder is a digest, never a chat id, and they lapse within minutes.
tests/test_privacy.py scans every key after an erasure, so a layout that moves is noticed.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from redis import Redis

CONVERSATION_PREFIX = "slotline:conv"
WEBCHAT_PREFIX = "slotline:webchat"
RATELIMIT_PREFIX = "slotline:ratelimit"
WEB = "web"
SCAN_BATCH = 1000
_GLOB_SPECIAL = re.compile(r"([*?\[\]\\])")


@dataclass(frozen=True)
class Identity:
    """A channel and the sender id a person is known by on it (`sms` + phone, `email` + address too)."""

    channel: str
    external_id: str


class RedisTraces:
    """Export and forget a person's conversations, web chat inbox and rate-limit counters."""

    def __init__(self, redis: Redis, *, conversation_prefix: str = CONVERSATION_PREFIX,
                 webchat_prefix: str = WEBCHAT_PREFIX, ratelimit_prefix: str = RATELIMIT_PREFIX):
        self.redis = redis
        self.conv, self.webchat, self.ratelimit = conversation_prefix, webchat_prefix, ratelimit_prefix

    def export(self, identities: Sequence[Identity]) -> dict:
        """`conversations`: the state kept for each identity that has one; `webChatInbox`: the messages
        waiting in each web session's inbox."""
        conversations, inboxes = [], []
        for who in identities:
            state = self.redis.get(self._conv_key("state", who))
            if state is not None:
                conversations.append({"channel": who.channel, "externalId": who.external_id, "state": _json(state)})
            if who.channel == WEB:
                messages = [_json(m) for m in self.redis.lrange(self._inbox_keys(who.external_id)[0], 0, -1)]
                if messages:
                    inboxes.append({"session": who.external_id, "messages": messages})
        return {"conversations": conversations, "webChatInbox": inboxes}

    def forget(self, identities: Sequence[Identity]) -> int:
        """Delete every key above that belongs to these identities; returns how many went."""
        keys = set()
        for who in identities:
            keys.update(self._conv_key(kind, who) for kind in ("state", "lock"))
            if who.channel == WEB:
                keys.update(self._inbox_keys(who.external_id))
                keys.update(self._scan(f"{_glob(self.webchat)}:{_glob(who.external_id)}:file:*"))
        keys.update(self._counters(identities))
        keys = sorted(keys)
        return int(self.redis.delete(*keys)) if keys else 0

    def _conv_key(self, kind: str, who: Identity) -> str:
        return f"{self.conv}:{kind}:{who.channel}:{who.external_id}"

    def _inbox_keys(self, session: str) -> tuple[str, str]:
        return f"{self.webchat}:{session}:inbox", f"{self.webchat}:{session}:seq"

    def _counters(self, identities: Sequence[Identity]) -> Iterable[str]:
        """Rate-limit keys with one of the identities as a whole `/`-separated part of their name."""
        parts = {who.external_id for who in identities} | {f"{w.channel}:{w.external_id}" for w in identities}
        for key in self._scan(f"{_glob(self.ratelimit)}*"):
            if parts.intersection(key.split("/")):
                yield key

    def _scan(self, pattern: str) -> Iterable[str]:
        for key in self.redis.scan_iter(match=pattern, count=SCAN_BATCH):
            yield key.decode() if isinstance(key, bytes) else key


def _glob(text: str) -> str:
    """`text` matched literally in a Redis glob pattern."""
    return _GLOB_SPECIAL.sub(r"\\\1", text)


def _json(raw: bytes | str):
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    try:
        return json.loads(text)
    except ValueError:
        return text
