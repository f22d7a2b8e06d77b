"""The bot's HTTP client (`AiohttpRequest`) against real servers on 127.0.0.1.

What an operator would notice if it broke: a message arriving with its buttons or its
Vietnamese text mangled, an upload arriving empty or renamed, a failure that surely
left nothing behind (connection refused, no free connection) not retried, an ambiguous
one (read timeout, connection dropped mid-request) retried into a duplicate message,
long polling timing out every cycle, the proxy from the environment ignored.

Servers: the project's fake Bot API (recording what it received, and the raw body of
JSON requests) and, for the proxy, a small aiohttp server standing in for one.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from conftest import TOKEN
from fake_bot_api import FakeBotApi
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import NetworkError, TelegramError, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot.telegram.delivery import not_delivered
from bot.telegram.transport import AiohttpRequest, RequestNotSent, env_proxy

CHAT = 501
TEXT = "Sở Nội vụ: hạn <b>quý II/2023</b> — đã hoàn thành 50%"
PROXY_VARS = ("HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "https_proxy", "http_proxy", "no_proxy")


class RecordingApi(FakeBotApi):
    """The fake Bot API, also keeping each request's content type and raw JSON body."""

    def __init__(self, token: str):
        super().__init__(token)
        self.raw: list[tuple[str, str, bytes]] = []

    async def _read_params(self, request: web.Request) -> tuple[dict[str, Any], dict[str, Any]]:
        body = await request.read() if request.content_type == "application/json" else b""
        self.raw.append((request.match_info["method"], request.content_type, body))
        return await super()._read_params(request)

    def bodies(self, method: str) -> list[tuple[str, bytes]]:
        """Content type and raw body (JSON only) of each call of `method`."""
        return [(kind, body) for name, kind, body in self.raw if name == method]

    def url(self, method: str) -> str:
        return f"{self.base_url}{self.token}/{method}"


@pytest.fixture
async def api() -> AsyncIterator[RecordingApi]:
    server = RecordingApi(TOKEN)
    await server.start()
    try:
        yield server
    finally:
        await server.close()


@pytest.fixture
async def bot(api: RecordingApi) -> AsyncIterator[Bot]:
    """A real PTB Bot whose two clients are `AiohttpRequest`s, initialised (getMe done)."""
    async with Bot(
        TOKEN,
        base_url=api.base_url,
        request=AiohttpRequest(),
        get_updates_request=AiohttpRequest(1),
    ) as real_bot:
        yield real_bot


def send_message_data(text: str = TEXT) -> RequestData:
    return request_data(chat_id=CHAT, text=text)


def request_data(**parameters: object) -> RequestData:
    """What `telegram.Bot` hands its request object for a call with these parameters."""
    return RequestData([RequestParameter.from_input(k, v) for k, v in parameters.items()])


async def post(
    request: AiohttpRequest, url: str, data: RequestData | None = None, **kw: Any
) -> Any:
    """A Bot API call through `request` as `telegram.Bot` makes it: the `result` field."""
    return await request.post(url, data, **kw)


def free_port() -> int:
    """A loopback port nobody listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clear_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*PROXY_VARS, "ALL_PROXY", "all_proxy", "REQUEST_METHOD"):
        monkeypatch.delenv(name, raising=False)


# ---------------------------------------------------------------- what goes on the wire


async def test_request_without_files_is_one_json_body_with_types_and_diacritics_kept(
    api: RecordingApi, bot: Bot
) -> None:
    markup = InlineKeyboardMarkup(
        [[InlineKeyboardButton("Xem mục 2.4", callback_data="v1:item:2.4")]]
    )
    since = api.mark()

    message = await bot.send_message(CHAT, TEXT, reply_markup=markup)

    ((content_type, raw),) = api.bodies("sendMessage")
    assert content_type == "application/json"
    sent = json.loads(raw.decode("utf-8"))
    assert sent["chat_id"] == CHAT and type(sent["chat_id"]) is int
    assert sent["text"] == TEXT
    assert "Sở Nội vụ".encode() in raw  # UTF-8 as is, not \u escapes nor mojibake
    assert sent["reply_markup"] == {
        "inline_keyboard": [[{"text": "Xem mục 2.4", "callback_data": "v1:item:2.4"}]]
    }
    (call,) = api.calls_to("sendMessage", since=since)
    assert call.status == 200
    assert message.chat.id == CHAT and message.text == TEXT
    assert message.reply_markup == markup


async def test_upload_goes_as_multipart_with_filename_and_bytes_intact(
    api: RecordingApi, bot: Bot
) -> None:
    content = bytes(range(256)) * 40 + b"\r\n--not-a-boundary--\r\n" + "ký tự".encode()
    filename = "tien-do-ke-hoach-91-2026-11-26.xlsx"
    since = api.mark()

    message = await bot.send_document(
        CHAT, content, filename=filename, caption="Báo cáo <b>tiến độ</b>"
    )

    ((content_type, _),) = api.bodies("sendDocument")
    assert content_type == "multipart/form-data"
    (call,) = api.calls_to("sendDocument", since=since)
    assert call.status == 200
    assert call.params["chat_id"] == CHAT
    assert call.params["caption"] == "Báo cáo <b>tiến độ</b>"
    upload = call.files["document"]
    assert upload.filename == filename
    assert upload.data == content
    assert message.document is not None and message.document.file_size == len(content)


async def test_upload_keeps_a_vietnamese_file_name_with_spaces(api: RecordingApi, bot: Bot) -> None:
    """aiohttp's FormData %-escapes names by default ('Ti%E1%BA%BFn%20…', aio-libs/aiohttp#3910)
    and Telegram would show that; the transport sends them as typed, as httpx did."""
    filename = "Tiến độ Kế hoạch 91.xlsx"
    await bot.send_document(CHAT, b"PK\x03\x04 workbook", filename=filename)
    assert api.documents[-1].filename == filename


# ---------------------------------------------------------------- failures: sent or not


async def test_connection_refused_is_request_not_sent_and_retryable() -> None:
    request = AiohttpRequest()
    await request.initialize()
    try:
        url = f"http://127.0.0.1:{free_port()}/bot{TOKEN}/sendMessage"
        with pytest.raises(RequestNotSent) as caught:
            await post(request, url, send_message_data())
    finally:
        await request.shutdown()
    assert not_delivered(caught.value)


async def test_pool_exhausted_times_out_as_not_sent_and_never_reaches_the_server(
    api: RecordingApi,
) -> None:
    request = AiohttpRequest(1, pool_timeout=5.0)
    await request.initialize()
    api.slow("getMe", None)  # held until release(): the only connection stays busy
    first = asyncio.create_task(post(request, api.url("getMe")))
    try:
        await api.wait_for("getMe", answered=False)

        started = time.monotonic()
        with pytest.raises(TimedOut) as caught:
            async with asyncio.timeout(2):  # the per-call timeouts must win over 5 s
                await post(
                    request,
                    api.url("sendMessage"),
                    send_message_data(),
                    pool_timeout=0.1,
                    connect_timeout=0.1,  # aiohttp waits for a free one up to their sum
                )
        waited = time.monotonic() - started

        assert "*not* sent" in caught.value.message
        assert not_delivered(caught.value)
        assert 0.05 < waited < 1.0
        assert api.calls_to("sendMessage") == []  # it never left
        api.release()
        assert (await first)["id"] == api.bot_id  # the held request still completes
        assert (await post(request, api.url("sendMessage"), send_message_data()))["chat"][
            "id"
        ] == CHAT  # and the connection is free again
    finally:
        api.release()
        await asyncio.gather(first, return_exceptions=True)
        await request.shutdown()


async def test_read_timeout_is_ambiguous_the_message_may_have_arrived(
    api: RecordingApi,
) -> None:
    request = AiohttpRequest(read_timeout=0.1)
    await request.initialize()
    try:
        api.slow("sendMessage", None, deliver_first=True)  # delivered, answer held back
        with pytest.raises(TimedOut) as caught:
            await post(request, api.url("sendMessage"), send_message_data())
    finally:
        await request.shutdown()
    assert not not_delivered(caught.value)  # retrying could show the message twice
    assert [c.params["text"] for c in api.sent(CHAT)] == [TEXT]


async def test_connection_dropped_after_the_request_is_ambiguous_network_error(
    api: RecordingApi,
) -> None:
    request = AiohttpRequest()
    await request.initialize()
    try:
        api.drop("sendMessage", deliver_first=True)  # delivered, then no answer at all
        with pytest.raises(NetworkError) as caught:
            await post(request, api.url("sendMessage"), send_message_data())
    finally:
        await request.shutdown()
    assert not isinstance(caught.value, RequestNotSent | TimedOut)
    assert not not_delivered(caught.value)
    (call,) = api.calls_to("sendMessage")
    assert call.dropped and call.status == 200  # the message did arrive


# ---------------------------------------------------------------- lifecycle


async def test_requests_need_initialize_and_it_can_be_done_again_after_shutdown(
    api: RecordingApi,
) -> None:
    request = AiohttpRequest()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request(api.url("getMe"), "POST")

    await request.initialize()
    assert (await post(request, api.url("getMe")))["id"] == api.bot_id
    await request.shutdown()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request(api.url("getMe"), "POST")

    await request.initialize()
    try:
        result = await post(request, api.url("sendMessage"), send_message_data())
    finally:
        await request.shutdown()
    assert result["text"] == TEXT
    assert len(api.calls_to("getMe")) == 1 and len(api.sent(CHAT)) == 1


# ---------------------------------------------------------------- long polling


async def test_long_poll_waits_beyond_the_read_timeout_without_timing_out(
    api: RecordingApi,
) -> None:
    poller = AiohttpRequest(1, read_timeout=0.1)
    assert poller.read_timeout == 0.1
    async with Bot(
        TOKEN, base_url=api.base_url, request=AiohttpRequest(), get_updates_request=poller
    ) as bot:
        started = time.monotonic()
        # The server holds it 0.5 s (no update): a float, to keep the test short.
        updates = await bot.get_updates(timeout=0.5)  # type: ignore[arg-type]
        waited = time.monotonic() - started
        assert updates == ()
        assert 0.45 < waited < 1.5

        # The same wait through the bare client (no long-poll allowance) does time out.
        with pytest.raises(TimedOut):
            await post(poller, api.url("getUpdates"), request_data(timeout=0.5))


# ---------------------------------------------------------------- proxy from the environment


def test_env_proxy_follows_https_proxy_and_no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_proxy_env(monkeypatch)
    url = f"https://api.telegram.org/bot{TOKEN}/getMe"
    assert env_proxy(url) is None

    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.coquan.vn:3128")
    monkeypatch.setenv("HTTP_PROXY", "http://plain.coquan.vn:8080")
    assert env_proxy(url) == "http://proxy.coquan.vn:3128"
    assert env_proxy("http://botapi.coquan.vn:8081/bot") == "http://plain.coquan.vn:8080"

    monkeypatch.setenv("NO_PROXY", "localhost,api.telegram.org")
    assert env_proxy(url) is None


def test_env_proxy_skips_loopback_listed_in_no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_proxy_env(monkeypatch)
    monkeypatch.setenv("http_proxy", "http://proxy.coquan.vn:3128")
    assert env_proxy("http://127.0.0.1:8081/bot") == "http://proxy.coquan.vn:3128"
    monkeypatch.setenv("no_proxy", "localhost,127.0.0.1")
    assert env_proxy("http://127.0.0.1:8081/bot") is None


async def test_requests_go_through_the_proxy_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With HTTP_PROXY set, the request goes to the proxy (here a local server), which
    sees the Bot API's own URL; the Bot API host is never resolved by the bot."""
    seen: list[str] = []

    async def proxy(request: web.Request) -> web.Response:
        seen.append(str(request.url))
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", proxy)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = int(runner.addresses[0][1])
    clear_proxy_env(monkeypatch)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
    request = AiohttpRequest()
    await request.initialize()
    try:
        url = f"http://botapi.coquan.invalid/bot{TOKEN}/sendChatAction"
        assert await post(request, url) is True
    finally:
        await request.shutdown()
        await runner.cleanup()
    assert seen == [url]


def test_answers_are_parsed_like_ptb_does_even_with_bad_bytes() -> None:
    """orjson reads the answers; what it refuses goes to PTB's parser: bytes that are not
    UTF-8 are replaced rather than failing the call, and non-JSON is PTB's error."""
    parse = AiohttpRequest.parse_json_payload
    good = '{"ok": true, "result": {"text": "Sở Nội vụ", "id": 9007199254740991}}'
    assert parse(good.encode()) == {"ok": True, "result": {"text": "Sở Nội vụ", "id": 2**53 - 1}}
    assert parse(b'{"ok": true, "result": "S\xff"}') == {"ok": True, "result": "S\ufffd"}
    with pytest.raises(TelegramError, match="Invalid server response"):
        parse(b"<html>502 Bad Gateway</html>")
