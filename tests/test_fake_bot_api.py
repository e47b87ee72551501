"""The fake Bot API, driven through a real ``telegram.Bot`` over HTTP.

Other tests trust the fake to behave like Telegram, so these pin down the wire format PTB
needs and the errors Telegram gives (and PTB turns into exceptions).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    BotCommandScopeChatMember,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaDocument,
    InputMediaPhoto,
    MessageEntity,
    Update,
)
from telegram.constants import ChatAction, ParseMode
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes

from fake_bot_api import FakeBotAPI, FakeUser, FloodLimits

USER_ID = 1001


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as server:
        yield server


@pytest.fixture
async def bot(api: FakeBotAPI) -> AsyncIterator[Bot]:
    async with _bot_for(api) as client:
        yield client


@pytest.fixture
def ada(api: FakeBotAPI) -> FakeUser:
    return api.user(USER_ID, "Ada", "Lovelace", username="ada")


def _bot_for(api: FakeBotAPI, token: str | None = None) -> Bot:
    return Bot(token or api.token, base_url=api.base_url, base_file_url=api.base_file_url)


def _keyboard(*buttons: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(text, callback_data=data)] for text, data in buttons])


# PTB 22 deprecates reading RetryAfter.retry_after as an int (and warns while building it).
ignore_retry_after_deprecation = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


def _retry_seconds(error: RetryAfter) -> float:
    value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


# ---- connection and bot identity


async def test_get_me_describes_the_configured_bot(bot: Bot, api: FakeBotAPI) -> None:
    me = await bot.get_me()

    assert (me.id, me.username, me.is_bot) == (123456, "workshop_test_bot", True)
    assert [(call.method, call.status) for call in api.calls] == [("getMe", 200), ("getMe", 200)]


async def test_wrong_token_is_rejected(api: FakeBotAPI) -> None:
    with pytest.raises(InvalidToken):
        await _bot_for(api, token="999:WRONG").get_me()

    assert api.calls[-1].status == 401


async def test_unknown_method_is_not_found(bot: Bot, api: FakeBotAPI) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("send_carrier_pigeon")

    assert (api.calls[-1].method, api.calls[-1].status) == ("sendCarrierPigeon", 404)


async def test_raw_requests_in_every_encoding(api: FakeBotAPI, ada: FakeUser) -> None:
    url = f"{api.base_url}{api.token}"
    markup = {"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]}
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{url}/SENDMESSAGE", data={"chat_id": "1001", "text": "form"}) as form:
            assert (await form.json())["result"]["text"] == "form"
        payload = {"chat_id": USER_ID, "text": "json", "reply_markup": markup}
        async with session.post(f"{url}/sendMessage", json=payload) as as_json:
            assert (await as_json.json())["result"]["reply_markup"] == markup
        async with session.get(f"{url}/getMe") as query:
            assert (await query.json())["result"]["username"] == "workshop_test_bot"
        api.flood_once(USER_ID, retry_after=2)
        async with session.post(f"{url}/sendMessage", data={"chat_id": "1001", "text": "x"}) as flood:
            assert flood.status == 429
            assert await flood.json() == {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests: retry after 2",
                "parameters": {"retry_after": 2},
            }

    assert [call.method for call in api.calls] == [
        "sendMessage",
        "sendMessage",
        "getMe",
        "sendMessage",
    ]
    assert api.calls[0].params == {"chat_id": USER_ID, "text": "form"}
    assert [sent.text for sent in api.sent] == ["form", "json"]


# ---- sending, editing, deleting


async def test_send_edit_delete(bot: Bot, api: FakeBotAPI, ada: FakeUser) -> None:
    message = await bot.send_message(
        USER_ID,
        "<b>Hi</b> &amp; welcome",
        parse_mode=ParseMode.HTML,
        reply_markup=_keyboard(("Go", "go")),
    )
    assert message.text == "Hi & welcome"
    assert message.entities == (MessageEntity(MessageEntity.BOLD, 0, 2),)
    assert message.from_user is not None and message.from_user.is_bot
    assert ada.last().plain_text == "Hi & welcome"
    assert ada.last().buttons() == [("Go", "go", None)]

    edited = await bot.edit_message_text("Bye", chat_id=USER_ID, message_id=message.message_id)
    assert not isinstance(edited, bool) and edited.text == "Bye"
    assert [(sent.text, sent.edited) for sent in api.sent] == [
        ("<b>Hi</b> &amp; welcome", False),
        ("Bye", True),
    ]
    assert ada.inbox[0].text == "Bye"
    assert ada.inbox[0].buttons() == []  # an edit without reply_markup drops the keyboard

    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_text("Bye", chat_id=USER_ID, message_id=message.message_id)
    assert await bot.delete_message(USER_ID, message.message_id)
    assert ada.inbox == []
    with pytest.raises(BadRequest, match="to edit not found"):
        await bot.edit_message_text("Again", chat_id=USER_ID, message_id=message.message_id)
    with pytest.raises(BadRequest, match="to delete not found"):
        await bot.delete_message(USER_ID, message.message_id)


async def test_edit_reply_markup(bot: Bot, ada: FakeUser) -> None:
    message = await bot.send_message(USER_ID, "Vote", reply_markup=_keyboard(("Yes", "y")))

    await bot.edit_message_reply_markup(USER_ID, message.message_id, reply_markup=_keyboard(("No", "n")))

    assert ada.last().text == "Vote"
    assert ada.last().buttons() == [("No", "n", None)]
    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_reply_markup(USER_ID, message.message_id, reply_markup=_keyboard(("No", "n")))


@pytest.mark.parametrize(
    ("html", "complaint"),
    [
        ("<b>bold", 'can\'t find end tag corresponding to start tag "b"'),
        ("<foo>x</foo>", 'unsupported start tag "foo" at byte offset 0'),
        ("1 < 2", 'unsupported start tag "" at byte offset 2'),
        ("Q&A", 'unescaped "&" at byte offset 1'),
        ("<b><i>x</b></i>", 'unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("x</b>", "unexpected end tag at byte offset 1"),
        ("<span>x</span>", 'tag "span" must have class "tg-spoiler"'),
        ('<a href="x>y</a>', "unclosed start tag"),
    ],
)
async def test_invalid_html_is_refused(bot: Bot, ada: FakeUser, html: str, complaint: str) -> None:
    with pytest.raises(BadRequest) as caught:
        await bot.send_message(USER_ID, html, parse_mode=ParseMode.HTML)

    assert str(caught.value).lower().startswith(f"can't parse entities: {complaint}")
    assert ada.inbox == []


async def test_html_entities_use_utf16_offsets(bot: Bot, ada: FakeUser) -> None:
    html = (
        "<b>bold <i>both</i></b> <a href='https://example.org/?a=1&amp;b=2'>link</a> "
        "<tg-spoiler>s</tg-spoiler> "
        '<pre><code class="language-python">x = 1</code></pre> 😀 <u>u</u>'
    )

    message = await bot.send_message(USER_ID, html, parse_mode=ParseMode.HTML)

    assert message.text == "bold both link s x = 1 😀 u"
    assert [(e.type, e.offset, e.length, e.url, e.language) for e in message.entities] == [
        (MessageEntity.BOLD, 0, 9, None, None),
        (MessageEntity.ITALIC, 5, 4, None, None),
        (MessageEntity.TEXT_LINK, 10, 4, "https://example.org/?a=1&b=2", None),
        (MessageEntity.SPOILER, 15, 1, None, None),
        (MessageEntity.PRE, 17, 5, None, "python"),
        (MessageEntity.UNDERLINE, 26, 1, None, None),
    ]


async def test_text_length_is_counted_in_utf16_after_parsing(bot: Bot, ada: FakeUser) -> None:
    await bot.send_message(USER_ID, "a" * 4096)
    await bot.send_message(USER_ID, f"<b>{'a' * 4096}</b>", parse_mode=ParseMode.HTML)
    await bot.send_message(USER_ID, "&amp;" * 4096, parse_mode=ParseMode.HTML)

    for too_long in ("a" * 4097, "😀" * 2049):
        with pytest.raises(BadRequest, match="Message is too long"):
            await bot.send_message(USER_ID, too_long)
    assert len(ada.inbox) == 3


async def test_empty_text_and_long_caption_are_refused(bot: Bot, ada: FakeUser) -> None:
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(USER_ID, " \n ")
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(USER_ID, "<b> </b>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_document(USER_ID, b"data", filename="a.txt", caption="c" * 1025)

    await bot.send_document(USER_ID, b"data", filename="a.txt", caption="c" * 1024)
    assert len(ada.inbox) == 1


async def test_callback_data_is_limited_to_64_bytes(bot: Bot, ada: FakeUser) -> None:
    await bot.send_message(USER_ID, "ok", reply_markup=_keyboard(("é", "é" * 32)))

    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(USER_ID, "too much", reply_markup=_keyboard(("é", "é" * 33)))


async def test_markdown_needs_escaping(bot: Bot, ada: FakeUser) -> None:
    with pytest.raises(BadRequest, match=r"(?i)character '\.' is reserved"):
        await bot.send_message(USER_ID, "Hello.", parse_mode=ParseMode.MARKDOWN_V2)
    with pytest.raises(BadRequest, match=r"(?i)can't find end of bold entity at byte offset 0"):
        await bot.send_message(USER_ID, "*bold", parse_mode=ParseMode.MARKDOWN_V2)
    with pytest.raises(BadRequest, match=r"(?i)can't find end of the entity starting at byte offset 4"):
        await bot.send_message(USER_ID, "user_name", parse_mode=ParseMode.MARKDOWN)

    message = await bot.send_message(USER_ID, r"*Hi* _there_ [site](https://example.org)\!", parse_mode=ParseMode.MARKDOWN_V2)
    assert message.text == "Hi there site!"
    assert [(e.type, e.offset, e.length) for e in message.entities] == [
        (MessageEntity.BOLD, 0, 2),
        (MessageEntity.ITALIC, 3, 5),
        (MessageEntity.TEXT_LINK, 9, 4),
    ]


# ---- failures: flood, blocked users, network


@ignore_retry_after_deprecation
async def test_flood_once_raises_retry_after(bot: Bot, api: FakeBotAPI, ada: FakeUser) -> None:
    api.flood_once(USER_ID, retry_after=3)

    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(USER_ID, "first try")
    await bot.send_message(USER_ID, "second try")

    assert _retry_seconds(caught.value) == 3
    assert [sent.text for sent in api.sent] == ["second try"]
    assert api.flood_errors == 1
    assert [call.status for call in api.calls[-2:]] == [429, 200]


async def test_blocked_unstarted_and_unknown_chats(bot: Bot, api: FakeBotAPI, ada: FakeUser) -> None:
    shy = api.user(2002, "Shy", started=False)
    api.fail_chat(USER_ID)

    with pytest.raises(Forbidden, match="blocked by the user"):
        await bot.send_message(USER_ID, "hello")
    with pytest.raises(Forbidden, match="can't initiate conversation"):
        await bot.send_message(shy.id, "hello")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(3003, "hello")

    shy.send("/start")
    await bot.send_message(shy.id, "welcome")
    assert [sent.chat_id for sent in api.sent] == [shy.id]


async def test_network_failure_once(bot: Bot, api: FakeBotAPI, ada: FakeUser) -> None:
    api.fail_network_once(USER_ID)

    with pytest.raises(NetworkError):
        await bot.send_message(USER_ID, "lost")
    await bot.send_message(USER_ID, "delivered")

    assert [sent.text for sent in api.sent] == ["delivered"]
    assert [call.status for call in api.calls[-2:]] == [0, 200]


async def test_flood_limits_are_off_by_default(bot: Bot, api: FakeBotAPI, ada: FakeUser) -> None:
    for number in range(40):
        await bot.send_message(USER_ID, f"message {number}")

    assert api.flood_errors == 0


@ignore_retry_after_deprecation
async def test_per_chat_limit_refuses_a_second_message_within_a_second() -> None:
    limits = FloodLimits(overall_per_second=None, per_group_per_minute=None)
    async with FakeBotAPI(limits=limits) as api, _bot_for(api) as bot:
        api.user(USER_ID, "Ada")
        api.user(2002, "Bob")
        first = await bot.send_message(USER_ID, "one")
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(USER_ID, "two")
        await bot.send_message(2002, "other chat")
        await bot.edit_message_text("one, edited", chat_id=USER_ID, message_id=first.message_id)

    assert _retry_seconds(caught.value) == 1
    assert [sent.text for sent in api.sent] == ["one", "other chat", "one, edited"]
    assert api.flood_errors == 1


@ignore_retry_after_deprecation
async def test_group_and_overall_limits() -> None:
    limits = FloodLimits(overall_per_second=30, per_chat_per_second=None, per_group_per_minute=20)
    async with FakeBotAPI(limits=limits) as api, _bot_for(api) as bot:
        api.group(-500, "Workshop")
        api.user(USER_ID, "Ada")
        for number in range(20):
            await bot.send_message(-500, f"group {number}")
        with pytest.raises(RetryAfter) as group_refusal:
            await bot.send_message(-500, "one too many")
        for number in range(10):
            await bot.send_message(USER_ID, f"private {number}")
        with pytest.raises(RetryAfter) as overall_refusal:
            await bot.send_message(USER_ID, "thirty-first")

    assert 59 <= _retry_seconds(group_refusal.value) <= 60
    assert _retry_seconds(overall_refusal.value) == 1
    assert (len(api.sent), api.flood_errors) == (30, 2)


# ---- updates


async def test_get_updates_in_order_until_confirmed(bot: Bot, api: FakeBotAPI, ada: FakeUser) -> None:
    ada.send("/join ABC")
    ada.send("hello")

    updates = await bot.get_updates()
    again = await bot.get_updates()  # unconfirmed updates come back, as on Telegram
    confirmed = await bot.get_updates(offset=updates[-1].update_id + 1)

    assert [u.update_id for u in updates] == [u.update_id for u in again]
    assert [u.message.text for u in updates if u.message] == ["/join ABC", "hello"]
    assert updates[0].message is not None
    assert updates[0].message.entities == (MessageEntity(MessageEntity.BOT_COMMAND, 0, 5),)
    assert updates[0].update_id < updates[1].update_id
    assert confirmed == ()
    assert api.pending_updates() == 0


async def test_long_poll_holds_until_an_update_arrives(bot: Bot, api: FakeBotAPI, ada: FakeUser) -> None:
    loop = asyncio.get_running_loop()
    assert await bot.get_updates(timeout=timedelta(seconds=0.1)) == ()

    loop.call_later(0.05, ada.send, "late")
    started = loop.time()
    updates = await bot.get_updates(timeout=5)

    assert loop.time() - started < 1
    assert [u.message.text for u in updates if u.message] == ["late"]


async def test_redelivered_update_keeps_its_id(bot: Bot, api: FakeBotAPI, ada: FakeUser) -> None:
    ada.send("once")
    [first] = await bot.get_updates()
    assert await bot.get_updates(offset=first.update_id + 1) == ()

    api.redeliver(first.update_id)
    [again] = await bot.get_updates(offset=first.update_id + 1)

    assert again.update_id == first.update_id
    assert again.message is not None and again.message.text == "once"


async def test_user_actions_become_valid_updates(bot: Bot, api: FakeBotAPI, ada: FakeUser) -> None:
    typo = ada.send("tpyo")
    ada.edit(typo, "typo")
    ada.send_photo(caption="board")
    ada.send_sticker()
    ada.send_voice()
    ada.send_location()
    ada.send_contact()
    group = api.group(-42, "Breakout room")
    group.send(ada, "chatting among ourselves")
    group.send(ada, "/report@workshop_test_bot")
    api.inject_update({"update_id": 1, "chat_member": {}})  # excluded by default, like Telegram

    original, edited, photo, sticker, voice, location, contact, command = await bot.get_updates()

    assert original.message is not None and original.message.text == "tpyo"
    assert edited.edited_message is not None and edited.edited_message.text == "typo"
    assert photo.message is not None and photo.message.photo and photo.message.caption == "board"
    assert sticker.message is not None and sticker.message.sticker is not None
    assert voice.message is not None and voice.message.voice is not None
    assert location.message is not None and location.message.location is not None
    assert contact.message is not None and contact.message.contact is not None
    assert contact.message.contact.user_id == USER_ID
    assert command.message is not None and command.message.chat.type == "group"


async def test_webhook_blocks_polling(bot: Bot, api: FakeBotAPI, ada: FakeUser) -> None:
    ada.send("hi")
    await bot.set_webhook("https://example.org/hook")

    with pytest.raises(Conflict):
        await bot.get_updates()
    await bot.delete_webhook(drop_pending_updates=True)

    assert await bot.get_updates() == ()


# ---- callbacks


async def test_press_and_answer_callback(bot: Bot, ada: FakeUser) -> None:
    message = await bot.send_message(USER_ID, "Pick", reply_markup=_keyboard(("Yes", "yes"), ("No", "no")))

    update_id = ada.press(ada.last(), text="Yes")
    [update] = await bot.get_updates()
    query = update.callback_query
    assert query is not None and update.update_id == update_id
    assert (query.data, query.message.message_id if query.message else None) == (
        "yes",
        message.message_id,
    )
    await query.answer("Saved", show_alert=True)

    assert ada.callback_answers == ["Saved"]
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await query.answer()
    with pytest.raises(AssertionError, match="no callback button"):
        ada.press(ada.last(), text="Maybe")


async def test_forged_callback_on_unknown_message(bot: Bot, ada: FakeUser) -> None:
    ada.press_data(999, "forged")

    [update] = await bot.get_updates()

    assert update.callback_query is not None
    assert update.callback_query.data == "forged"
    assert update.callback_query.message is not None
    assert not update.callback_query.message.is_accessible  # date 0 on the wire


# ---- files


async def test_document_round_trip(bot: Bot, api: FakeBotAPI, ada: FakeUser) -> None:
    ada.send_document("notes.txt", b"hello world", "text/plain", caption="my notes")
    [update] = await bot.get_updates()
    assert update.message is not None and update.message.document is not None
    incoming = await bot.get_file(update.message.document.file_id)
    assert bytes(await incoming.download_as_bytearray()) == b"hello world"

    sent = await bot.send_document(
        USER_ID,
        b"%PDF fake",
        filename="report.pdf",
        caption="<b>Report</b>",
        parse_mode=ParseMode.HTML,
    )
    assert sent.document is not None and sent.caption == "Report"
    assert (api.sent[-1].document, api.sent[-1].plain_text) == (
        ("report.pdf", b"%PDF fake"),
        "Report",
    )
    outgoing = await bot.get_file(sent.document.file_id)
    assert bytes(await outgoing.download_as_bytearray()) == b"%PDF fake"

    await bot.send_document(USER_ID, sent.document.file_id)
    assert api.sent[-1].document == ("report.pdf", b"%PDF fake")
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await bot.send_document(USER_ID, "no-such-file-id")


async def test_photo_and_media_group(bot: Bot, api: FakeBotAPI, ada: FakeUser) -> None:
    photo = await bot.send_photo(USER_ID, b"\x89PNG picture", caption="pic")
    album = await bot.send_media_group(
        USER_ID,
        [
            InputMediaPhoto(b"\x89PNG one"),
            InputMediaDocument(b"two", filename="two.txt", caption="2"),
        ],
    )

    assert photo.photo[-1].file_size == len(b"\x89PNG picture")
    assert api.sent[0].photo == b"\x89PNG picture"
    assert len({message.media_group_id for message in album}) == 1
    assert [(sent.photo, sent.document, sent.text) for sent in api.sent[1:]] == [
        (b"\x89PNG one", None, ""),
        (None, ("two.txt", b"two"), "2"),
    ]


# ---- other methods


async def test_commands_chat_actions_and_chat_info(bot: Bot, api: FakeBotAPI, ada: FakeUser) -> None:
    await bot.set_my_commands([BotCommand("join", "Join a session")])
    assert [command.command for command in await bot.get_my_commands()] == ["join"]
    assert api.my_commands() == [{"command": "join", "description": "Join a session"}]
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Join", "Join a session")])
    await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()

    message = await bot.send_message(USER_ID, "reaction target")
    assert await bot.send_chat_action(USER_ID, ChatAction.TYPING)
    assert await bot.set_message_reaction(USER_ID, message.message_id, "👍")
    assert await bot.set_chat_menu_button()
    chat = await bot.get_chat(USER_ID)
    assert (chat.type, chat.first_name, chat.username) == ("private", "Ada", "ada")


async def test_command_menus_are_kept_per_scope_and_language(bot: Bot, api: FakeBotAPI) -> None:
    private = BotCommandScopeAllPrivateChats()
    await bot.set_my_commands([BotCommand("join", "Join a session")], scope=private)
    await bot.set_my_commands([BotCommand("join", "Rejoindre une session")], scope=private, language_code="fr")
    await bot.set_my_commands([BotCommand("help", "Help")])

    french = await bot.get_my_commands(scope=private, language_code="fr")
    assert [(command.command, command.description) for command in french] == [("join", "Rejoindre une session")]
    assert [command.description for command in await bot.get_my_commands(scope=private)] == ["Join a session"]
    assert [command.command for command in await bot.get_my_commands()] == ["help"]
    # As on Telegram, getMyCommands answers for exactly that scope and language, without falling back.
    assert await bot.get_my_commands(language_code="fr") == ()
    assert api.my_commands({"type": "all_private_chats"}, "fr") == [{"command": "join", "description": "Rejoindre une session"}]

    await bot.delete_my_commands(scope=private, language_code="fr")
    assert await bot.get_my_commands(scope=private, language_code="fr") == ()
    assert [command.description for command in await bot.get_my_commands(scope=private)] == ["Join a session"]


async def test_each_person_sees_the_first_menu_along_telegrams_chain(bot: Bot, api: FakeBotAPI) -> None:
    """Chat scope, then all private (or group) chats, then default; each in the person's
    language first, then for all languages."""
    ada = api.user(1, "Ada", language_code="en")
    marie = api.user(2, "Marie", language_code="fr")
    joao = api.user(3, "João", language_code="pt-br")
    group = api.group(-50, "Plenary")
    assert api.commands_shown_to(ada) == []

    await bot.set_my_commands([BotCommand("start", "Start")])
    await bot.set_my_commands([BotCommand("start", "Démarrer")], language_code="fr")
    assert _descriptions(api.commands_shown_to(marie)) == ["Démarrer"]
    assert _descriptions(api.commands_shown_to(ada, group)) == ["Start"]

    await bot.set_my_commands([BotCommand("join", "Join")], scope=BotCommandScopeAllPrivateChats())
    await bot.set_my_commands([BotCommand("join", "Participar")], scope=BotCommandScopeAllPrivateChats(), language_code="pt")
    assert _descriptions(api.commands_shown_to(ada)) == ["Join"]
    assert _descriptions(api.commands_shown_to(marie)) == ["Join"]  # a menu in any language at a nearer scope wins
    assert _descriptions(api.commands_shown_to(joao)) == ["Participar"]  # "pt-br" uses the "pt" menu
    assert _descriptions(api.commands_shown_to(marie, group)) == ["Démarrer"]  # private scopes do not reach groups

    await bot.set_my_commands([BotCommand("screen", "Écran")], scope=BotCommandScopeChat(marie.id), language_code="fr")
    await bot.set_my_commands([BotCommand("vote", "Vote")], scope=BotCommandScopeAllGroupChats())
    await bot.set_my_commands([BotCommand("close", "Close")], scope=BotCommandScopeChatMember(group.id, ada.id))
    assert _descriptions(api.commands_shown_to(marie)) == ["Écran"]
    assert _descriptions(api.commands_shown_to(ada)) == ["Join"]
    assert _descriptions(api.commands_shown_to(ada, group)) == ["Close"]
    assert _descriptions(api.commands_shown_to(marie, group)) == ["Vote"]

    await bot.delete_my_commands(scope=BotCommandScopeChat(marie.id), language_code="fr")
    assert _descriptions(api.commands_shown_to(marie)) == ["Join"]


def _descriptions(commands: list[dict[str, str]]) -> list[str]:
    return [command["description"] for command in commands]


async def test_a_users_language_travels_in_the_from_of_their_updates(bot: Bot, api: FakeBotAPI) -> None:
    marie = api.user(2002, "Marie", language_code="fr")
    silent = api.user(2003, "Sam", language_code=None)  # Telegram leaves language_code out when unknown
    message = await bot.send_message(marie.id, "Choisissez", reply_markup=_keyboard(("Oui", "yes")))
    marie.send("/start")
    marie.press(marie.last(), data="yes")
    group = api.group(-60, "Atelier", privacy_mode=False)
    group.send(marie, "Bonjour")
    silent.send("hello")
    marie.language_code = "en"  # she switches her Telegram app to English
    marie.send("hello")

    command, press, in_group, from_silent, after_switch = await bot.get_updates()

    assert command.message is not None and command.message.from_user is not None
    assert command.message.from_user.language_code == "fr"
    assert press.callback_query is not None and press.callback_query.from_user.language_code == "fr"
    assert press.callback_query.message is not None and press.callback_query.message.message_id == message.message_id
    assert in_group.message is not None and in_group.message.from_user is not None
    assert in_group.message.from_user.language_code == "fr"
    assert from_silent.message is not None and from_silent.message.from_user is not None
    assert from_silent.message.from_user.language_code is None
    assert after_switch.message is not None and after_switch.message.from_user is not None
    assert after_switch.message.from_user.language_code == "en"


async def test_copy_forward_and_reply(bot: Bot, api: FakeBotAPI, ada: FakeUser) -> None:
    original = ada.send("original")

    copy = await bot.copy_message(USER_ID, from_chat_id=USER_ID, message_id=original)
    forwarded = await bot.forward_message(USER_ID, from_chat_id=USER_ID, message_id=original)
    reply = await bot.send_message(USER_ID, "noted", reply_to_message_id=original)

    assert copy.message_id == forwarded.message_id - 1
    assert forwarded.forward_origin is not None
    assert reply.reply_to_message is not None and reply.reply_to_message.text == "original"
    assert [sent.text for sent in api.sent] == ["original", "original", "noted"]
    with pytest.raises(BadRequest, match="Message to copy not found"):
        await bot.copy_message(USER_ID, from_chat_id=USER_ID, message_id=999)
    with pytest.raises(BadRequest, match="Message to be replied not found"):
        await bot.send_message(USER_ID, "lost", reply_to_message_id=999)


# ---- waiting helpers and a real Application


async def test_reply_after_and_wait_for_timeout(bot: Bot, api: FakeBotAPI, ada: FakeUser) -> None:
    [pong] = await ada.reply_after(lambda: bot.send_message(USER_ID, "pong"))
    assert pong.text == "pong"

    with pytest.raises(AssertionError, match="pong") as caught:
        await api.wait_for(lambda: False, timeout=0.1)
    assert "timed out after 0.1s" in str(caught.value)


async def test_application_polls_and_replies(api: FakeBotAPI, ada: FakeUser) -> None:
    async def greet(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None and update.effective_user is not None
        await update.effective_message.reply_text(f"Hello {update.effective_user.first_name}")

    application = ApplicationBuilder().token(api.token).base_url(api.base_url).base_file_url(api.base_file_url).build()
    application.add_handler(CommandHandler("start", greet))
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=timedelta(seconds=5))
        replies = await ada.reply_after(lambda: ada.send("/start"))
        await application.updater.stop()
        await application.stop()

    assert [reply.text for reply in replies] == ["Hello Ada"]
    assert api.pending_updates() == 0
