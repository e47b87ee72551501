"""A fake Telegram Bot API server on 127.0.0.1, spoken to over real HTTP.

End-to-end tests, the offline demo and the benchmark point an unmodified PTB ``Application``
at it (``ApplicationBuilder().base_url(api.base_url).base_file_url(api.base_file_url)``), so
everything below our handlers runs as in production: PTB's request layer, our HTTP client's connection
pool, long polling and the JSON wire format. Only Telegram itself is simulated.

The server enforces the rules a bot can break on the real API: message and caption length in
UTF-16 code units, HTML/Markdown entity parsing, callback data size, "message is not modified",
unknown messages and callback queries, users who never started the bot and, when asked to,
flood limits. A bot that passes its tests here does not fail on Telegram for those reasons.

Simulated users (:class:`FakeUser`) and groups (:class:`FakeChat`) produce updates that stay
queued until the bot confirms them with a getUpdates ``offset``, as on Telegram, so a bot that
restarts before confirming sees them again.

Everything runs on the event loop of its caller and nothing here is thread-safe. The product
never imports this package (tests/test_layering.py); only the tests, the benchmarks and the
offline demo do.

Modules: :mod:`~fake_bot_api.server` (HTTP, dispatch, the test-facing API),
:mod:`~fake_bot_api.message_methods` (sending, editing, deleting, callbacks),
:mod:`~fake_bot_api.commands` (command menus per scope and language),
:mod:`~fake_bot_api.users` (simulated users and groups), :mod:`~fake_bot_api.state` (what the
fake Telegram holds), :mod:`~fake_bot_api.entities` (HTML/Markdown, UTF-16 lengths),
:mod:`~fake_bot_api.content` (message content checks), :mod:`~fake_bot_api.files`,
:mod:`~fake_bot_api.limits` (flood limits), :mod:`~fake_bot_api.faults` (injected failures),
:mod:`~fake_bot_api.updates` (the update queue), :mod:`~fake_bot_api.wire` (request decoding),
:mod:`~fake_bot_api.records` (what the tests read).
"""

from fake_bot_api.entities import utf16_length
from fake_bot_api.files import UploadedFile
from fake_bot_api.limits import FloodLimits
from fake_bot_api.records import ApiCall, SentMessage
from fake_bot_api.server import FakeBotAPI
from fake_bot_api.users import FakeChat, FakeUser

__all__ = [
    "ApiCall",
    "FakeBotAPI",
    "FakeChat",
    "FakeUser",
    "FloodLimits",
    "SentMessage",
    "UploadedFile",
    "utf16_length",
]
