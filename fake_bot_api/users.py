"""Simulated people: users in private chats with the bot (:class:`FakeUser`) and groups the bot
is a member of (:class:`FakeChat`). What they send becomes updates that stay queued until the
bot confirms them with a getUpdates ``offset``, as on Telegram."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable

from fake_bot_api.content import compact, optional, text_content
from fake_bot_api.files import PHOTO_BYTES, STICKER_BYTES, VOICE_BYTES
from fake_bot_api.jsontypes import JsonDict
from fake_bot_api.records import SentMessage
from fake_bot_api.state import World


class Conversation(ABC):
    """What a private chat and a group share: an id and the bot's messages in it."""

    def __init__(self, world: World, chat_id: int) -> None:
        self._world = world
        self.chat_id = chat_id

    @property
    @abstractmethod
    def chat_json(self) -> JsonDict:
        """The ``chat`` object of messages in this chat."""

    @property
    def accepts_messages(self) -> bool:
        return True

    @property
    def inbox(self) -> list[SentMessage]:
        """The bot's messages in this chat as they are now (edits applied, deletions gone)."""
        return self._world.inbox(self.chat_id)

    def last(self) -> SentMessage:
        """The bot's most recent message still in this chat."""
        inbox = self.inbox
        if not inbox:
            raise AssertionError(f"the bot has no message in chat {self.chat_id}")
        return inbox[-1]

    async def reply_after(self, action: Callable[[], object], timeout: float = 5.0, count: int = 1) -> list[SentMessage]:
        """Run ``action`` (awaited if it returns an awaitable) and return the next ``count``
        messages or edits the bot sends to this chat."""
        history = self._world.history_of(self.chat_id)
        before = len(history)
        outcome = action()
        if isinstance(outcome, Awaitable):
            await outcome
        await self._world.wait_for(
            lambda: len(history) >= before + count,
            timeout,
            what=f"{count} new message(s) from the bot in chat {self.chat_id}",
            chat_id=self.chat_id,
        )
        return history[before : before + count]


class FakeUser(Conversation):
    """A simulated Telegram user; their private chat with the bot has the user's id.

    ``language_code`` is the language of the user's Telegram app, sent in the ``from`` of every
    update they cause; changing it (as a user switching their app's language) shows in the
    updates that follow.
    """

    def __init__(
        self,
        world: World,
        user_id: int,
        first_name: str,
        last_name: str | None,
        username: str | None,
        language_code: str | None,
        started: bool,
    ) -> None:
        super().__init__(world, user_id)
        self.id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code
        self.started = started
        self.callback_answers: list[str] = []
        names = {"first_name": first_name, "last_name": last_name, "username": username}
        self._chat_json = compact({"id": user_id, "type": "private", **names})

    @property
    def user_json(self) -> JsonDict:
        """The ``from`` of this user's messages and button presses."""
        names = {"first_name": self.first_name, "last_name": self.last_name, "username": self.username}
        return compact({"id": self.id, "is_bot": False, **names, "language_code": self.language_code})

    @property
    def chat_json(self) -> JsonDict:
        return self._chat_json

    @property
    def accepts_messages(self) -> bool:
        """Telegram lets a bot write only to users who started it."""
        return self.started

    def send(self, text: str) -> int:
        """A text message; a leading /command gets its bot_command entity. Returns its id."""
        return self._receive(text_content(text))

    def send_document(
        self,
        file_name: str,
        content: bytes,
        mime_type: str = "application/octet-stream",
        caption: str | None = None,
    ) -> int:
        """A document whose bytes the bot can fetch with getFile and the file URL."""
        stored = self._world.files.add(content, file_name, mime_type, "documents")
        return self._receive({"document": stored.document_json(), **optional("caption", caption)})

    def send_photo(self, content: bytes = PHOTO_BYTES, caption: str | None = None) -> int:
        stored = self._world.files.add(content, "photo.jpg", "image/jpeg", "photos")
        return self._receive({"photo": stored.photo_sizes(), **optional("caption", caption)})

    def send_sticker(self, emoji: str = "👍") -> int:
        stored = self._world.files.add(STICKER_BYTES, "sticker.webp", "image/webp", "stickers")
        sticker = {
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
        return self._receive({"sticker": {**stored.base_json(), **sticker, "emoji": emoji}})

    def send_voice(self, duration: int = 3) -> int:
        stored = self._world.files.add(VOICE_BYTES, "voice.ogg", "audio/ogg", "voice")
        return self._receive({"voice": {**stored.base_json(), "duration": duration, "mime_type": "audio/ogg"}})

    def send_location(self, lat: float = 59.33, lon: float = 18.06) -> int:
        return self._receive({"location": {"latitude": lat, "longitude": lon}})

    def send_contact(self, phone_number: str = "+46700000000", first_name: str | None = None) -> int:
        """The user's own contact (with ``user_id``), or someone else's when named."""
        contact = {"phone_number": phone_number, "first_name": first_name or self.first_name}
        return self._receive({"contact": contact if first_name else {**contact, "user_id": self.id}})

    def edit(self, message_id: int, new_text: str) -> None:
        """Edit one of the user's text messages, producing an ``edited_message`` update."""
        message = self._world.messages.get((self.chat_id, message_id))
        if message is None or message["from"]["id"] != self.id or "text" not in message:
            raise ValueError(f"user {self.id} has no text message {message_id} to edit")
        message.pop("entities", None)
        message.update(text_content(new_text), edit_date=int(time.time()))
        self._world.push_update({"edited_message": dict(message)})

    def press(self, message: SentMessage, text: str | None = None, data: str | None = None) -> int:
        """Press the inline button with that text and/or callback data on the message as it is
        now; returns the update id of the callback query."""
        if text is None and data is None:
            raise ValueError("press() needs text= or data=")
        current = self._world.current_message(message.chat_id, message.message_id)
        for label, callback_data, _url in current.buttons():
            if callback_data is not None and text in (None, label) and data in (None, callback_data):
                return self._press(message.chat_id, message.message_id, callback_data)
        raise AssertionError(
            f"no callback button text={text!r} data={data!r} on message {message.message_id}; buttons: {current.buttons()}"
        )

    def press_data(self, message_id: int, data: str) -> int:
        """A callback query with arbitrary (forged or stale) data on any message id."""
        return self._press(self.chat_id, message_id, data)

    def press_inline(self, data: str) -> int:
        """A press on a button of an inline-mode message: the callback query has no message."""
        return self._press(None, 0, data)

    def _receive(self, content: JsonDict) -> int:
        return post_message(self._world, self, self.chat_json, content)

    def _press(self, chat_id: int | None, message_id: int, data: str) -> int:
        query_id = self._world.next_query_id()
        self._world.open_queries[query_id] = self
        query: JsonDict = {"id": query_id, "from": self.user_json, "chat_instance": f"ci{chat_id}", "data": data}
        if chat_id is None:  # inline mode: the message is not the bot's, only its id is sent
            query["inline_message_id"] = f"im{query_id}"
        else:
            message = self._world.messages.get((chat_id, message_id))
            # A message the bot can no longer see arrives as an InaccessibleMessage (date 0).
            query["message"] = (
                dict(message) if message is not None else {"chat": self._world.chat(chat_id).chat_json, "message_id": message_id, "date": 0}
            )
        return self._world.push_update({"callback_query": query})


class FakeChat(Conversation):
    """A group the bot is a member of (negative id; "supergroup" for -100… ids)."""

    def __init__(self, world: World, chat_id: int, title: str, privacy_mode: bool) -> None:
        super().__init__(world, chat_id)
        self.id = chat_id
        self.title = title
        self.privacy_mode = privacy_mode
        kind = "supergroup" if chat_id <= -1_000_000_000_000 else "group"
        self._chat_json = {"id": chat_id, "type": kind, "title": title}

    @property
    def chat_json(self) -> JsonDict:
        return self._chat_json

    def send(self, user: FakeUser, text: str) -> int:
        """A message from ``user`` in this group. In privacy mode (Telegram's default) the bot
        only receives commands and messages that mention it; the message exists either way."""
        mentioned = text.startswith("/") or f"@{self._world.bot_username}" in text
        return post_message(self._world, user, self.chat_json, text_content(text), deliver=mentioned or not self.privacy_mode)


def post_message(world: World, user: FakeUser, chat: JsonDict, content: JsonDict, *, deliver: bool = True) -> int:
    """A message from a simulated user; in a private chat it counts as starting the bot."""
    message = world.store_message(chat, user.user_json, content)
    if chat["id"] == user.id:
        user.started = True
    if deliver:
        world.push_update({"message": dict(message)})
    message_id: int = message["message_id"]
    return message_id
