"""The Bot API methods that act on chats and messages: sending (text, files, media groups,
copies and forwards), editing, deleting, answering button presses, chat actions, getChat and
getFile. Each takes the decoded request parameters and returns the ``result`` Telegram would,
or raises the error Telegram would answer."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass

from fake_bot_api.content import caption_content, copied_content, inline_markup, message_text, optional
from fake_bot_api.errors import ApiError, bad_request, too_many_requests
from fake_bot_api.faults import fire_one_shot
from fake_bot_api.files import DOWNLOAD_LIMIT, FILE_FOLDERS, StoredFile, UploadedFile, file_content
from fake_bot_api.jsontypes import JsonDict, Params
from fake_bot_api.limits import FloodGate
from fake_bot_api.state import World
from fake_bot_api.wire import chat_id_param, message_id_param

_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
_QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"


@dataclass(frozen=True, slots=True)
class Draft:
    """Content of a message about to be sent, and how the bot wrote its text."""

    content: JsonDict
    raw_text: str
    parse_mode: str | None


class MessageMethods:
    """The methods on chats and messages, over the shared :class:`World`."""

    def __init__(self, world: World, flood: FloodGate | None) -> None:
        self._world = world
        self._flood = flood
        self._media_group_ids = itertools.count(1)

    def table(self) -> dict[str, Callable[[Params], object]]:
        """Each method under its canonical Bot API name."""
        return {
            "sendMessage": self.send_message,
            "editMessageText": self.edit_message_text,
            "editMessageReplyMarkup": self.edit_message_reply_markup,
            "deleteMessage": self.delete_message,
            "answerCallbackQuery": self.answer_callback_query,
            "sendDocument": lambda params: self.send_file("sendDocument", "document", params),
            "sendPhoto": lambda params: self.send_file("sendPhoto", "photo", params),
            "sendMediaGroup": self.send_media_group,
            "sendChatAction": self.chat_action,
            "setMessageReaction": self.chat_action,
            "getFile": self.get_file,
            "getChat": self.get_chat,
            "copyMessage": self.copy_message,
            "forwardMessage": self.forward_message,
        }

    # ---- chats and files

    def _target_chat(self, params: Params, *, send: bool = False) -> JsonDict:
        """The chat a method acts on, after Telegram's checks and the failures a test injected;
        the one-shot failures only hit methods that send messages (``send=True``)."""
        chat_id = chat_id_param(params)
        conversation = self._world.chat(chat_id)
        faults = self._world.faults.get(chat_id)
        if faults is not None and faults.permanent is not None:
            raise ApiError(*faults.permanent)
        if not conversation.accepts_messages:
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        if send and faults is not None:
            fire_one_shot(faults)
        return conversation.chat_json

    def chat_action(self, params: Params) -> bool:
        self._target_chat(params)
        return True

    def get_chat(self, params: Params) -> JsonDict:
        chat = self._world.chat(chat_id_param(params)).chat_json
        gifts = dict.fromkeys(
            (
                "unlimited_gifts",
                "limited_gifts",
                "unique_gifts",
                "premium_subscription",
                "gifts_from_channels",
            ),
            False,
        )
        return {
            **chat,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": gifts,
        }

    def get_file(self, params: Params) -> JsonDict:
        stored = self._world.files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise bad_request("invalid file_id")
        if len(stored.content) > DOWNLOAD_LIMIT:
            raise bad_request("file is too big")
        return {**stored.base_json(), "file_path": stored.file_path}

    def _input_file(self, value: object, kind: str) -> StoredFile:
        """An uploaded file is stored; a string must be the file_id of a stored one."""
        if isinstance(value, UploadedFile):
            return self._world.files.add(value.content, value.file_name, value.mime_type, FILE_FOLDERS[kind])
        stored = self._world.files.get(value) if isinstance(value, str) else None
        if stored is None:
            raise bad_request(f"there is no {kind} in the request" if value is None else "wrong file identifier/HTTP URL specified")
        return stored

    # ---- sending

    def send_message(self, params: Params) -> JsonDict:
        chat = self._target_chat(params, send=True)
        text, entities = message_text(params)
        draft = Draft(
            {"text": text, **optional("entities", entities)},
            str(params.get("text")),
            params.get("parse_mode"),
        )
        return self._deliver("sendMessage", chat, params, [draft])[0]

    def send_file(self, method: str, kind: str, params: Params) -> JsonDict:
        chat = self._target_chat(params, send=True)
        content = {
            **file_content(kind, self._input_file(params.get(kind), kind)),
            **caption_content(params),
        }
        draft = Draft(content, str(params.get("caption") or ""), params.get("parse_mode"))
        return self._deliver(method, chat, params, [draft])[0]

    def send_media_group(self, params: Params) -> list[JsonDict]:
        chat = self._target_chat(params, send=True)
        media = params.get("media")
        if not isinstance(media, list) or not media:
            raise bad_request("can't parse media JSON object")
        group_id = str(next(self._media_group_ids))
        return self._deliver(
            "sendMediaGroup",
            chat,
            params,
            [self._media_draft(item, params, group_id) for item in media],
        )

    def _media_draft(self, item: object, params: Params, group_id: str) -> Draft:
        kind = item.get("type") if isinstance(item, dict) else None
        if not isinstance(item, dict) or kind not in FILE_FOLDERS:
            raise bad_request(f"unsupported media type {kind!r} (the fake API handles photo and document)")
        media = item.get("media")
        if isinstance(media, str) and media.startswith("attach://"):
            media = params.get(media.removeprefix("attach://"))
        stored = self._input_file(media, kind)
        content = {
            **file_content(kind, stored),
            **caption_content(item),
            "media_group_id": group_id,
        }
        return Draft(content, str(item.get("caption") or ""), item.get("parse_mode"))

    def copy_message(self, params: Params) -> JsonDict:
        chat = self._target_chat(params, send=True)
        content = copied_content(self._source_message(params, "message to copy not found"))
        draft = Draft(content, content.get("text") or content.get("caption") or "", None)
        if "caption" in params and "text" not in content:
            content = {key: value for key, value in content.items() if not key.startswith("caption")}
            draft = Draft(
                {**content, **caption_content(params)},
                str(params["caption"]),
                params.get("parse_mode"),
            )
        return {"message_id": self._deliver("copyMessage", chat, params, [draft])[0]["message_id"]}

    def forward_message(self, params: Params) -> JsonDict:
        chat = self._target_chat(params, send=True)
        source = self._source_message(params, "message to forward not found")
        origin = {"type": "user", "sender_user": source["from"], "date": source["date"]}
        content = {**copied_content(source), "forward_origin": origin}
        draft = Draft(content, source.get("text") or source.get("caption") or "", None)
        return self._deliver("forwardMessage", chat, params, [draft])[0]

    def _source_message(self, params: Params, missing: str) -> JsonDict:
        message = self._world.messages.get((params.get("from_chat_id"), params.get("message_id")))
        if message is None:
            raise bad_request(missing)
        return message

    def _deliver(self, method: str, chat: JsonDict, params: Params, drafts: list[Draft]) -> list[JsonDict]:
        """The common end of every send: markup, reply target, flood control, storage."""
        markup = inline_markup(params)
        extra = {**self._reply_to(chat["id"], params), **optional("reply_markup", markup)}
        self._take_send_slot(chat["id"])
        messages = []
        for draft in drafts:
            message = self._world.store_message(chat, self._world.bot_user, {**draft.content, **extra})
            self._world.record_sent(method, message, draft.raw_text, draft.parse_mode, params.get("reply_markup"), edited=False)
            messages.append(message)
        return messages

    def _reply_to(self, chat_id: int, params: Params) -> JsonDict:
        """``reply_to_message`` for a send that replies, or Telegram's error if it is gone."""
        reply = params.get("reply_parameters")
        if reply is None and "reply_to_message_id" in params:
            reply = {"message_id": params["reply_to_message_id"]}
        if not isinstance(reply, dict):
            return {}
        target = self._world.messages.get((reply.get("chat_id", chat_id), reply.get("message_id")))
        if target is not None:
            return {"reply_to_message": {key: value for key, value in target.items() if key != "reply_to_message"}}
        if reply.get("allow_sending_without_reply") or params.get("allow_sending_without_reply"):
            return {}
        raise bad_request("message to be replied not found")

    def _take_send_slot(self, chat_id: int) -> None:
        if self._flood is not None and (retry_after := self._flood.admit(chat_id, time.monotonic())):
            raise too_many_requests(retry_after)

    # ---- editing, deleting, answering

    def edit_message_text(self, params: Params) -> JsonDict:
        message = self._editable(params)
        if "text" not in message:
            raise bad_request("there is no text in the message to edit")
        text, entities = message_text(params)
        # Like Telegram, an edit without reply_markup removes the inline keyboard.
        changes = {"text": text, "entities": entities, "reply_markup": inline_markup(params)}
        draft = Draft({}, str(params.get("text")), params.get("parse_mode"))
        return self._apply_edit("editMessageText", message, changes, draft, params)

    def edit_message_reply_markup(self, params: Params) -> JsonDict:
        message = self._editable(params)
        shown = self._world.current_message(message["chat"]["id"], message["message_id"])
        draft = Draft({}, shown.text, shown.parse_mode)
        return self._apply_edit(
            "editMessageReplyMarkup",
            message,
            {"reply_markup": inline_markup(params)},
            draft,
            params,
        )

    def _editable(self, params: Params) -> JsonDict:
        chat = self._target_chat(params)
        message = self._world.messages.get((chat["id"], message_id_param(params)))
        if message is None:
            raise bad_request("message to edit not found")
        if message["from"]["id"] != self._world.bot_id:
            raise bad_request("message can't be edited")
        return message

    def _apply_edit(self, method: str, message: JsonDict, changes: JsonDict, draft: Draft, params: Params) -> JsonDict:
        if all(message.get(key) == (value or None) for key, value in changes.items()):
            raise bad_request(_NOT_MODIFIED)
        for key, value in changes.items():
            if value:
                message[key] = value
            else:
                message.pop(key, None)
        message["edit_date"] = int(time.time())
        self._world.record_sent(method, message, draft.raw_text, draft.parse_mode, params.get("reply_markup"), edited=True)
        return message

    def delete_message(self, params: Params) -> bool:
        chat_id = self._target_chat(params)["id"]
        message_id = message_id_param(params)
        if not self._world.forget_message(chat_id, message_id):
            raise bad_request("message to delete not found")
        return True

    def answer_callback_query(self, params: Params) -> bool:
        user = self._world.open_queries.pop(str(params.get("callback_query_id")), None)
        if user is None:
            raise bad_request(_QUERY_INVALID)
        user.callback_answers.append(str(params.get("text") or ""))
        return True
