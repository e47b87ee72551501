"""The fake Bot API server: the HTTP application, its routes, method dispatch, and the
methods about the bot itself and the delivery of updates (getMe, getUpdates, webhooks), plus
everything a test uses to build the simulated world, inject failures and wait.

The methods on chats and messages are in :mod:`fake_bot_api.message_methods`, the command
menus in :mod:`fake_bot_api.commands`, the shared state in :mod:`fake_bot_api.state`.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from types import TracebackType

from aiohttp import web

from fake_bot_api.commands import CommandMenus
from fake_bot_api.errors import ApiError, DropConnection
from fake_bot_api.files import UPLOAD_LIMIT
from fake_bot_api.jsontypes import JsonDict, Params
from fake_bot_api.limits import FloodGate, FloodLimits
from fake_bot_api.message_methods import MessageMethods
from fake_bot_api.records import ApiCall, SentMessage
from fake_bot_api.state import World
from fake_bot_api.users import Conversation, FakeChat, FakeUser
from fake_bot_api.wire import hang_up, json_response, read_params

_WEBHOOK_CONFLICT = "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
_POLLING_CONFLICT = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"


class FakeBotAPI:
    """The fake server; see the package docstring. Start it, then point PTB at ``base_url``."""

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN-0123456789abcdefghij",
        bot_username: str = "workshop_test_bot",
        bot_id: int = 123456,
        host: str = "127.0.0.1",
        port: int = 0,
        limits: FloodLimits | None = None,
    ) -> None:
        self.token = token
        self.bot_username = bot_username
        self.bot_id = bot_id
        self.host = host
        self.port = port
        bot_user = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_username.removesuffix("_bot").replace("_", " ").title(),
            "username": bot_username,
        }
        self._world = World(bot_user)
        self._menus = CommandMenus()
        self._message_methods = MessageMethods(self._world, FloodGate(limits) if limits is not None and limits.enforce else None)
        self._webhook_url = ""
        self._runner: web.AppRunner | None = None
        self._methods = self._method_table()

    # ---- lifecycle

    async def start(self) -> None:
        """Listen on ``host``:``port`` (port 0 picks a free one, stored back in ``port``)."""
        if self._runner is not None:
            raise RuntimeError("FakeBotAPI is already running")
        app = web.Application(client_max_size=UPLOAD_LIMIT + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._on_api_request)
        app.router.add_get("/file/bot{token}/{path:.+}", self._on_file_request)
        # No access log (5,000 requests/s); handler cancellation ends a long poll whose client
        # went away, so it cannot swallow updates meant for the next poller.
        runner = web.AppRunner(app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0)
        await runner.setup()
        await web.TCPSite(runner, self.host, self.port, backlog=1024).start()
        self._runner = runner
        self.port = runner.addresses[0][1]

    async def stop(self) -> None:
        """Answer any held long poll and close the server."""
        if self._runner is None:
            return
        self._world.updates.close()
        await self._runner.cleanup()
        self._runner = None

    async def __aenter__(self) -> FakeBotAPI:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder().base_url``; PTB appends the token."""
        return f"{self._origin()}/bot"

    @property
    def base_file_url(self) -> str:
        """For ``ApplicationBuilder().base_file_url``; PTB appends the token."""
        return f"{self._origin()}/file/bot"

    def _origin(self) -> str:
        if self._runner is None:
            raise RuntimeError("start() the FakeBotAPI first: the port is chosen then")
        return f"http://{self.host}:{self.port}"

    # ---- what the tests read

    @property
    def sent(self) -> list[SentMessage]:
        """Every message the bot sent and every edit, in order, across chats."""
        return self._world.sent

    @property
    def calls(self) -> list[ApiCall]:
        """Every request the bot made, whatever its outcome."""
        return self._world.calls

    @property
    def flood_errors(self) -> int:
        """How many requests got 429 Too Many Requests."""
        return self._world.flood_errors

    def messages_to(self, chat_id: int) -> list[SentMessage]:
        """Everything the bot sent or edited in that chat, in order."""
        return list(self._world.history_of(chat_id))

    def my_commands(self, scope: JsonDict | None = None, language_code: str = "") -> list[JsonDict]:
        """The command menu last set for exactly that scope and language."""
        return self._menus.menu(scope, language_code)

    def commands_shown_to(self, user: FakeUser, chat: FakeChat | None = None) -> list[JsonDict]:
        """The command menu ``user`` sees (in their private chat, or in the group ``chat``):
        the first one set along Telegram's chain of scopes, in their language or for all."""
        return self._menus.shown_to(user, chat)

    def unanswered_callback_queries(self) -> int:
        """Callback queries sent to the bot that it has not answered yet."""
        return len(self._world.open_queries)

    def pending_updates(self) -> int:
        """Updates not yet confirmed by a getUpdates offset (delivered or not)."""
        return self._world.updates.count()

    def update_payload(self, update_id: int) -> JsonDict:
        """An update as Telegram would POST it to a webhook (webhook tests post it themselves)."""
        return self._world.updates.payload(update_id)

    @property
    def last_update_id(self) -> int:
        """The id of the newest update queued (0 before the first)."""
        return self._world.updates.last_id()

    # Kept for tests that read a chat's live history or look a simulated chat up by id.
    def _history_of(self, chat_id: int) -> list[SentMessage]:
        return self._world.history_of(chat_id)

    @property
    def _chats(self) -> dict[int, Conversation]:
        return self._world.chats

    # ---- the simulated world

    def user(
        self,
        user_id: int,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
        started: bool = True,
    ) -> FakeUser:
        """A user whose private chat id is ``user_id``; ``language_code`` is their Telegram
        app's language (None: Telegram did not say). With ``started=False`` the bot gets
        403 "can't initiate conversation" until the user sends something."""
        if user_id <= 0 or user_id in self._world.chats:
            raise ValueError(f"user id {user_id} must be positive and unused")
        user = FakeUser(self._world, user_id, first_name, last_name, username, language_code, started)
        self._world.chats[user_id] = user
        return user

    def group(self, chat_id: int, title: str, privacy_mode: bool = True) -> FakeChat:
        """A group with the bot in it; ids are negative like Telegram's."""
        if chat_id >= 0 or chat_id in self._world.chats:
            raise ValueError(f"group id {chat_id} must be negative and unused")
        group = FakeChat(self._world, chat_id, title, privacy_mode)
        self._world.chats[chat_id] = group
        return group

    def inject_update(self, update: JsonDict) -> int:
        """Queue a raw update (forged or unusual ones); the fake assigns its ``update_id``."""
        return self._world.push_update({key: value for key, value in update.items() if key != "update_id"})

    def redeliver(self, update_id: int) -> None:
        """Deliver an earlier update again, same id, as Telegram does after a bot crashed."""
        self._world.updates.redeliver(update_id)
        self._world.notify(everywhere=False)

    # ---- injected failures

    def fail_chat(
        self,
        chat_id: int,
        error_code: int = 403,
        description: str = "Forbidden: bot was blocked by the user",
    ) -> None:
        """Every method acting on that chat fails from now on."""
        self._world.faults_of(chat_id).permanent = (error_code, description)

    def flood_once(self, chat_id: int, retry_after: int = 1) -> None:
        """The next message sent to that chat gets 429 with ``retry_after``."""
        self._world.faults_of(chat_id).flood_once = retry_after

    def fail_network_once(self, chat_id: int) -> None:
        """The next message sent to that chat: the connection closes without a response."""
        self._world.faults_of(chat_id).drop_once = True

    # ---- waiting

    async def wait_for(
        self, predicate: Callable[[], bool], timeout: float = 5.0, *, what: str = "the condition", chat_id: int | None = None
    ) -> None:
        """Return once ``predicate()`` holds, re-checking after every API call (about ``chat_id``
        only, when given); on timeout raise AssertionError showing the bot's last messages and calls."""
        await self._world.wait_for(predicate, timeout, what=what, chat_id=chat_id)

    # ---- HTTP

    async def _on_api_request(self, request: web.Request) -> web.Response:
        arrived = time.monotonic()
        name = request.match_info["method"]
        method, handler = self._methods.get(name.lower(), (name, None))
        params: Params = {}
        body: JsonDict | None
        try:
            params = await read_params(request)
            status, body = (
                200,
                {
                    "ok": True,
                    "result": await self._invoke(request.match_info["token"], handler, params),
                },
            )
        except ApiError as error:
            status, body = error.code, error.payload()
        except DropConnection:
            status, body = 0, None
        self._record_call(method, params, arrived, status)
        return hang_up(request) if body is None else json_response(body, status)

    async def _invoke(self, token: str, handler: Callable[[Params], object] | None, params: Params) -> object:
        if token != self.token:
            raise ApiError(401, "Unauthorized")
        if handler is None:
            raise ApiError(404, "Not Found")
        result = handler(params)
        return await result if isinstance(result, Awaitable) else result

    async def _on_file_request(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401, text="Unauthorized")
        stored = self._world.files.at_path(request.match_info["path"])
        if stored is None:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=stored.content, headers={"Content-Type": stored.mime_type})

    def _record_call(self, method: str, params: Params, arrived: float, status: int) -> None:
        self._world.calls.append(ApiCall(method, params, arrived, status))
        if status == 429:
            self._world.flood_errors += 1
        # A call naming no chat (getUpdates, a callback answer) changes no chat's messages; one
        # that does without naming it (an inline message's edit) is caught by the waits' recheck.
        chat = params.get("chat_id")
        if isinstance(chat, str) and chat.lstrip("-").isdigit():
            chat = int(chat)
        self._world.notify(chat, everywhere=isinstance(chat, int))

    def _method_table(self) -> dict[str, tuple[str, Callable[[Params], object]]]:
        """Telegram matches method names case-insensitively."""
        handlers: dict[str, Callable[[Params], object]] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "logOut": _succeed,
            "close": _succeed,
            "setMyCommands": self._menus.set_my_commands,
            "deleteMyCommands": self._menus.delete_my_commands,
            "getMyCommands": self._menus.get_my_commands,
            "setChatMenuButton": _succeed,
            **self._message_methods.table(),
        }
        return {name.lower(): (name, handler) for name, handler in handlers.items()}

    # ---- methods: the bot and the delivery of updates

    def _get_me(self, params: Params) -> JsonDict:
        flags = {
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        return {**self._world.bot_user, **flags}

    async def _get_updates(self, params: Params) -> list[JsonDict]:
        queue = self._world.updates
        if self._webhook_url:
            raise ApiError(409, _WEBHOOK_CONFLICT)
        if isinstance(params.get("allowed_updates"), list):
            queue.allowed = frozenset(params["allowed_updates"])
        queue.confirm(int(params.get("offset") or 0))
        timeout = float(params.get("timeout") or 0)
        if not queue.count() and timeout > 0 and not await queue.wait(timeout):
            raise ApiError(409, _POLLING_CONFLICT)
        return queue.take(min(max(int(params.get("limit") or 100), 1), 100))

    def _set_webhook(self, params: Params) -> bool:
        self._webhook_url = str(params.get("url") or "")
        return True

    def _delete_webhook(self, params: Params) -> bool:
        self._webhook_url = ""
        if params.get("drop_pending_updates"):
            self._world.updates.clear()
        return True


def _succeed(params: Params) -> bool:
    return True
