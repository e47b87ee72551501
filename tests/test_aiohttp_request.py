"""The aiohttp client against real sockets on 127.0.0.1: each failure reaches the delivery engine
as "surely not sent" or "unknown", exactly as it happened on the wire, and never quotes the token."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import aiohttp
import pytest
from telegram import Bot
from telegram.error import NetworkError, TimedOut

from bot.scheduling.delivery import TransientError, Unconfirmed
from telegram_edge.aiohttp_request import AiohttpRequest
from telegram_edge.dispatch.sending import send_error, surely_not_sent

TOKEN = "123456:SECRET-token-never-in-errors"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def silent_port() -> AsyncIterator[int]:
    """A server that accepts connections, reads the request and never answers."""
    held: list[asyncio.StreamWriter] = []

    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)
        await reader.read(65536)

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    yield int(server.sockets[0].getsockname()[1])
    for writer in held:
        writer.close()
    server.close()


async def _bot(port: int, **timeouts: float) -> Bot:
    request = AiohttpRequest(connection_pool_size=1, **timeouts)
    await request.initialize()
    return Bot(TOKEN, base_url=f"http://127.0.0.1:{port}/bot", request=request, get_updates_request=request)


async def test_refused_connection_is_surely_not_sent() -> None:
    bot = await _bot(_closed_port())
    try:
        with pytest.raises(NetworkError) as caught:
            await bot.send_message(1, "hello")
    finally:
        await bot.request.shutdown()
    assert isinstance(caught.value.__cause__, aiohttp.ClientConnectorError)
    assert surely_not_sent(caught.value)
    assert isinstance(send_error(caught.value), TransientError)  # backed off and retried
    assert "SECRET" not in str(caught.value)


async def test_read_timeout_is_unknown_and_not_repeated(silent_port: int) -> None:
    bot = await _bot(silent_port, read_timeout=0.2)
    try:
        with pytest.raises(TimedOut) as caught:
            await bot.send_message(1, "hello")
    finally:
        await bot.request.shutdown()
    assert isinstance(caught.value.__cause__, aiohttp.SocketTimeoutError)
    assert not surely_not_sent(caught.value)
    mapped = send_error(caught.value)
    assert isinstance(mapped, Unconfirmed)  # may have arrived: recorded as unconfirmed, not repeated
    assert "SECRET" not in str(caught.value)


async def test_waiting_for_a_pool_slot_is_surely_not_sent(silent_port: int) -> None:
    bot = await _bot(silent_port, read_timeout=5, connect_timeout=0.1, pool_timeout=0.1)
    try:
        hanging = asyncio.create_task(bot.send_message(1, "takes the only connection"))
        await asyncio.sleep(0.1)
        with pytest.raises(TimedOut) as caught:
            await bot.send_message(2, "waits for a slot")
        hanging.cancel()
    finally:
        await bot.request.shutdown()
    assert isinstance(caught.value.__cause__, aiohttp.ConnectionTimeoutError)
    assert surely_not_sent(caught.value)
    assert isinstance(send_error(caught.value), TransientError)
