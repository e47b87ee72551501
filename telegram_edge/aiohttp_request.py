"""PTB's HTTP client on aiohttp: the bot's default for polling and for sending.

PTB's own ``HTTPXRequest`` costs 1.5-4 ms of CPU per Bot API call on our 2-core machine (httpx →
httpcore → anyio, two ``send()`` calls per request) and slows down as more requests share its
pool: a bare PTB echo bot did 106-174 answers/s with it and 745-888 with this class at 500
participants in flight (bench/README.md). aiohttp is a dependency anyway (the fake Bot API).

Same wire format as HTTPXRequest: form-encoded parameters (PTB's ``json_parameters``: strings raw,
other values JSON), or multipart when files are attached. Errors map as PTB's do, with the aiohttp
exception kept as ``__cause__`` because the delivery engine decides from it whether a request can
have reached Telegram (``telegram_edge.dispatch.sending.surely_not_sent``):

- ``aiohttp.ConnectionTimeoutError`` (waiting for a pool slot, or connecting) and
  ``aiohttp.ClientConnectorError`` (refused, unreachable): the request never left → surely not sent;
- ``aiohttp.SocketTimeoutError`` (a read timeout): Telegram may have acted on it → unknown;
- any other client error (a dropped connection mid-request) → ``NetworkError``.

Error texts never carry the request URL, which holds the bot token.
"""

from __future__ import annotations

import re
from typing import Any

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

_TOKEN_IN_URL = re.compile(r"/bot[^/\s]+")

# The aiohttp errors after which Telegram cannot have received the request.
NOT_SENT_ERRORS: tuple[type[BaseException], ...] = (aiohttp.ConnectionTimeoutError, aiohttp.ClientConnectorError)


class AiohttpRequest(BaseRequest):
    """A ``BaseRequest`` with one ``aiohttp.ClientSession`` and a bounded connection pool."""

    __slots__ = ("_connect_timeout", "_limit", "_pool_timeout", "_read_timeout", "_session", "_write_timeout")

    def __init__(
        self,
        connection_pool_size: int = 1,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
    ) -> None:
        self._limit = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout  # aiohttp has no write timeout; kept for PTB's API
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        """PTB adds getUpdates' long-poll timeout to this."""
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._limit, limit_per_host=self._limit),
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
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = self._connect_timeout if isinstance(connect_timeout, DefaultValue) else connect_timeout
        pool = self._pool_timeout if isinstance(pool_timeout, DefaultValue) else pool_timeout
        # aiohttp's "connect" covers waiting for a pool slot plus connecting.
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=None if connect is None and pool is None else (connect or 0) + (pool or 0),
            sock_read=read,
        )
        try:
            async with self._session.request(method, url, data=_body(request_data), timeout=timeout) as response:
                return response.status, await response.read()
        except TimeoutError as err:  # aiohttp's timeouts are TimeoutErrors too
            raise TimedOut(_masked(err) or None) from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{type(err).__name__}: {_masked(err)}") from err


def _body(request_data: RequestData | None) -> Any:
    """Form fields, or a multipart form when PTB attached files."""
    if request_data is None:
        return None
    files = request_data.multipart_data
    if not files:
        return request_data.json_parameters
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, part in files.items():
        filename, content, mime_type = part
        form.add_field(name, content, filename=filename, content_type=mime_type)
    return form


def _masked(err: BaseException) -> str:
    return _TOKEN_IN_URL.sub("/bot<token>", str(err))
