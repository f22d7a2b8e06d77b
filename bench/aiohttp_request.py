"""An aiohttp transport for python-telegram-bot, for `bench/load.py --transport aiohttp` only.

Not used by the bot: production talks to Telegram through PTB's own `HTTPXRequest`.
It exists to measure how much of the bot's time per update is the HTTP client (httpx
costs about 1.3 ms more CPU per request than aiohttp on the project machine), so that
the figure "what the bot could do with another transport" is reproducible.

Implements `telegram.request.BaseRequest`: form or multipart bodies as PTB prepares
them, PTB's timeouts, and the errors PTB expects (`TimedOut`, `NetworkError`).
"""

from __future__ import annotations

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

DEFAULT_TIMEOUT = 5.0
MEDIA_WRITE_TIMEOUT = 20.0


def _seconds(value: ODVInput[float], default: float) -> float | None:
    return default if isinstance(value, DefaultValue) else value


class AiohttpRequest(BaseRequest):
    """PTB requests over one `aiohttp.ClientSession` with a bounded connection pool."""

    def __init__(self, connection_pool_size: int = 64, read_timeout: float = DEFAULT_TIMEOUT):
        self._pool = connection_pool_size
        self._read_timeout = read_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool),
                headers={"User-Agent": self.USER_AGENT},
            )

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
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        body: aiohttp.FormData | dict[str, str] | None = None
        if request_data is not None and request_data.multipart_data:
            form = aiohttp.FormData()
            for name, value in request_data.json_parameters.items():
                form.add_field(name, value)
            for name, (filename, content, mime) in request_data.multipart_data.items():
                form.add_field(name, content, filename=filename, content_type=mime)
            body = form
            write = _seconds(write_timeout, MEDIA_WRITE_TIMEOUT)
        else:
            body = request_data.json_parameters if request_data is not None else None
            write = _seconds(write_timeout, DEFAULT_TIMEOUT)
        read = _seconds(read_timeout, self._read_timeout)
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=_seconds(pool_timeout, 1.0),
            sock_connect=_seconds(connect_timeout, DEFAULT_TIMEOUT),
            sock_read=max(x for x in (read, write, 0.0) if x is not None) or None,
        )
        try:
            async with self._session.request(method, url, data=body, timeout=timeout) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc
