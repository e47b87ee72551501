"""The bot's typed context: what every handler and hook finds on the Application, by attribute.

PTB keeps an Application-wide `bot_data`; as a plain dict every lookup (`bot_data["services"]`)
was untyped and a misspelt key failed only at run time. `BotData` names each thing the process
keeps there, with its type, and `BotContext` gives handlers `context.services` directly.
`CONTEXT_TYPES` is what `telegram_edge.app.build_application` hands to the ApplicationBuilder.

The narrowing helpers turn PTB's optional fields (an update may have no chat, no sender, no
message) into the values a handler needs; when one is missing the update is not for us (a
channel post, an inline query) and the handler stops quietly instead of failing an `assert`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

from telegram import Chat, Message, Update, User
from telegram.ext import Application, ApplicationHandlerStop, CallbackContext, ContextTypes, ExtBot, JobQueue

from bot.container import Services

if TYPE_CHECKING:
    from bot.flood import FloodListener
    from bot.leadership import ChangePublisher, Leadership
    from telegram_edge.dispatch.group_replies import GroupReplies
    from telegram_edge.dispatch.runner import Runner
    from web.app import WebServer


class BotData:
    """Everything the process keeps on its Application. PTB builds it empty (no arguments);
    `build_application` fills it before the Application starts."""

    def __init__(self) -> None:
        self._services: Services | None = None
        self._group_replies: GroupReplies | None = None
        self.scheduler_candidate = True  # may this process run the scheduler (telegram_edge.app)
        self.webhook_worker = False  # set by telegram_edge.serve: its ASGI app already serves the web pages
        self.web_server: WebServer | None = None
        self.leadership: Leadership | None = None
        self.flood: FloodListener | None = None
        self.publisher: ChangePublisher | None = None
        self.runner: Runner | None = None  # only while this process leads the scheduling

    @property
    def services(self) -> Services:
        if self._services is None:
            raise RuntimeError("the Application was built without its services (use telegram_edge.app.build_application)")
        return self._services

    @services.setter
    def services(self, value: Services) -> None:
        self._services = value

    @property
    def group_replies(self) -> GroupReplies:
        if self._group_replies is None:
            raise RuntimeError("the Application was built without its group replies (use telegram_edge.app.build_application)")
        return self._group_replies

    @group_replies.setter
    def group_replies(self, value: GroupReplies) -> None:
        self._group_replies = value


UserData: TypeAlias = dict[Any, Any]
ChatData: TypeAlias = dict[Any, Any]


class BotContext(CallbackContext[ExtBot[Any], UserData, ChatData, BotData]):
    """The context every handler receives."""

    @property
    def services(self) -> Services:
        return self.bot_data.services


CONTEXT_TYPES = ContextTypes(context=BotContext, bot_data=BotData)
BotApplication: TypeAlias = Application[ExtBot[Any], BotContext, UserData, ChatData, BotData, JobQueue[BotContext]]


# ----- narrowing: what a handler needs from an update, or a quiet stop -----------------------


def chat_of(update: Update) -> Chat:
    """The chat the update happened in; an update without one is not for a handler of ours."""
    if update.effective_chat is None:
        raise ApplicationHandlerStop
    return update.effective_chat


def sender_of(update: Update) -> User:
    """Who sent the update; channel posts and anonymous admins have nobody to answer."""
    if update.effective_user is None:
        raise ApplicationHandlerStop
    return update.effective_user


def message_of(update: Update) -> Message:
    """The update's message (new or edited); a handler registered for messages always has one."""
    if update.effective_message is None:
        raise ApplicationHandlerStop
    return update.effective_message
