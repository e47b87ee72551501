"""A PTB ``BaseRequest`` on aiohttp's client, for the answer benchmark's experiments.

PTB's default ``HTTPXRequest`` costs 1.5-4 ms of CPU per Bot API call on the benchmark
machine (httpx → httpcore → anyio, two ``send()`` calls per request, a failed
``import sniffio`` per lock when sniffio is absent) and gets slower as more requests share
its pool: a bare PTB echo bot with 500 participants in flight does 106-174 answers/s with it
and 745-888 answers/s with this class (bench/README.md). aiohttp is already a dependency.
Drop-in: ``build_application(settings, request=AiohttpRequest(64),
get_updates_request=AiohttpRequest(2, read_timeout=40))``.

Same wire format as HTTPXRequest: form-encoded parameters (PTB's ``json_parameters``), or
multipart when files are attached. Errors map like PTB's: timeouts → ``TimedOut``, other
client errors → ``NetworkError``, with the aiohttp exception as ``__cause__``. Code that reads
the cause must learn aiohttp's names: ``bot.dispatch.sending.surely_not_sent`` would treat
``aiohttp.ClientConnectorError`` and ``aiohttp.ConnectionTimeoutError`` (waiting for a pool
slot or connecting) as "not sent", where it now lists httpx's ConnectError, ConnectTimeout
and PoolTimeout; a read timeout is ``aiohttp.SocketTimeoutError``.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


class AiohttpRequest(BaseRequest):
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
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
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
        data: Any = None
        if request_data is not None:
            files = request_data.multipart_data
            if files:
                form = aiohttp.FormData()
                for name, value in request_data.json_parameters.items():
                    form.add_field(name, value)
                for name, (filename, content, mime_type) in files.items():  # type: ignore[misc]
                    form.add_field(name, content, filename=filename, content_type=mime_type)
                data = form
            else:
                data = request_data.json_parameters
        try:
            async with self._session.request(method, url, data=data, timeout=timeout) as response:
                return response.status, await response.read()
        except (TimeoutError, aiohttp.ServerTimeoutError) as err:
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.ClientError: {err}") from err
