"""The web chat channel: JSON in, JSON out. No buttons are lost: choices travel as data.

The web chat answers a message in the response to its POST; what the worker sends later
(a confirmation, a reminder with Confirm / Cancel / Move) waits in the session's inbox in
Redis, which the page polls (`GET /api/v1/chat/inbox?after=<id>`, the session in the
`X-Chat-Session` header). Only what is sent out of band goes there: the replies to a POST are
never copied into it.

The inbox of a session is a capped Redis list of JSON messages, each with an id from a
per-session counter (1, 2, 3...: a reader asks for what came after the last id it saw) and
the time it was sent. A file sent with a message (the .ics of a confirmation) is kept beside
it, for the page to offer as a download. Both expire a few days after the last message.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from redis import Redis
from redis.exceptions import RedisError

from core.clock import utcnow
from core.conversation.messages import Inbound, Reply
from core.notifications.sender import Attachment, Sender, SendFailed

CHANNEL = "web"
SESSION_PATTERN = r"^[A-Za-z0-9_.:-]{1,128}$"  # the browser's own conversation id
INBOX_KEEP = 50  # messages per session; older ones are dropped
INBOX_TTL = timedelta(days=3)  # after the last message sent
MAX_FILE_BYTES = 256 * 1024

# Atomic, so ids and list order always agree, whatever the number of workers sending at once.
# KEYS: the list, the counter, the prefix of file keys. ARGV: the message JSON (an object,
# without its id), how many to keep, the expiry in ms, the file (empty when none).
_PUSH = """
local id = redis.call('INCR', KEYS[2])
redis.call('RPUSH', KEYS[1], '{"id":' .. id .. ',' .. string.sub(ARGV[1], 2))
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[2]), -1)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
if ARGV[4] ~= '' then
  redis.call('SET', KEYS[3] .. id, ARGV[4], 'PX', ARGV[3])
end
return id
"""


def to_inbound(*, session: str, text: str | None, choice: str | None, message_id: str | None,
               origin: str | None = None) -> Inbound:
    """`origin` is the visitor's IP address: anyone can make up a session id, not an address."""
    return Inbound(channel=CHANNEL, sender=session, text=text, choice=choice,
                   message_id=_message_key(session, message_id) if message_id else None, origin=origin)


def _message_key(session: str, message_id: str) -> str:
    # Unique per session, yet without the session id in it: message ids are logged, session ids never.
    return "m" + hashlib.sha256(f"{session}\n{message_id}".encode()).hexdigest()[:32]


def render(replies: list[Reply]) -> dict:
    return {"replies": [reply.to_dict() for reply in replies]}


class WebChatInbox:
    """Per-session inboxes in Redis: `push` a message, `read` those after an id, `file` of one."""

    def __init__(self, redis: Redis, *, clock: Callable[[], datetime] = utcnow, keep: int = INBOX_KEEP,
                 ttl: timedelta = INBOX_TTL, prefix: str = "slotline:webchat"):
        self.redis, self.clock, self.keep, self.ttl, self.prefix = redis, clock, keep, ttl, prefix
        self._push = redis.register_script(_PUSH)

    def _keys(self, session: str) -> tuple[str, str, str]:
        base = f"{self.prefix}:{session}"
        return f"{base}:inbox", f"{base}:seq", f"{base}:file:"

    def push(self, session: str, reply: Reply, attachment: Attachment | None = None) -> int:
        """Add a message to the session's inbox; returns its id. Raises RedisError when Redis fails."""
        message = {**reply.to_dict(), "at": self.clock().astimezone(UTC).isoformat().replace("+00:00", "Z")}
        stored = b""
        if attachment is not None and len(attachment.content) <= MAX_FILE_BYTES:
            message["file"] = {"name": attachment.filename, "type": attachment.mime_type}
            stored = json.dumps({"name": attachment.filename, "type": attachment.mime_type}).encode() \
                + b"\n" + attachment.content
        ttl_ms = int(self.ttl.total_seconds() * 1000)
        return int(self._push(keys=list(self._keys(session)),
                              args=[json.dumps(message, ensure_ascii=False), self.keep, ttl_ms, stored]))

    def read(self, session: str, after: int = 0) -> tuple[list[dict], int]:
        """The messages after id `after`, oldest first, and the id of the newest one sent (0 if none).

        An `after` beyond anything this inbox ever gave out means the inbox expired and began
        again at 1 since the reader last looked: then everything in it is new to them.
        """
        inbox, seq, _ = self._keys(session)
        with self.redis.pipeline(transaction=True) as pipe:
            pipe.lrange(inbox, 0, -1)
            pipe.get(seq)
            raw, last = pipe.execute()
        last = int(last or 0)
        if after > last:
            after = 0
        messages = []
        for item in raw:
            try:
                message = json.loads(item)
            except ValueError:
                continue
            if isinstance(message, dict) and isinstance(message.get("id"), int) and message["id"] > after:
                messages.append(message)
        return messages, last

    def file(self, session: str, message_id: int) -> Attachment | None:
        """The file sent with a message, while its inbox lasts."""
        raw = self.redis.get(self._keys(session)[2] + str(message_id))
        if not raw:
            return None
        head, _, content = raw.partition(b"\n")
        try:
            meta = json.loads(head)
        except ValueError:
            return None
        return Attachment(meta.get("name") or "file", content, meta.get("type") or "application/octet-stream")


class WebChatSender(Sender):
    """The outbound side of the web chat: a message for the page to pick up from the session's inbox.

    The returned id is the message's id in that inbox. A file (the .ics of a confirmation) is
    kept with the message and offered on the page as a download link.
    """

    channel = CHANNEL

    def __init__(self, inbox: WebChatInbox):
        self.inbox = inbox

    @classmethod
    def on(cls, redis: Redis, *, clock: Callable[[], datetime] = utcnow) -> WebChatSender:
        return cls(WebChatInbox(redis, clock=clock))

    def send(self, recipient: str, reply: Reply) -> str:
        return self._push(recipient, reply, None)

    def send_file(self, recipient: str, reply: Reply, attachment: Attachment) -> str:
        return self._push(recipient, reply, attachment)

    def _push(self, recipient: str, reply: Reply, attachment: Attachment | None) -> str:
        if not re.fullmatch(SESSION_PATTERN, recipient or ""):
            raise SendFailed(f"{recipient!r} is not a web chat session id", permanent=True)
        try:
            return str(self.inbox.push(recipient, reply, attachment))
        except RedisError as exc:
            raise SendFailed(f"could not reach Redis for the web chat inbox: {exc}") from exc
