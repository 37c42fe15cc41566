"""Where conversations live between messages: Redis, keyed by (channel, sender).

State expires after a quiet spell; a lock per conversation keeps two messages from one
person from interleaving (across web processes too); a message id seen before is
answered once only.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from redis import Redis

from core.conversation.errors import ConversationBusy
from core.conversation.state import Conversation

STATE_TTL = 24 * 3600      # a conversation idle this long starts afresh
SEEN_TTL = 3 * 24 * 3600   # platforms retry for far less than this
LOCK_TIMEOUT = 30          # seconds: longer than any one turn takes
LOCK_WAIT = 20


class ConversationStore:
    def __init__(self, redis: Redis, *, prefix: str = "slotline:conv"):
        self.redis = redis
        self.prefix = prefix

    def _key(self, kind: str, channel: str, sender: str) -> str:
        return f"{self.prefix}:{kind}:{channel}:{sender}"

    def seen(self, channel: str, message_id: str) -> bool:
        """Whether this platform message id has been answered already (a retry or a double tap)."""
        return bool(self.redis.exists(self._seen_key(channel, message_id)))

    def first_time_seen(self, channel: str, message_id: str) -> bool:
        """Mark an id seen; True the first time. For deliveries answered outside the conversation
        (an opt-out word, an unsupported update), where there is no turn to wait for."""
        return bool(self.redis.set(self._seen_key(channel, message_id), 1, nx=True, ex=SEEN_TTL))

    def _seen_key(self, channel: str, message_id: str) -> str:
        return f"{self.prefix}:seen:{channel}:{message_id}"

    @contextmanager
    def locked(self, channel: str, sender: str) -> Iterator[None]:
        """Hold this person's conversation for one turn; `ConversationBusy` when an earlier turn keeps it."""
        lock = self.redis.lock(self._key("lock", channel, sender), timeout=LOCK_TIMEOUT,
                               blocking_timeout=LOCK_WAIT, sleep=0.02)
        if not lock.acquire():
            raise ConversationBusy()
        try:
            yield
        finally:
            lock.release()

    def load(self, channel: str, sender: str) -> Conversation:
        return Conversation.from_json(self.redis.get(self._key("state", channel, sender)))

    def save(self, channel: str, sender: str, convo: Conversation, *, answered: str | None = None) -> None:
        """Keep the state and, in the same round trip, mark the message id it answered."""
        with self.redis.pipeline() as pipe:
            pipe.set(self._key("state", channel, sender), convo.to_json(), ex=STATE_TTL)
            if answered:
                pipe.set(self._seen_key(channel, answered), 1, ex=SEEN_TTL)
            pipe.execute()
