"""Fuzzing the whole bot: thousands of generated updates of every kind, from a fixed seed,
through the real Application and HTTP stack against the fake Bot API, on SQLite and PostgreSQL.

The generator mixes what real rooms produce with what attackers and broken clients do: odd
unicode (U+FFFF, NUL, controls, RTL, emoji; not lone surrogates, which Telegram's UTF-8
cannot carry), markup, over-long text, commands
with garbage arguments (huge, negative and non-ASCII numbers), edited messages, presses of real
buttons and of forged callback data, presses without a message, media and documents, group
messages, redelivered and out-of-order updates, and users trying what their role does not allow.

Afterwards: no handler error, every button press answered exactly once, and a database whose
rows hang together (no orphans, every answer traceable to the message that carried it, the
number of stored answers matching the "✓ Saved" replies).
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from dataclasses import dataclass, field

from sqlalchemy import func, select

from fake_bot_api import FakeBotAPI, FakeChat, FakeUser
from storage.models import ChatState, Contribution, Participant, Progress, Prompt, Reaction, Role, Session
from storage.types import storable
from telegram_edge.offline import OfflineBot
from tests.agenda_samples import EXPERT_MEETING
from tests.conftest import ORGANISER

SEED = 1313
UPDATES = 2000
BATCH = 100
RAPPORTEUR, MODERATOR = 1001, 1002
PARTICIPANTS = range(2000, 2024)

ODD_TEXTS = [
    "Donors still work in silos",
    "U+FFFF \uffff in an answer",
    "NUL \x00 in the middle",
    "bell \x07 escape \x1b[31m vertical tab \x0b form feed \x0c",
    "U+FFFE \ufffe and C1 \x85\x9f",
    "<b>not bold</b> & <script>alert(1)</script> &amp; &lt;",
    "*stars* _under_ `code` [link](http://x) ~strike~ ||spoiler||",
    "السلام عليكم — עברית — 🕊️👩🏽‍🚀 ZWJ\u200d RLO\u202e reversed",
    "   ",
    "\n\n\n",
    "x" * 2001,
    "word " * 900,
    "🕊️" * 1500,
    "K7QX2M",
    "Diplomacy",
    "/",
    "0",
    "-1",
    "99999999999999999999",
    "２０２６-０２-１１ ０９:３０",
    "2026-02-11 to 2026-02-12",
    "Europe/Oslo",
    "Mars/Olympus_Mons",
    "90 min",
    "tomorrow 8:30",
    "every day at 08:00 | digest",
]
NUMBERS = [
    "1",
    "2",
    "3",
    "0",
    "-1",
    "-99999999999",
    "2147483647",
    "2147483648",
    "99999999999999999999",
    "1e9",
    "²",
    "٣",
    "12abc",
    "#5",
    "v2",
    "",
]
COMMANDS = [
    "start", "join", "myinput", "sessions", "skip", "cancel", "profile", "help", "newevent", "newsession",
    "agenda", "manage", "open", "close", "link", "grant", "revoke", "hide", "unhide", "rename", "merge",
    "regenerate", "versions", "export", "react", "remind", "papers", "deliver", "schedule", "move", "frobnicate",
    "mydata", "forget", "screen",
]  # fmt: skip
HEAVY_COMMANDS = ["draft", "approve", "eventreport", "export"]
VERBS = [
    "nx",
    "dn",
    "ag",
    "mi",
    "ed",
    "dl",
    "dy",
    "cc",
    "sw",
    "cs",
    "nm",
    "cm",
    "pf",
    "wz",
    "op",
    "cl",
    "lk",
    "rp",
    "rs",
    "re",
    "rr",
    "rx",
    "rv",
    "rn",
    "sc",
    "se",
    "sx",
    "sn",
    "fg",
    "sl",
    "sh",
    "zz",
    "md",
]
ARGS = [
    "",
    "yes",
    "no",
    "keep",
    "all",
    "md",
    "pdf",
    "csv",
    "chart",
    "draft",
    "approve",
    "edit",
    "versions",
    "summary",
    "challenges",
    "name",
    "community",
    "development",
    "s1",
    "e1",
    "done",
    "<x>",
    "../../etc",
    "Ⅻ",
]


@dataclass
class Ledger:
    """What the fuzzer sent, to check the database against afterwards."""

    texts: dict[tuple[int, int], list[str]] = field(default_factory=dict)  # (chat, message) -> versions
    queries: set[int] = field(default_factory=set)  # update ids of button presses (not redelivered)
    redelivered_texts: int = 0
    sent_updates: list[int] = field(default_factory=list)
    text_updates: set[int] = field(default_factory=set)
    editable: list[tuple[int, int]] = field(default_factory=list)  # texts the fake can edit


def _code(api: FakeBotAPI) -> list[str]:
    organiser_chat = api.messages_to(ORGANISER)
    return re.findall(r"<code>([A-Z0-9]{6})</code>", organiser_chat[0].text)


async def _setup(api: FakeBotAPI) -> tuple[FakeUser, list[str]]:
    organiser = api.user(ORGANISER, "Olivia", username="olivia")
    await organiser.reply_after(lambda: organiser.send_document("agenda.yaml", EXPERT_MEETING.encode(), "application/x-yaml"))
    codes = _code(api)
    for code in codes[:2]:
        await organiser.reply_after(lambda c=code: organiser.send(f"/open {c}"))
    api.user(RAPPORTEUR, "Rae", username="rae").send("/start")
    api.user(MODERATOR, "Mo", username="mo").send("/start")
    await api.wait_for(lambda: bool(api.messages_to(RAPPORTEUR)) and bool(api.messages_to(MODERATOR)))
    await organiser.reply_after(lambda: organiser.send(f"/grant {codes[0]} rapporteur @rae"))
    await organiser.reply_after(lambda: organiser.send(f"/grant {codes[1]} moderator @mo"))
    return organiser, codes


async def _onboard(user: FakeUser, code: str, community: str) -> None:
    """The usual way in, so that most of the fuzzing happens where answers are taken."""
    replies = await user.reply_after(lambda: user.send(f"/start {code}"), count=2)
    await user.reply_after(lambda: user.press(replies[1], text="✅ I agree"))
    await user.reply_after(lambda: user.send(f"Person {user.id}"))
    await user.reply_after(lambda: user.send("/skip"))
    await user.reply_after(lambda: user.press(user.last(), text=community), count=2)


def _odd_text(rng: random.Random) -> str:
    text = rng.choice(ODD_TEXTS)
    if rng.random() < 0.3:
        text = "".join(rng.choice((text, chr(rng.randrange(0x20, 0x3000)), "\x00", "\uffff", " "))[:50] for _ in range(rng.randint(1, 4)))
    return text


def _command(rng: random.Random, codes: list[str], heavy: bool) -> str:
    if heavy:
        name = rng.choice(HEAVY_COMMANDS)
        return f"/{name} {rng.choice(codes[:2])} {rng.choice(['', 'docx', 'pdf', 'md', 'csv', 'chart', '1', '99999999999'])}".strip()
    name = rng.choice(COMMANDS)
    args = [
        rng.choice(
            [
                *codes,
                *NUMBERS,
                "@rae",
                "@nobody",
                "rapporteur",
                "moderator",
                "organiser",
                "latest",
                "event",
                "pdf",
                "docx",
                "md",
                "csv",
                "chart",
                "discard",
                "|",
                "15 min before start",
                "2099-01-01 09:00",
                "9999-99-99 25:61",
                "99999999999 min before start",
                "9999-12-31 23:59",
                "0001-01-01 00:00",
                "every day at 08:00 until 31 Dec 9999",
                "tomorrow 25:99",
            ]
        )
        for _ in range(rng.randint(0, 4))
    ]
    text = " ".join([f"/{name}", *args]).strip()
    if name == "agenda" and rng.random() < 0.5:
        text += "\n" + rng.choice(
            [
                "event: {title: x}\nsessions: []",
                "event: [1, 2",
                "- - -",
                "event:\n  title: \uffff\nsessions:\n  - title: S\n    prompts:\n      - challenge: \x00?",
            ]
        )
    return text


def _callback_data(rng: random.Random, codes: list[str]) -> str:
    parts = [rng.choice(VERBS)]
    if rng.random() < 0.8:
        parts.append(rng.choice([*ARGS, *NUMBERS[:9]]))
    if rng.random() < 0.6:
        parts.append(rng.choice(NUMBERS[:9]))
    return ":".join(p for p in parts if p)[:64]


def _press_real_button(rng: random.Random, user: FakeUser) -> int | None:
    """A press on a button the bot really showed this user (the paths people take)."""
    inbox = user.inbox[-4:]
    choices = [(message, data) for message in inbox for _label, data, _url in message.buttons() if data]
    if not choices:
        return None
    message, data = rng.choice(choices)
    return user.press(message, data=data)


def _generate(
    rng: random.Random, api: FakeBotAPI, users: dict[int, FakeUser], groups: list[FakeChat], codes: list[str], ledger: Ledger
) -> None:
    """One update (or none, when the chosen action does not apply yet)."""
    user = users[rng.choice([ORGANISER, RAPPORTEUR, MODERATOR, *PARTICIPANTS, *PARTICIPANTS])]
    roll = rng.random()
    if roll < 0.27:  # an answer, a wizard step or an onboarding reply
        text = (
            _odd_text(rng)
            if rng.random() < 0.4
            else f"Point {rng.randrange(10_000)} about {rng.choice(['donors', 'planning', 'security', 'funding'])}"
        )
        message_id = user.send(text)
        ledger.texts[(user.id, message_id)] = [text]
        ledger.editable.append((user.id, message_id))
        update_id = api.last_update_id
        ledger.text_updates.add(update_id)
        ledger.sent_updates.append(update_id)
    elif roll < 0.47:
        update_id = _press_real_button(rng, user)
        if update_id is not None:
            ledger.queries.add(update_id)
            ledger.sent_updates.append(update_id)
    elif roll < 0.5675:
        user.send(_command(rng, codes, heavy=False))
    elif roll < 0.57:  # drafts, approvals, exports: slow, so rarer, and mostly by those allowed
        user = users[rng.choice([ORGANISER, RAPPORTEUR, RAPPORTEUR, MODERATOR, PARTICIPANTS[0]])]
        user.send(_command(rng, codes, heavy=True))
    elif roll < 0.60:
        code = rng.choice([*codes[:2], *codes[:2], "NOPE42", "k7qx2m", "\x00", "\uffff" * 3, "x" * 300])
        user.send(f"/{rng.choice(['start', 'join'])} {code}")
    elif roll < 0.70:
        message_id = rng.choice([m.message_id for m in user.inbox[-3:]] or [1]) if rng.random() < 0.7 else rng.randrange(1, 10**6)
        update_id = user.press_data(message_id, _callback_data(rng, codes))
        ledger.queries.add(update_id)
    elif roll < 0.72:
        ledger.queries.add(user.press_inline(_callback_data(rng, codes)))
    elif roll < 0.78:  # edit one of the user's earlier texts
        mine = [key for key in ledger.editable if key[0] == user.id]
        if mine:
            key = rng.choice(mine[-5:])
            text = _odd_text(rng) if rng.random() < 0.5 else f"Edited point {rng.randrange(1000)}"
            user.edit(key[1], text)
            ledger.texts[key].append(text)
    elif roll < 0.85:
        media = rng.choice(["photo", "sticker", "voice", "location", "contact", "document", "yaml"])
        if media == "document":
            user.send_document(rng.choice(["notes.pdf", "x", "agenda.YAML", "\uffff.txt"]), rng.randbytes(rng.randrange(1, 200)))
        elif media == "yaml":
            user.send_document(
                "agenda.yaml",
                rng.choice(
                    [b"event: [", b"\x00\xff\xfe", "event:\n  title: T\uffff\nsessions: []\n".encode(), EXPERT_MEETING.encode()[:400]]
                ),
            )
        else:
            {
                "photo": user.send_photo,
                "sticker": user.send_sticker,
                "voice": user.send_voice,
                "location": user.send_location,
                "contact": user.send_contact,
            }[media]()
    elif roll < 0.89:
        group = groups[rng.randrange(len(groups))]  # many rooms: each has its own 20/min budget
        group.send(
            user, rng.choice(["/start", f"/join {codes[0]}", "/draft", "@workshop_test_bot hi", "plain chatter", f"/close {codes[0]}"])
        )  # type: ignore[attr-defined]
    elif roll < 0.95 and ledger.sent_updates:  # Telegram delivers an update again
        update_id = rng.choice(ledger.sent_updates[-60:])
        if update_id in ledger.queries:
            return  # the query was answered the first time; a second answer is refused and ignored
        api.redeliver(update_id)
        ledger.redelivered_texts += update_id in ledger.text_updates
    else:  # out of order: a message with an id older than what the chat has seen
        text = f"Late point {rng.randrange(1000)}"
        message_id = rng.randrange(1, 5)
        if (user.id, message_id) in ledger.texts:
            return
        person = user.user_json
        api.inject_update(
            {"message": {"message_id": message_id, "date": int(time.time()), "chat": user.chat_json, "from": person, "text": text}}
        )
        ledger.texts[(user.id, message_id)] = [text]


async def _quiesce(api: FakeBotAPI, bot: OfflineBot) -> None:
    """Until every update was fetched and processed and the bot stopped calling the API."""
    application = bot.application
    assert application is not None
    stable_since = time.monotonic()
    calls = len(api.calls)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        busy = api.pending_updates() or application.update_queue.qsize() or application.update_processor.current_concurrent_updates
        if busy or len(api.calls) != calls:
            calls, stable_since = len(api.calls), time.monotonic()
        elif time.monotonic() - stable_since > 0.05:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"the bot did not settle: {api.pending_updates()} updates pending")


async def test_fuzz_thousands_of_hostile_updates(api: FakeBotAPI, bot: OfflineBot) -> None:
    rng = random.Random(SEED)
    _organiser, codes = await _setup(api)
    groups = [api.group(-100700 - n, f"Room {n}") for n in range(40)]
    users = {uid: api._chats[uid] for uid in (ORGANISER, RAPPORTEUR, MODERATOR)}  # noqa: SLF001
    users.update({uid: api.user(uid, f"P{uid}", username=f"p{uid}" if uid % 3 else None) for uid in PARTICIPANTS})
    communities = ["Diplomacy", "Development", "Security / defence", "Humanitarian", "Other"]
    await asyncio.gather(*(_onboard(users[uid], codes[n % 2], communities[n % 5]) for n, uid in enumerate(PARTICIPANTS[:16])))  # type: ignore[arg-type]
    ledger = Ledger()
    started = time.monotonic()
    for batch in range(UPDATES // BATCH):
        for _ in range(BATCH):
            _generate(rng, api, users, groups, codes, ledger)  # type: ignore[arg-type]
        await _quiesce(api, bot)
        assert bot.errors == [], f"after batch {batch}: {bot.errors!r}"
    elapsed = time.monotonic() - started

    # Every button press answered, exactly once (a second answer would have been an error).
    assert api.unanswered_callback_queries() == 0
    answers = [call for call in api.calls if call.method == "answerCallbackQuery"]
    assert all(call.status == 200 for call in answers), [call.params for call in answers if call.status != 200][:5]

    await _check_database(bot, api, ledger)
    methods = {
        m: sum(1 for c in api.calls if c.method == m) for m in ("sendMessage", "editMessageText", "sendDocument", "answerCallbackQuery")
    }
    forgotten = sum("✅ Done: your name" in m.plain_text for m in api.sent)
    print(f"{UPDATES} generated updates processed in {elapsed:.1f}s; {methods}; {forgotten} people erased")


async def _check_database(bot: OfflineBot, api: FakeBotAPI, ledger: Ledger) -> None:
    async with bot.services.db.session() as db:
        contributions = list(await db.scalars(select(Contribution)))
        prompts = {p.id: p for p in await db.scalars(select(Prompt))}
        people = {p.id: p for p in await db.scalars(select(Participant))}
        sessions = set(await db.scalars(select(Session.id)))
        reactions = list(await db.scalars(select(Reaction)))
        progress = list(await db.scalars(select(Progress)))
        states = list(await db.scalars(select(ChatState)))
        roles = list(await db.scalars(select(Role)))
        telegram_ids = set(await db.scalars(select(Participant.telegram_user_id)))
        count = int(await db.scalar(select(func.count()).select_from(Contribution)) or 0)
    assert contributions, "the fuzzer should have got some answers stored"
    sent_by: dict[int, set[str]] = {}
    for (chat_id, _message_id), versions in ledger.texts.items():
        sent_by.setdefault(chat_id, set()).update(storable(v.strip()) for v in versions)
    for row in contributions:
        prompt = prompts.get(row.prompt_id)
        assert prompt is not None and prompt.session_id == row.session_id, row.id
        person = people.get(row.participant_id)
        assert person is not None and person.telegram_user_id == row.tg_chat_id, row.id
        if row.tg_chat_id is None:  # its author used /forget and kept it: anonymous now
            assert person.erased_at is not None and not person.display_name and person.username is None
            continue
        versions = ledger.texts.get((row.tg_chat_id, row.tg_message_id))
        assert versions is not None, f"contribution {row.id} has no message behind it"
        # its own message's text (or an edit of it), or a text the same person sent while
        # editing the answer through /myinput
        assert row.text in sent_by[row.tg_chat_id], (row.text[:80], versions)
    contribution_ids = {c.id: c for c in contributions}
    for reaction in reactions:
        target = contribution_ids.get(reaction.contribution_id)
        assert target is not None and reaction.participant_id in people
        assert target.participant_id != reaction.participant_id, "a reaction to one's own point"
    assert all(p.participant_id in people and p.session_id in sessions for p in progress)
    assert all(s.participant_id in people and (s.active_session_id is None or s.active_session_id in sessions) for s in states)
    assert all(r.participant_id in people and (r.session_id is None or r.session_id in sessions) for r in roles)
    assert telegram_ids - {None} <= {ORGANISER, RAPPORTEUR, MODERATOR, *PARTICIPANTS}  # group ids never become people

    # Counts match what was accepted: one "✓ Saved" per stored answer, less deletions; an update
    # delivered again is confirmed again without being stored twice.
    saved = sum(1 for m in api.sent if m.plain_text.startswith("✓ Saved (") and not m.edited)
    deleted = sum(1 for m in api.sent if m.plain_text.startswith("🗑 Deleted") and not m.edited)
    deleted += sum(int(n) for m in api.sent for n in re.findall(r"Your (\d+) answer\(s\) were deleted", m.plain_text))
    assert saved - deleted - ledger.redelivered_texts <= count <= saved - deleted, (saved, deleted, ledger.redelivered_texts, count)
