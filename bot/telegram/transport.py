"""The HTTP client the bot talks to the Bot API with: aiohttp behind PTB's `BaseRequest`.

PTB ships one client, `HTTPXRequest`; its httpx/httpcore stack costs about 1.7 ms of
CPU per call on the project machine against 0.3–0.5 ms for aiohttp, and that was most
of the bot's time per update (BENCHMARKS.md, "Load"). PTB documents `BaseRequest` as
the place to plug another client in, and its maintainers keep an aiohttp one in
`ptbcontrib` (not published on PyPI); this one follows the same mapping, with two
differences the bot relies on:

- requests without files go as one JSON body (the Bot API accepts `application/json`),
  which is cheaper to build than PTB's form encoding; uploads stay multipart;
- JSON is written and read with orjson (PTB documents `parse_json_payload` as the place
  for another JSON library); a body orjson refuses (invalid UTF-8) goes to PTB's own
  parser, which replaces bad bytes or raises PTB's error;
- a failure that surely happened before the request left — no connection could be
  made, or none became free in the pool — raises `RequestNotSent` (a `NetworkError`),
  or `TimedOut` saying "*not* sent" as PTB's own pool timeout does, so
  `delivery.not_delivered` can retry it without risking a duplicate. Anything later
  (a read timeout, a dropped connection) stays ambiguous: `TimedOut` / `NetworkError`.

Timeouts follow PTB's meaning: `read_timeout` per socket read (long polling adds its
wait to it), `connect_timeout` to open a connection, `pool_timeout` to get one from the
pool (aiohttp's `connect` covers both in a row, so it gets their sum); `write_timeout`
bounds the whole request for uploads (aiohttp has no per-write timeout). An HTTP(S)
proxy comes from the usual environment variables (`HTTPS_PROXY`, `NO_PROXY`…), read
once per Bot API host rather than on every request as aiohttp's `trust_env` does (that
alone cost ~15 % of the bot's CPU under load).
"""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import urlsplit
from urllib.request import getproxies, proxy_bypass

import aiohttp
import orjson
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

JSON_HEADERS: Final = {"Content-Type": "application/json"}
POOL_TIMEOUT_MESSAGE: Final = (
    "Pool or connect timeout: no connection to the Bot API became free or could be opened"
    " in time. The request was *not* sent to Telegram."
)


class RequestNotSent(NetworkError):
    """No connection to the Bot API could be made: the request surely did not leave."""


def env_proxy(url: str) -> str | None:
    """The proxy the environment sets for `url` (`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`)."""
    parts = urlsplit(url)
    if parts.hostname is None or proxy_bypass(parts.hostname):
        return None
    return getproxies().get(parts.scheme)


def _sum(first: float | None, second: float | None) -> float | None:
    """Two timeouts in a row (None: no limit)."""
    return None if first is None or second is None else first + second


def _pick(value: ODVInput[float], default: float | None) -> float | None:
    """A per-call timeout, or this client's default when the caller left it unset."""
    return default if isinstance(value, DefaultValue) else value


class AiohttpRequest(BaseRequest):
    """PTB requests over one `aiohttp.ClientSession` with a bounded connection pool.

    One instance serves one purpose (PTB builds two: the bot's calls and getUpdates);
    the session is made in `initialize` (it needs the running loop) and closed in
    `shutdown`, and may be initialised again after that.
    """

    __slots__ = (
        "_connect_timeout",
        "_media_write_timeout",
        "_pool_size",
        "_pool_timeout",
        "_proxies",
        "_read_timeout",
        "_session",
        "_write_timeout",
    )

    def __init__(
        self,
        connection_pool_size: int = 256,
        *,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        if connection_pool_size < 1:
            raise ValueError("connection_pool_size must be at least 1")
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[str, str | None] = {}

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout (PTB adds a long poll's wait to it)."""
        return self._read_timeout

    @staticmethod
    def parse_json_payload(payload: bytes) -> Any:
        """Telegram's answer as Python values (orjson; PTB's parser for what it refuses)."""
        try:
            return orjson.loads(payload)
        except orjson.JSONDecodeError:
            return BaseRequest.parse_json_payload(payload)

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                headers={"User-Agent": self.USER_AGENT},
                cookie_jar=aiohttp.DummyCookieJar(),  # the Bot API sets none; saves ~0.1 ms a call
            )
            self._proxies.clear()

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        body: aiohttp.FormData | bytes | None = None
        headers: dict[str, str] | None = None
        total: float | None = None
        if request_data is not None and request_data.multipart_data:
            form = aiohttp.FormData(quote_fields=False)  # file names as typed, not %-escaped
            for name, value in request_data.json_parameters.items():
                form.add_field(name, value)
            for name, (filename, content, mime) in request_data.multipart_data.items():
                form.add_field(name, content, filename=filename, content_type=mime)
            body = form
            total = _pick(write_timeout, self._media_write_timeout)
        elif request_data is not None:
            body = orjson.dumps(request_data.parameters)
            headers = JSON_HEADERS
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._proxies:
            self._proxies[origin] = env_proxy(url)
        connect = _pick(connect_timeout, self._connect_timeout)
        timeout = aiohttp.ClientTimeout(
            total=total,
            connect=_sum(_pick(pool_timeout, self._pool_timeout), connect),
            sock_connect=connect,
            sock_read=_pick(read_timeout, self._read_timeout),
        )
        try:
            async with session.request(
                method,
                url,
                data=body,
                headers=headers,
                timeout=timeout,
                proxy=self._proxies[origin],
            ) as response:
                return response.status, await response.read()
        except aiohttp.ConnectionTimeoutError as exc:  # no connection free or opened in time
            raise TimedOut(POOL_TIMEOUT_MESSAGE) from exc
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientConnectorError as exc:
            raise RequestNotSent(f"aiohttp.{type(exc).__name__}: {exc}") from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc
