"""Command menus: setMyCommands, getMyCommands and deleteMyCommands, one menu per scope and
language as on Telegram, and the menu a given person actually sees.

A menu is stored under its scope (``{"type": "default"}`` when none is given) and its
``language_code`` ("" for all languages). Telegram shows a person the first menu that exists
along a fixed chain of scopes, at each step first for their language, then for all languages
(https://core.telegram.org/bots/api#determining-list-of-commands); :meth:`CommandMenus.shown_to`
follows that chain. Administrator scopes are not modelled: simulated groups have no
administrators.
"""

from __future__ import annotations

import json
import re

from fake_bot_api.errors import bad_request
from fake_bot_api.jsontypes import JsonDict, Params
from fake_bot_api.users import FakeChat, FakeUser

_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")


class CommandMenus:
    """The bot's command menus, by (scope, language)."""

    def __init__(self) -> None:
        self._menus: dict[tuple[str, str], list[JsonDict]] = {}

    def set_my_commands(self, params: Params) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON object")
        for command in commands:
            _check_command(command)
        self._menus[_menu_key(params.get("scope"), params.get("language_code"))] = commands
        return True

    def delete_my_commands(self, params: Params) -> bool:
        self._menus.pop(_menu_key(params.get("scope"), params.get("language_code")), None)
        return True

    def get_my_commands(self, params: Params) -> list[JsonDict]:
        return self.menu(params.get("scope"), str(params.get("language_code") or ""))

    def menu(self, scope: JsonDict | None = None, language_code: str = "") -> list[JsonDict]:
        """The menu last set for exactly that scope and language (empty when none was)."""
        return self._menus.get(_menu_key(scope, language_code), [])

    def shown_to(self, user: FakeUser, chat: FakeChat | None = None) -> list[JsonDict]:
        """The menu ``user`` sees in their private chat with the bot, or in ``chat``."""
        if chat is None:
            scopes: list[JsonDict] = [{"type": "chat", "chat_id": user.id}, {"type": "all_private_chats"}]
        else:
            scopes = [
                {"type": "chat_member", "chat_id": chat.id, "user_id": user.id},
                {"type": "chat", "chat_id": chat.id},
                {"type": "all_group_chats"},
            ]
        # Menus are set per two-letter language; a user's app may say "pt-br".
        language = (user.language_code or "").split("-")[0].lower()
        for scope in [*scopes, {"type": "default"}]:
            for code in dict.fromkeys((language, "")):
                if commands := self.menu(scope, code):
                    return commands
        return []


def _check_command(command: JsonDict) -> None:
    if not _COMMAND_NAME.fullmatch(str(command.get("command", ""))):
        raise bad_request("BOT_COMMAND_INVALID")
    if not 1 <= len(str(command.get("description", ""))) <= 256:
        raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")


def _menu_key(scope: object, language_code: object) -> tuple[str, str]:
    return json.dumps(scope or {"type": "default"}, sort_keys=True), str(language_code or "")
