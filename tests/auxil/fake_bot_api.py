"""A local fake Telegram Bot API server (aiohttp, 127.0.0.1) for end-to-end tests.

The real python-telegram-bot Application talks to it through `base_url`, with
real long polling. It implements the methods the bot uses (getMe, webhook
methods, getUpdates with long polling and offsets, sendMessage, editMessageText,
editMessageReplyMarkup, answerCallbackQuery, command menus, sendDocument and
sendPhoto (multipart; a photo must be a PNG or JPEG image), chat members and administrators, sendChatAction), validates what
Telegram validates (HTML entities, 4096 characters, callback data of 64 bytes,
answering a callback query twice), and records every call.

Tests inject updates with the builders (`private_text`, `group_text`,
`callback`, …) and wait for the bot's calls with `wait_for`, which blocks on an
asyncio.Condition with a timeout instead of sleeping.

Faults for resilience tests, each for the next `times` calls of a method whose
parameters match (`chat_id=…`, `offset=…`; any call when none is given):

- `fail` answers with an error status (429 with retry_after, 500, 502…);
- `slow` answers late (`seconds`, or only once `release()` is called): longer
  than the client's read timeout, it is a timeout;
- `drop` closes the connection without any answer (the client sees
  "Server disconnected without sending a response").

With `deliver_first=True`, `slow` and `drop` do the work first (the message is
delivered, getUpdates hands its batch out) and only the answer is late or lost,
which is what makes a retry a possible duplicate. A call the server dropped has
`dropped` set; one the client gave up on before it was answered has `abandoned`
set. `heal()` removes every fault and releases held answers.

`redeliver(update)` queues an update again with its own update_id, as Telegram
does when the bot did not confirm it (a crash before the next getUpdates); it is
delivered once more even though its id is below the confirmed offset. Uploaded
documents and photos keep their bytes (`documents[i].data`, `photos[i].data`); `leave(chat_id, user)` makes
getChatMember answer that the user left (or was kicked from) a group.

Two opt-in switches (off by default, so nothing changes for existing tests):

- `block(chat_id)` makes every call about that chat answer 403 Forbidden, as
  Telegram does once the bot was removed from a group (`unblock` undoes it);
- `enforce_rate_limits(...)` answers 429 Too Many Requests (with retry_after)
  to a send (`SENDING_METHODS`) beyond N per chat in a sliding window or M
  overall in another (Telegram: 20 a minute per group, 30 a second overall).
  It reads time from `clock` (default `time.monotonic`), so a test can share a
  virtual clock with the bot's pacer; `throttled()` lists the 429 answers.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_ID = 7_000_000_001
BOT_USERNAME = "TroLyKeHoachTestBot"
TELEGRAM_LIMIT = 4096

_INT_FIELDS = {
    "chat_id",
    "message_id",
    "user_id",
    "offset",
    "limit",
    "timeout",
    "message_thread_id",
    "cache_time",
    "max_connections",
}
_JSON_FIELDS = {
    "reply_markup",
    "reply_parameters",
    "commands",
    "scope",
    "allowed_updates",
    "link_preview_options",
    "entities",
    "caption_entities",
}
_BOOL_FIELDS = {
    "show_alert",
    "disable_notification",
    "drop_pending_updates",
    "protect_content",
    "allow_sending_without_reply",
}
_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "tg-spoiler",
    "span",
    "blockquote",
    "tg-emoji",
}
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)(\s[^<>]*)?>")
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d{1,7}|#x[0-9a-fA-F]{1,6});")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")
SENDING_METHODS = frozenset(
    {"sendMessage", "sendDocument", "sendPhoto", "sendMediaGroup", "copyMessage", "forwardMessage"}
)
KICKED = "Forbidden: bot was kicked from the supergroup chat"


class ApiError(Exception):
    """An error answer of the Bot API."""

    def __init__(self, code: int, description: str, retry_after: int | None = None):
        super().__init__(description)
        self.code, self.description, self.retry_after = code, description, retry_after


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG (from its IHDR chunk) or a JPEG (assumed 1×1); None for
    anything else, which Telegram refuses as a photo."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR" and len(data) > 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data.startswith(b"\xff\xd8\xff"):
        return 1, 1
    return None


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def parse_html(text: str) -> str:
    """The plain text of a Telegram HTML message; ApiError where Telegram would refuse."""
    out: list[str] = []
    stack: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "<":
            match = _TAG.match(text, i)
            if not match:
                raise ApiError(
                    400, f"Bad Request: can't parse entities: unexpected '<' at offset {i}"
                )
            closing, name = match.group(1), match.group(2).lower()
            if name not in _TAGS:
                raise ApiError(
                    400, f'Bad Request: can\'t parse entities: unsupported start tag "{name}"'
                )
            if closing:
                if not stack or stack[-1] != name:
                    raise ApiError(
                        400, f"Bad Request: can't parse entities: unmatched end tag </{name}>"
                    )
                stack.pop()
            else:
                stack.append(name)
            i = match.end()
        elif char == "&" and (entity := _ENTITY.match(text, i)):
            body = entity.group(1)
            if body.startswith("#x"):
                out.append(chr(int(body[2:], 16)))
            elif body.startswith("#"):
                out.append(chr(int(body[1:])))
            else:
                out.append(_NAMED[body])
            i = entity.end()
        else:
            out.append(char)
            i += 1
    if stack:
        raise ApiError(400, f"Bad Request: can't parse entities: unclosed tag <{stack[-1]}>")
    return "".join(out)


def _decode(name: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if name in _JSON_FIELDS:
        return json.loads(value)
    if name in _INT_FIELDS and re.fullmatch(r"-?\d+", value):
        return int(value)
    if name in _BOOL_FIELDS:
        return value.lower() == "true"
    return value


@dataclass
class Upload:
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass
class Call:
    """One request the bot made."""

    method: str
    params: dict[str, Any]
    files: dict[str, Upload] = field(default_factory=dict)
    status: int = 0
    result: Any = None
    injected: bool = False
    dropped: bool = False
    abandoned: bool = False
    at: float = field(default_factory=time.monotonic)

    @property
    def finished(self) -> bool:
        """Answered, dropped by the server, or given up by the client."""
        return bool(self.status) or self.dropped or self.abandoned

    def __repr__(self) -> str:
        shown = {
            k: (v[:60] + "…" if isinstance(v, str) and len(v) > 60 else v)
            for k, v in self.params.items()
        }
        return f"Call({self.method}, {shown}, status={self.status})"


@dataclass
class RateLimits:
    """Sliding-window send limits enforced by the fake server (see `enforce_rate_limits`)."""

    per_chat: int
    per_chat_window: float
    overall: int
    overall_window: float
    clock: Callable[[], float]
    sent_overall: deque[float] = field(default_factory=deque)
    sent_by_chat: dict[Any, deque[float]] = field(default_factory=dict)

    def check(self, chat_id: Any) -> None:
        """Count one send now, or raise 429 when it would exceed a limit."""
        now = self.clock()
        for window, length in (
            (self.sent_overall, self.overall_window),
            (self.sent_by_chat.setdefault(chat_id, deque()), self.per_chat_window),
        ):
            while window and now - window[0] >= length:
                window.popleft()
        chat = self.sent_by_chat[chat_id]
        waits = []
        if len(self.sent_overall) >= self.overall:
            waits.append(self.sent_overall[0] + self.overall_window - now)
        if len(chat) >= self.per_chat:
            waits.append(chat[0] + self.per_chat_window - now)
        if waits:
            retry = max(1, int(-(-max(waits) // 1)))
            raise ApiError(429, f"Too Many Requests: retry after {retry}", retry)
        self.sent_overall.append(now)
        chat.append(now)


@dataclass
class Fault:
    """An injected misbehaviour for the next `times` calls of `method` matching `match`.

    kind "status": answer `status`; "slow": answer after `delay` seconds (None: when
    released); "drop": close the connection without an answer."""

    method: str
    status: int
    description: str
    retry_after: int | None
    times: int
    kind: str = "status"
    delay: float | None = None
    deliver_first: bool = False
    match: dict[str, Any] = field(default_factory=dict)

    def applies(self, method: str, params: dict[str, Any]) -> bool:
        return (
            self.times > 0
            and self.method == method
            and all(params.get(k) == v for k, v in self.match.items())
        )


class FakeBotApi:
    """The fake server; use as `async with FakeBotApi(token) as api:`."""

    def __init__(self, token: str, *, username: str = BOT_USERNAME, bot_id: int = BOT_ID):
        self.token = token
        self.bot_user: dict[str, Any] = {
            "id": bot_id,
            "is_bot": True,
            "first_name": "Trợ lý Kế hoạch",
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.calls: list[Call] = []
        self.updates: list[dict[str, Any]] = []
        self.redelivered: list[dict[str, Any]] = []
        self.confirmed_offset = 0
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.chats: dict[int, dict[str, Any]] = {}
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.webhook: dict[str, Any] | None = None
        self.documents: list[Upload] = []
        self.photos: list[Upload] = []
        self.files: dict[str, tuple[str, bytes]] = {}  # file_id -> (file_path, content)
        self.members: dict[tuple[int, int], dict[str, Any]] = {}
        self.admins: dict[int, list[dict[str, Any]]] = {}
        self.faults: list[Fault] = []
        self.blocked: dict[int, str] = {}
        self.rate_limits: RateLimits | None = None
        self._open_queries: set[str] = set()
        self._update_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._changed: asyncio.Condition | None = None
        self._released: asyncio.Event | None = None
        self._closing = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> FakeBotApi:
        self._changed = asyncio.Condition()
        self._released = asyncio.Event()
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("GET", "/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, handler_cancellation=True, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def close(self) -> None:
        self._closing = True
        if self._released is not None:
            self._released.set()
        await self._notify()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeBotApi:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def username(self) -> str:
        return str(self.bot_user["username"])

    @property
    def bot_id(self) -> int:
        return int(self.bot_user["id"])

    async def _notify(self) -> None:
        assert self._changed is not None
        async with self._changed:
            self._changed.notify_all()

    # ------------------------------------------------------------ HTTP

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params, files = await self._read_params(request)
        call = Call(method, params, files)
        self.calls.append(call)
        await self._notify()
        try:
            return await self._answer(request, call)
        except asyncio.CancelledError:  # the client went away before the answer
            call.abandoned = True
            self._notify_soon()
            raise

    async def _answer(self, request: web.Request, call: Call) -> web.Response:
        method, params, files = call.method, call.params, call.files
        fault: Fault | None = None
        status = 0
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            self._check_blocked(params)
            fault = self._take_fault(method, params)
            if fault is not None:
                call.injected = True
                if fault.kind == "status":
                    raise ApiError(fault.status, fault.description, fault.retry_after)
                if not fault.deliver_first:
                    await self._misbehave(request, call, fault)
                    fault = None  # slow: now answer normally
                    if call.dropped:
                        return web.Response(status=500)  # never reaches the client
            if self.rate_limits is not None and method in SENDING_METHODS:
                self.rate_limits.check(params.get("chat_id"))
            handler = getattr(self, f"_api_{method}", None)
            if handler is None:
                raise ApiError(404, "Not Found")
            result = await handler(params, files)
            status, call.result = 200, result
            body: dict[str, Any] = {"ok": True, "result": result}
        except ApiError as exc:
            status = exc.code
            body = {"ok": False, "error_code": exc.code, "description": exc.description}
            if exc.retry_after is not None:
                body["parameters"] = {"retry_after": exc.retry_after}
        call.status = status
        await self._notify()
        if fault is not None and fault.kind != "status":  # deliver_first: the work is done,
            await self._misbehave(request, call, fault)  # the answer is late or lost
            if call.dropped:
                return web.Response(status=500)  # never reaches the client
        return web.json_response(body, status=status)

    async def _misbehave(self, request: web.Request, call: Call, fault: Fault) -> None:
        """Wait (slow) or close the connection without an answer (drop)."""
        if fault.kind == "drop":
            assert request.transport is not None
            request.transport.close()
            call.dropped = True
            await self._notify()
            return
        if fault.delay is None:
            assert self._released is not None
            await self._released.wait()
        else:
            await asyncio.sleep(fault.delay)

    def _notify_soon(self) -> None:
        if self._changed is None:
            return
        task = asyncio.get_running_loop().create_task(self._notify())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _read_params(self, request: web.Request) -> tuple[dict[str, Any], dict[str, Upload]]:
        params: dict[str, Any] = dict(request.query)
        files: dict[str, Upload] = {}
        if request.content_type == "application/json":
            params.update(await request.json())
        elif request.body_exists:
            for name, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    files[name] = Upload(value.filename, value.content_type, value.file.read())
                else:
                    params[name] = value
        return {k: _decode(k, v) for k, v in params.items()}, files

    def _check_blocked(self, params: dict[str, Any]) -> None:
        chat_id = params.get("chat_id")
        if isinstance(chat_id, int) and chat_id in self.blocked:
            raise ApiError(403, self.blocked[chat_id])

    def _take_fault(self, method: str, params: dict[str, Any]) -> Fault | None:
        for fault in self.faults:
            if fault.applies(method, params):
                fault.times -= 1
                return fault
        return None

    # ------------------------------------------------------------ methods

    async def _api_getMe(self, params: dict[str, Any], files: dict[str, Upload]) -> Any:
        return self.bot_user

    async def _api_deleteWebhook(self, params: dict[str, Any], files: dict[str, Upload]) -> Any:
        self.webhook = None
        if params.get("drop_pending_updates"):
            self.updates.clear()
        return True

    async def _api_setWebhook(self, params: dict[str, Any], files: dict[str, Upload]) -> Any:
        self.webhook = dict(params)
        return True

    async def _api_getWebhookInfo(self, params: dict[str, Any], files: dict[str, Upload]) -> Any:
        url = (self.webhook or {}).get("url", "")
        return {"url": url, "has_custom_certificate": False, "pending_update_count": 0}

    async def _api_getUpdates(self, params: dict[str, Any], files: dict[str, Upload]) -> Any:
        if self.webhook:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = int(params.get("offset") or 0)
        limit = max(1, min(100, int(params.get("limit") or 100)))
        timeout = float(params.get("timeout") or 0)
        if offset > self.confirmed_offset:
            self.confirmed_offset = offset
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
            await self._notify()

        def pending() -> list[dict[str, Any]]:
            fresh = [u for u in self.updates if u["update_id"] >= offset]
            return [*self.redelivered, *fresh][:limit]

        if not pending() and timeout > 0 and not self._closing:
            assert self._changed is not None
            async with self._changed:
                try:
                    async with asyncio.timeout(timeout):
                        await self._changed.wait_for(lambda: bool(pending()) or self._closing)
                except TimeoutError:
                    pass
        batch = pending()
        self.redelivered = [u for u in self.redelivered if not any(u is b for b in batch)]
        return batch

    async def _api_sendMessage(self, params: dict[str, Any], files: dict[str, Upload]) -> Any:
        text = self._text_of(params, "text")
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_len(text) > TELEGRAM_LIMIT:
            raise ApiError(400, "Bad Request: message is too long")
        self._check_markup(params.get("reply_markup"))
        return self._new_bot_message(params, text=text)

    async def _api_editMessageText(self, params: dict[str, Any], files: dict[str, Upload]) -> Any:
        message = self._stored(params)
        text = self._text_of(params, "text")
        if utf16_len(text) > TELEGRAM_LIMIT:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        markup = params.get("reply_markup")
        self._check_markup(markup)
        if message.get("text") == text and message.get("reply_markup") == markup:
            raise ApiError(400, "Bad Request: message is not modified")
        message["text"] = text
        self._set_markup(message, markup)
        return message

    async def _api_editMessageReplyMarkup(
        self, params: dict[str, Any], files: dict[str, Upload]
    ) -> Any:
        message = self._stored(params)
        markup = params.get("reply_markup")
        self._check_markup(markup)
        if message.get("reply_markup") == (markup or None):
            raise ApiError(400, "Bad Request: message is not modified")
        self._set_markup(message, markup)
        return message

    async def _api_answerCallbackQuery(
        self, params: dict[str, Any], files: dict[str, Upload]
    ) -> Any:
        query_id = str(params.get("callback_query_id"))
        if query_id not in self._open_queries:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        if len(str(params.get("text", ""))) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self._open_queries.discard(query_id)
        return True

    async def _api_setMyCommands(self, params: dict[str, Any], files: dict[str, Upload]) -> Any:
        commands = params.get("commands") or []
        if len(commands) > 100:
            raise ApiError(400, "Bad Request: too many commands")
        for command in commands:
            if not _COMMAND_NAME.match(command.get("command", "")):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(command.get("description", "")) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[self._scope_key(params)] = commands
        return True

    async def _api_getMyCommands(self, params: dict[str, Any], files: dict[str, Upload]) -> Any:
        return self.commands.get(self._scope_key(params), [])

    async def _api_deleteMyCommands(self, params: dict[str, Any], files: dict[str, Upload]) -> Any:
        self.commands.pop(self._scope_key(params), None)
        return True

    async def _download(self, request: web.Request) -> web.Response:
        """A file's bytes, as api.telegram.org/file/bot<token>/<file_path> serves them."""
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        wanted = request.match_info["path"]
        for path, content in self.files.values():
            if path == wanted:
                return web.Response(body=content)
        return web.Response(status=404)

    async def _api_getFile(self, params: dict[str, Any], files: dict[str, Upload]) -> Any:
        found = self.files.get(str(params.get("file_id")))
        if found is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        path, content = found
        return {
            "file_id": params["file_id"],
            "file_unique_id": f"u{params['file_id']}",
            "file_size": len(content),
            "file_path": path,
        }

    def send_document(
        self,
        chat: dict[str, Any],
        user: dict[str, Any],
        file_name: str,
        content: bytes,
        mime_type: str = "application/octet-stream",
    ) -> dict[str, Any]:
        """Queue a message carrying a document the user uploads (getFile serves it)."""
        file_id = f"upload{len(self.files) + 1}"
        self.files[file_id] = (f"documents/{file_id}-{file_name}", content)
        document = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": len(content),
        }
        message = self.new_message(chat, user, document=document)
        self.push({"message": message})
        return message

    async def _api_sendDocument(self, params: dict[str, Any], files: dict[str, Upload]) -> Any:
        upload = files.get("document")
        if upload is None:
            raise ApiError(400, "Bad Request: there is no document in the request")
        self.documents.append(upload)
        caption = self._text_of(params, "caption") if params.get("caption") else None
        document = {
            "file_id": f"doc{len(self.documents)}",
            "file_unique_id": f"udoc{len(self.documents)}",
            "file_name": upload.filename,
            "mime_type": upload.content_type,
            "file_size": len(upload.data),
        }
        return self._new_bot_message(params, document=document, caption=caption)

    async def _api_sendPhoto(self, params: dict[str, Any], files: dict[str, Upload]) -> Any:
        upload = files.get("photo")
        if upload is None:
            raise ApiError(400, "Bad Request: there is no photo in the request")
        size = image_size(upload.data)
        if size is None:
            raise ApiError(400, "Bad Request: IMAGE_PROCESS_FAILED")
        if len(params.get("caption") or "") > 1024:
            raise ApiError(400, "Bad Request: message caption is too long")
        self.photos.append(upload)
        caption = self._text_of(params, "caption") if params.get("caption") else None
        width, height = size
        photo = [
            {
                "file_id": f"photo{len(self.photos)}",
                "file_unique_id": f"uphoto{len(self.photos)}",
                "width": width,
                "height": height,
                "file_size": len(upload.data),
            }
        ]
        return self._new_bot_message(params, photo=photo, caption=caption)

    async def _api_getChatMember(self, params: dict[str, Any], files: dict[str, Upload]) -> Any:
        key = (params["chat_id"], params["user_id"])
        default = {"status": "member", "user": self.user(params["user_id"], "Thành viên")}
        return self.members.get(key, default)

    async def _api_getChatAdministrators(
        self, params: dict[str, Any], files: dict[str, Upload]
    ) -> Any:
        return self.admins.get(params["chat_id"], [])

    async def _api_sendChatAction(self, params: dict[str, Any], files: dict[str, Upload]) -> Any:
        return True

    async def _api_getChat(self, params: dict[str, Any], files: dict[str, Upload]) -> Any:
        chat = self._chat(params["chat_id"])
        return {
            **chat,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
            },
        }

    async def _api_close(self, params: dict[str, Any], files: dict[str, Upload]) -> Any:
        return True

    # ------------------------------------------------------------ helpers

    def _text_of(self, params: dict[str, Any], name: str) -> str:
        raw = str(params.get(name, ""))
        return parse_html(raw) if str(params.get("parse_mode", "")).upper() == "HTML" else raw

    @staticmethod
    def _check_markup(markup: Any) -> None:
        if not markup:
            return
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if not button.get("text"):
                    raise ApiError(
                        400, "Bad Request: text buttons are unallowed in the inline keyboard"
                    )
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode("utf-8")) <= 64:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")

    @staticmethod
    def _set_markup(message: dict[str, Any], markup: Any) -> None:
        if markup and markup.get("inline_keyboard"):
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)

    @staticmethod
    def _scope_key(params: dict[str, Any]) -> str:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True) + "|" + str(params.get("language_code", ""))

    def _stored(self, params: dict[str, Any]) -> dict[str, Any]:
        key = (params.get("chat_id"), params.get("message_id"))
        message = self.messages.get(key)  # type: ignore[arg-type]
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        return message

    def _chat(self, chat_id: int) -> dict[str, Any]:
        if chat_id not in self.chats:
            if chat_id > 0:
                self.chats[chat_id] = {"id": chat_id, "type": "private", "first_name": "Người dùng"}
            else:
                self.chats[chat_id] = {"id": chat_id, "type": "supergroup", "title": "Nhóm"}
        return self.chats[chat_id]

    def _next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1000)))

    def _new_bot_message(self, params: dict[str, Any], **content: Any) -> dict[str, Any]:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, int):
            raise ApiError(400, "Bad Request: chat not found")
        message: dict[str, Any] = {
            "message_id": self._next_message_id(chat_id),
            "date": int(time.time()),
            "chat": self._chat(chat_id),
            "from": self.bot_user,
            **{k: v for k, v in content.items() if v is not None},
        }
        reply = (params.get("reply_parameters") or {}).get("message_id")
        if reply and (chat_id, reply) in self.messages:
            message["reply_to_message"] = self.messages[(chat_id, reply)]
        if params.get("message_thread_id"):
            message["message_thread_id"] = params["message_thread_id"]
        self._set_markup(message, params.get("reply_markup"))
        self.messages[(chat_id, message["message_id"])] = message
        return message

    # ------------------------------------------------------------ injecting updates

    @staticmethod
    def user(user_id: int, first_name: str = "Lan", username: str | None = None) -> dict[str, Any]:
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if username:
            user["username"] = username
        return user

    def group(self, chat_id: int, title: str = "Nhóm theo dõi KH 91") -> dict[str, Any]:
        self.chats[chat_id] = {"id": chat_id, "type": "supergroup", "title": title}
        return self.chats[chat_id]

    def private(self, user: dict[str, Any]) -> dict[str, Any]:
        chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        self.chats[user["id"]] = chat
        return chat

    def push(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for getUpdates; returns it with its update_id."""
        update = {"update_id": next(self._update_ids), **update}
        self.updates.append(update)
        if self._changed is not None:
            task = asyncio.get_running_loop().create_task(self._notify())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return update

    def new_message(
        self,
        chat: dict[str, Any],
        user: dict[str, Any],
        text: str | None = None,
        *,
        entities: list[dict[str, Any]] | None = None,
        reply_to: dict[str, Any] | None = None,
        **content: Any,
    ) -> dict[str, Any]:
        """A message dict as Telegram sends it (not queued)."""
        message: dict[str, Any] = {
            "message_id": self._next_message_id(chat["id"]),
            "date": int(time.time()),
            "chat": chat,
            "from": user,
            **content,
        }
        if text is not None:
            message["text"] = text
            entities = list(entities or [])
            if text.startswith("/"):
                word = text.split()[0]
                entities.insert(0, {"type": "bot_command", "offset": 0, "length": utf16_len(word)})
            if entities:
                message["entities"] = entities
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        self.messages[(chat["id"], message["message_id"])] = message
        return message

    def redeliver(self, update: dict[str, Any]) -> dict[str, Any]:
        """Deliver an update (as returned by `push`) once more, with the same update_id."""
        self.redelivered.append(update)
        if self._changed is not None:
            task = asyncio.get_running_loop().create_task(self._notify())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return update

    def send(
        self, chat: dict[str, Any], user: dict[str, Any], text: str | None = None, **kw: Any
    ) -> dict[str, Any]:
        """Queue a new message update; returns the message."""
        message = self.new_message(chat, user, text, **kw)
        self.push({"message": message})
        return message

    def mention(
        self, chat: dict[str, Any], user: dict[str, Any], before: str, after: str
    ) -> dict[str, Any]:
        """Queue `before @bot after` with a mention entity."""
        handle = f"@{self.username}"
        text = f"{before}{handle}{after}"
        entity = {"type": "mention", "offset": utf16_len(before), "length": utf16_len(handle)}
        return self.send(chat, user, text, entities=[entity])

    def edit(self, message: dict[str, Any], text: str) -> dict[str, Any]:
        """Queue an edited_message update for a message sent earlier."""
        edited = {**message, "text": text, "edit_date": int(time.time())}
        self.messages[(message["chat"]["id"], message["message_id"])] = edited
        self.push({"edited_message": edited})
        return edited

    def press(self, user: dict[str, Any], message: dict[str, Any] | None, data: str) -> str:
        """Queue a callback query (a button press); returns its id."""
        query_id = f"q{next(self._query_ids)}"
        self._open_queries.add(query_id)
        query: dict[str, Any] = {
            "id": query_id,
            "from": user,
            "chat_instance": "ci-1",
            "data": data,
        }
        if message is not None:
            query["message"] = message
        self.push({"callback_query": query})
        return query_id

    def fail(
        self,
        method: str,
        *,
        status: int = 500,
        description: str = "Internal Server Error",
        retry_after: int | None = None,
        times: int = 1,
        **match: Any,
    ) -> None:
        """Answer the next `times` calls of `method` (whose parameters match) with an error."""
        if status == 429 and retry_after is None:
            retry_after = 1
        self.faults.append(Fault(method, status, description, retry_after, times, match=match))

    def slow(
        self,
        method: str,
        seconds: float | None,
        *,
        times: int = 1,
        deliver_first: bool = False,
        **match: Any,
    ) -> None:
        """Answer the next `times` matching calls after `seconds` (None: once `release()`
        is called); beyond the client's read timeout this is a timeout. With
        `deliver_first` the work is done at once and only the answer is late."""
        self.faults.append(
            Fault(method, 0, "", None, times, "slow", seconds, deliver_first, match=match)
        )

    def drop(
        self, method: str, *, times: int = 1, deliver_first: bool = False, **match: Any
    ) -> None:
        """Close the connection of the next `times` matching calls without an answer; with
        `deliver_first` the work is done first (a message sent, a batch handed out)."""
        self.faults.append(
            Fault(method, 0, "", None, times, "drop", None, deliver_first, match=match)
        )

    def release(self) -> None:
        """Let every answer held by `slow(method, None)` go."""
        if self._released is not None:
            self._released.set()
            self._released = asyncio.Event()

    def heal(self) -> None:
        """Remove every pending fault and release held answers."""
        self.faults.clear()
        self.release()

    def block(self, chat_id: int, description: str = KICKED) -> None:
        """Answer every call about `chat_id` with 403 (the bot was removed from it)."""
        self.blocked[chat_id] = description

    def unblock(self, chat_id: int) -> None:
        self.blocked.pop(chat_id, None)

    def enforce_rate_limits(
        self,
        *,
        per_chat: int = 20,
        per_chat_window: float = 60.0,
        overall: int = 30,
        overall_window: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> RateLimits:
        """Answer sends beyond the limits with 429 (defaults: Telegram's group limits)."""
        self.rate_limits = RateLimits(per_chat, per_chat_window, overall, overall_window, clock)
        return self.rate_limits

    def make_admin(self, chat_id: int, user: dict[str, Any], status: str = "administrator") -> None:
        """Make `user` an administrator (or "creator") of the group for getChatMember."""
        member: dict[str, Any] = {"status": status, "user": user, "is_anonymous": False}
        if status == "administrator":
            rights = (
                "can_manage_chat can_delete_messages can_manage_video_chats can_restrict_members"
                " can_promote_members can_change_info can_invite_users can_post_stories"
                " can_edit_stories can_delete_stories"
            )
            member.update({"can_be_edited": False, **dict.fromkeys(rights.split(), True)})
        self.members[(chat_id, user["id"])] = member

    def leave(self, chat_id: int, user: dict[str, Any], status: str = "left") -> None:
        """Make getChatMember say `user` left the group (or, with "kicked", was banned)."""
        member: dict[str, Any] = {"status": status, "user": user}
        if status == "kicked":
            member["until_date"] = 0
        self.members[(chat_id, user["id"])] = member

    # ------------------------------------------------------------ observing

    def mark(self) -> int:
        """A position in the call log; pass it as `since` to look only at later calls."""
        return len(self.calls)

    def calls_to(self, method: str | None = None, *, since: int = 0, **match: Any) -> list[Call]:
        return [
            c
            for c in self.calls[since:]
            if (method is None or c.method == method)
            and all(c.params.get(k) == v for k, v in match.items())
        ]

    def sent(self, chat_id: int, *, since: int = 0) -> list[Call]:
        """Successful sendMessage calls to a chat."""
        return [
            c for c in self.calls_to("sendMessage", since=since, chat_id=chat_id) if c.status == 200
        ]

    def throttled(self, *, since: int = 0) -> list[Call]:
        """Calls answered 429 Too Many Requests."""
        return [c for c in self.calls[since:] if c.status == 429]

    def rejected(self, *, since: int = 0) -> list[Call]:
        """Calls refused (bad HTML, too long, bad button data…), injected faults aside."""
        return [c for c in self.calls[since:] if c.status >= 400 and not c.injected]

    async def wait_for(
        self,
        method: str | None = None,
        *,
        count: int = 1,
        since: int = 0,
        timeout: float = 5.0,
        answered: bool = True,
        status: int | None = None,
        **match: Any,
    ) -> list[Call]:
        """Wait until at least `count` matching calls arrived (and were answered, dropped or
        given up by the client, unless `answered=False`; answered `status` if given)."""
        assert self._changed is not None

        def found() -> list[Call]:
            calls = self.calls_to(method, since=since, **match)
            calls = [c for c in calls if c.finished or not answered]
            return [c for c in calls if status is None or c.status == status]

        async with self._changed:
            try:
                async with asyncio.timeout(timeout):
                    await self._changed.wait_for(lambda: len(found()) >= count)
            except TimeoutError:
                raise AssertionError(
                    f"no {count} × {method} {match} within {timeout}s; calls: {self.calls[since:]}"
                ) from None
        return found()[:count]

    async def wait_confirmed(self, update_id: int, timeout: float = 5.0) -> None:
        """Wait until the bot fetched update `update_id` and asked for the next ones."""
        assert self._changed is not None
        async with self._changed:
            async with asyncio.timeout(timeout):
                await self._changed.wait_for(lambda: self.confirmed_offset > update_id)
