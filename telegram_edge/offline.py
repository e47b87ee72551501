"""The real bot, running offline against the local fake Bot API.

The demo, the benchmark and the end-to-end tests all start the bot this way: the same
Application factory, handlers, services and database as production, with only
TELEGRAM_API_BASE_URL pointing at 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import SecretStr
from telegram import Update

from bot.config import Settings
from fake_bot_api import FakeBotAPI
from handlers.context import BotApplication
from telegram_edge.app import build_application, on_shutdown, on_startup
from telegram_edge.polling import POLL_INTERVAL


class OfflineBot:
    def __init__(self, api: FakeBotAPI, database_url: str, *, organiser_ids: Iterable[int] = (), **settings: Any) -> None:
        self.api = api
        self.settings = Settings(
            telegram_bot_token=SecretStr(api.token),
            database_url=database_url,
            telegram_api_base_url=api.base_url,
            telegram_api_file_url=api.base_file_url,
            organiser_ids=frozenset(organiser_ids),
            **settings,
        )
        self.application: BotApplication | None = None
        self.errors: list[BaseException] = []

    @property
    def services(self) -> Any:
        assert self.application is not None
        return self.application.bot_data.services

    async def start(self) -> None:
        """Start like `run_polling` does, including the start-up hook it would call."""
        application = build_application(self.settings)
        application.add_error_handler(self._record_error)
        await application.initialize()
        await on_startup(application)
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=POLL_INTERVAL, timeout=1, allowed_updates=Update.ALL_TYPES)
        self.application = application

    async def stop(self) -> None:
        """Stop like a clean shutdown: pending updates finish, the offset is confirmed."""
        application = self.application
        if application is None:
            return
        assert application.updater is not None
        await application.updater.stop()
        await application.stop()
        await on_shutdown(application)
        await application.shutdown()
        self.application = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    async def __aenter__(self) -> OfflineBot:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    async def _record_error(self, _update: object, context: Any) -> None:
        self.errors.append(context.error)
