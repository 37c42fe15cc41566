"""A local Telegram Bot API: a real HTTP server on 127.0.0.1 that speaks the Bot API's wire format.

The bot reaches it through TELEGRAM_API_BASE_URL (`double.base_url`), exactly as it reaches
api.telegram.org: `POST /bot<token>/<method>` with form-encoded or JSON parameters, answered
with `{"ok": true, "result": ...}` or `{"ok": false, "error_code", "description"[, "parameters"]}`.
Every call is recorded (`calls`, `params(method)`). Switches: `retry_after_once()` answers the
next call to a method with 429 and `retry_after`; `block(chat_id)` answers 403 Forbidden for a
chat, as Telegram does when a person has blocked the bot. Like Telegram it refuses getUpdates
while a webhook is set, and a second answer to the same callback query. A file upload
(sendDocument) arrives as multipart/form-data; the file is recorded as
`{"filename", "content"}` in the call's params.
"""
from __future__ import annotations

import itertools
import json
import threading
from email.parser import BytesParser
from email.policy import HTTP
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Self
from urllib.parse import parse_qsl

BOT_USER = {"id": 7000000001, "is_bot": True, "first_name": "Slotline", "username": "slotline_test_bot",
            "can_join_groups": False, "can_read_all_group_messages": False, "supports_inline_queries": False}


class ApiError(Exception):
    def __init__(self, code: int, description: str, parameters: dict | None = None):
        super().__init__(description)
        self.code, self.description, self.parameters = code, description, parameters


@dataclass
class Call:
    method: str
    params: dict
    status: int = 200
    at: float = field(default_factory=time.monotonic)


class TelegramAPI:
    """Start with `with TelegramAPI() as api:`; point the bot at `api.base_url`."""

    def __init__(self, token: str = "123456:TEST-token"):
        self.token = token
        self.calls: list[Call] = []
        self.commands: list[dict] = []
        self.webhook: dict | None = None
        self.messages: dict[tuple[int, int], dict] = {}  # (chat id, message id) -> the message as sent
        self._updates: list[dict] = []
        self._errors: dict[str, list[ApiError]] = {}
        self._blocked: set[int] = set()
        self._answered: set[str] = set()
        self._ids = itertools.count(500)
        self._lock = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/bot"

    def __enter__(self) -> Self:
        threading.Thread(target=self._server.serve_forever, name="telegram-api-double", daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- switches and inspection -------------------------------------------------------

    def retry_after_once(self, method: str = "sendMessage", seconds: int = 1) -> None:
        error = ApiError(429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds})
        self._errors.setdefault(method, []).append(error)

    def block(self, chat_id: int) -> None:
        self._blocked.add(int(chat_id))

    def queue_update(self, update: dict) -> None:
        with self._lock:
            self._updates.append(update)
            self._lock.notify_all()

    def params(self, method: str, *, ok_only: bool = True) -> list[dict]:
        return [c.params for c in self.calls if c.method == method and (c.status == 200 or not ok_only)]

    def methods(self) -> list[str]:
        return [c.method for c in self.calls if c.status == 200]

    def last_message(self, chat_id: int) -> dict:
        """The last message sent to a chat, as Telegram returned it (inline keyboard included)."""
        return max((m for (chat, _), m in self.messages.items() if chat == int(chat_id)),
                   key=lambda m: m["message_id"])

    # --- the API -------------------------------------------------------------------------

    def dispatch(self, method: str, params: dict) -> object:
        pending = self._errors.get(method)
        if pending:
            raise pending.pop(0)
        chat_id = params.get("chat_id")
        if chat_id is not None and int(chat_id) in self._blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        handler = getattr(self, "api_" + method, None)
        if handler is None:
            raise ApiError(404, "Not Found")
        return handler(params)

    def api_getMe(self, _params: dict) -> dict:
        return BOT_USER

    def api_sendMessage(self, p: dict) -> dict:
        if not p.get("text"):
            raise ApiError(400, "Bad Request: message text is empty")
        chat_id, message_id = int(p["chat_id"]), next(self._ids)
        message = {"message_id": message_id, "from": BOT_USER, "chat": {"id": chat_id, "type": "private"},
                   "date": int(time.time()), "text": p["text"]}
        markup = p.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:  # Telegram echoes inline keyboards only
            message["reply_markup"] = markup
        self.messages[(chat_id, message_id)] = message
        return message

    def api_sendDocument(self, p: dict) -> dict:
        document = p.get("document")
        if not isinstance(document, dict) or not document.get("content"):
            raise ApiError(400, "Bad Request: there is no document in the request")
        chat_id, message_id = int(p["chat_id"]), next(self._ids)
        message = {"message_id": message_id, "from": BOT_USER, "chat": {"id": chat_id, "type": "private"},
                   "date": int(time.time()), "caption": p.get("caption"),
                   "document": {"file_name": document["filename"], "file_id": f"DOC{message_id}",
                                "file_unique_id": f"U{message_id}", "file_size": len(document["content"])}}
        markup = p.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        self.messages[(chat_id, message_id)] = message
        return message

    def api_editMessageText(self, p: dict) -> dict:
        message = self._message(p)
        markup = p.get("reply_markup")
        if message["text"] == p["text"] and message.get("reply_markup") == markup:
            raise ApiError(400, "Bad Request: message is not modified: specified new message content and "
                                "reply markup are exactly the same as a current content and reply markup")
        message["text"] = p["text"]
        message.pop("reply_markup", None)
        if markup:
            message["reply_markup"] = markup
        return message

    def api_editMessageReplyMarkup(self, p: dict) -> dict:
        message = self._message(p)
        markup = p.get("reply_markup")
        if message.get("reply_markup") == markup:
            raise ApiError(400, "Bad Request: message is not modified")
        message.pop("reply_markup", None)
        if markup:
            message["reply_markup"] = markup
        return message

    def api_answerCallbackQuery(self, p: dict) -> bool:
        if p["callback_query_id"] in self._answered:
            raise ApiError(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        self._answered.add(p["callback_query_id"])
        return True

    def api_setMyCommands(self, p: dict) -> bool:
        self.commands = p["commands"]
        return True

    def api_setWebhook(self, p: dict) -> bool:
        self.webhook = {"url": p["url"], "secret_token": p.get("secret_token"),
                        "allowed_updates": p.get("allowed_updates")}
        return True

    def api_deleteWebhook(self, _p: dict) -> bool:
        self.webhook = None
        return True

    def api_getUpdates(self, p: dict) -> list[dict]:
        if self.webhook is not None:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; use "
                                "deleteWebhook to delete the webhook first")
        offset, deadline = int(p.get("offset", 0)), time.monotonic() + min(float(p.get("timeout", 0)), 1.0)
        with self._lock:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]  # confirmed ones go
            while not self._updates and time.monotonic() < deadline:
                self._lock.wait(deadline - time.monotonic())
            return list(self._updates[: int(p.get("limit", 100))])

    def _message(self, p: dict) -> dict:
        message = self.messages.get((int(p.get("chat_id", 0)), int(p.get("message_id", 0))))
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        return message


def _multipart(content_type: str, body: bytes) -> dict:
    """Form fields of a multipart/form-data body; a file becomes {"filename", "content"}."""
    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    fields = {}
    for part in message.iter_parts():
        name, filename = part.get_param("name", header="content-disposition"), part.get_filename()
        content = part.get_payload(decode=True)
        fields[name] = {"filename": filename, "content": content} if filename else content.decode()
    return {k: json.loads(v) if isinstance(v, str) and v[:1] in "{[" else v for k, v in fields.items()}


def _decode(raw: dict[str, str]) -> dict:
    # The Bot API takes objects and arrays (reply_markup, commands) as JSON inside form fields.
    return {k: json.loads(v) if v[:1] in "{[" else v for k, v in raw.items()}


def _handler_for(api: TelegramAPI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as PTB's httpx client expects

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            token, _, method = self.path.removeprefix("/bot").partition("/")
            kind = self.headers.get("Content-Type", "")
            if kind.startswith("multipart/form-data"):
                params = _multipart(kind, body)
            else:
                params = json.loads(body or b"{}") if kind.startswith("application/json") else \
                    _decode(dict(parse_qsl(body.decode(), keep_blank_values=True)))
            call = Call(method, params)
            try:
                if token != api.token:
                    raise ApiError(401, "Unauthorized")
                answer = {"ok": True, "result": api.dispatch(method, params)}
            except ApiError as exc:
                call.status = exc.code
                answer = {"ok": False, "error_code": exc.code, "description": exc.description}
                if exc.parameters:
                    answer["parameters"] = exc.parameters
            api.calls.append(call)
            self._reply(call.status, answer)

        do_GET = do_POST

        def _reply(self, code: int, answer: dict) -> None:
            data = json.dumps(answer).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            try:
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):  # the bot gave up waiting (a long poll stopped)
                self.close_connection = True

        def log_message(self, *_args) -> None:
            pass

    return Handler


# --- the other direction: a person's Telegram app -----------------------------------------

PAYLOADS = Path(__file__).resolve().parents[1] / "payloads" / "telegram"
_update_ids = itertools.count(811250000)


def sample(name: str) -> dict:
    """A recorded Update from tests/payloads/telegram/, as Telegram delivers it."""
    return json.loads((PAYLOADS / f"{name}.json").read_text())


class TelegramPerson:
    """Someone in a private chat with the bot: the updates their app sends, shaped like the samples."""

    def __init__(self, user_id: int = 5550001, first_name: str = "Ana"):
        self.user_id, self.first_name = user_id, first_name
        self._callback_ids = itertools.count(int(f"{user_id}000"))

    def update(self, name: str) -> dict:
        """A recorded sample (a sticker, an edit...) from this person, with a fresh update_id."""
        update = sample(name)
        update["update_id"] = next(_update_ids)
        body = next(v for k, v in update.items() if k != "update_id")
        body["from"] = {**body["from"], "id": self.user_id, "first_name": self.first_name}
        if "chat" in body:
            body["chat"] = {**body["chat"], "id": self.user_id, "first_name": self.first_name}
        return update

    def message(self, text: str) -> dict:
        update = self.update("command_start" if text.startswith("/") else "message_text")
        update["message"]["text"] = text
        if text.startswith("/"):
            update["message"]["entities"] = [{"offset": 0, "length": len(text.split()[0]), "type": "bot_command"}]
        return update

    def contact(self, phone: str, *, own: bool = True) -> dict:
        update = self.update("contact")
        update["message"]["contact"].update(phone_number=phone, first_name=self.first_name,
                                            user_id=self.user_id if own else self.user_id + 1)
        return update

    def tap(self, message: dict, label: str) -> dict:
        """Press the button whose text contains `label` on `message` (as the app shows it)."""
        buttons = [b for row in message["reply_markup"]["inline_keyboard"] for b in row]
        button = next((b for b in buttons if label.lower() in b["text"].lower()), None)
        assert button is not None, f"no button like {label!r} in {[b['text'] for b in buttons]}"
        update = self.update("callback_query")
        update["callback_query"].update(id=str(next(self._callback_ids)), message=json.loads(json.dumps(message)),
                                        data=button["callback_data"])
        return update

    def again(self, update: dict) -> dict:
        """The same press once more (a double tap): a new update and callback query, the same message."""
        update = json.loads(json.dumps(update))
        update["update_id"] = next(_update_ids)
        update["callback_query"]["id"] = str(next(self._callback_ids))
        return update


GROUP = {"id": -1001987654321, "title": "Salon regulars", "type": "supergroup"}


def in_group(update: dict, group: dict = GROUP) -> dict:
    """The same update as if it happened in a group chat: the message (or the tapped message) is
    in `group`, its sender unchanged. Telegram keeps `from` the person and `chat` the group."""
    update = json.loads(json.dumps(update))
    kind = next(k for k in update if k != "update_id")  # message, edited_message, callback_query...
    body = update[kind]["message"] if kind == "callback_query" else update[kind]  # a tap: the message it was on
    body["chat"] = dict(group)
    return update
