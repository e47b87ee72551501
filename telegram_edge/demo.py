"""`workshop-bot demo`: a whole session, offline, through the real bot.

An organiser loads the agenda, opens the session and gets its QR code; a rapporteur is
appointed; twenty participants join by deep link, go through consent and onboarding, and
answer the challenge and recommendation prompts at the same time. Everything travels as real
HTTP through the local fake Bot API, and lands in a real database.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select

from fake_bot_api import FakeBotAPI, FakeUser, SentMessage
from storage.db import Database, DatabaseUnavailable
from storage.models import Contribution, Participant, Progress
from telegram_edge.demo_script import AGENDA, PEOPLE
from telegram_edge.offline import OfflineBot

ORGANISER_ID = 1000
RAPPORTEUR_ID = 1001
FIRST_PARTICIPANT_ID = 2000
DEMO_DATABASE_FILE = "workshop-demo.db"
OUTPUT_FOLDER = "demo-output"


class DemoRefused(DatabaseUnavailable):
    """The demo cannot run against the database it was given; the message says what to do."""


def demo_folder(start: Path | None = None) -> Path:
    """Where the demo writes: the current folder, or a temporary one when that is read-only."""
    here = (start or Path.cwd()).resolve()
    if os.access(here, os.W_OK):
        return here
    return Path(tempfile.mkdtemp(prefix="workshop-demo-"))


def fresh_demo_database(folder: Path) -> tuple[str, str | None]:
    """The demo's own SQLite file in `folder`, emptied: each run starts from nothing, so a run
    never depends on what an earlier one left behind. Returns the URL and what was reset."""
    path = folder / DEMO_DATABASE_FILE
    here = Path.cwd().resolve()
    shown = path.relative_to(here) if path.is_relative_to(here) else path
    removed = None
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if leftover.exists():
            leftover.unlink()
            removed = str(shown)
    return f"sqlite+aiosqlite:///{shown}", removed


async def ensure_empty(database_url: str) -> None:
    """A database the operator named must be empty: the demo never mixes its people into real data."""
    db = Database(database_url)
    try:
        await db.upgrade()
        async with db.session() as session:
            known = await session.scalar(select(func.count()).select_from(Participant))
    finally:
        await db.dispose()
    if known:
        raise DemoRefused(
            f"the demo needs an empty database, and {db.display_url} already holds {known} people. "
            "Leave out --database (the demo then uses a fresh workshop-demo.db) or name a new, empty one."
        )


@dataclass
class Transcript:
    lines: list[str] = field(default_factory=list)
    watched: set[int] = field(default_factory=set)

    def user(self, who: FakeUser, name: str, text: str) -> None:
        if who.id in self.watched:
            self.lines.append(f"  {name} → bot: {_one_line(text)}")

    def bot(self, who: FakeUser, name: str, messages: list[SentMessage]) -> None:
        if who.id in self.watched:
            for message in messages:
                buttons = " ".join(f"[{b[0]}]" for b in message.buttons())
                shown = message.plain_text or ("(photo)" if message.photo else "")
                self.lines.append(f"  bot → {name}: {_one_line(shown)}" + (f"  {buttons}" if buttons else ""))


async def run_demo(database_url: str | None = None, *, participants: int = 20, folder: Path | None = None) -> int:
    """Run the scripted session. Without a database URL the demo uses its own SQLite file in
    `folder` (the current one by default), emptied first and said so."""
    for noisy in ("alembic", "telegram.ext"):  # the transcript is the demo's output
        logging.getLogger(noisy).setLevel(logging.WARNING)
    folder = folder or demo_folder()
    if folder != Path.cwd().resolve():
        print(f"(This folder is not writable: the demo writes to {folder} instead.)")
    if database_url is None:
        database_url, removed = fresh_demo_database(folder)
        if removed:
            print(f"Starting afresh: removed the previous demo database {removed}.")
    else:
        await ensure_empty(database_url)
    output_dir = folder / OUTPUT_FOLDER
    people = PEOPLE[: max(1, min(participants, len(PEOPLE)))]
    started = time.perf_counter()
    transcript = Transcript()
    async with FakeBotAPI(bot_username="workshop_demo_bot") as api:
        bot = OfflineBot(api, database_url, organiser_ids=[ORGANISER_ID])
        await bot.start()
        try:
            organiser = api.user(ORGANISER_ID, "Olivia", username="olivia_org")
            rapporteur = api.user(RAPPORTEUR_ID, "Ravi", username="ravi_rapporteur")
            transcript.watched |= {ORGANISER_ID, FIRST_PARTICIPANT_ID}

            async def say(user: FakeUser, name: str, action: Callable[[], object], label: str, count: int = 1) -> list[SentMessage]:
                transcript.user(user, name, label)
                replies = await user.reply_after(action, count=count, timeout=15)
                transcript.bot(user, name, replies)
                return replies

            print("• Organiser loads the agenda, opens the session and shows the QR code")
            created = await say(
                organiser,
                "Olivia",
                lambda: organiser.send_document("agenda.yaml", AGENDA.encode(), "application/x-yaml"),
                "(sends agenda.yaml)",
            )
            code = re.search(r"<code>([A-Z0-9]{6})</code>", created[0].text).group(1)  # type: ignore[union-attr]
            await say(organiser, "Olivia", lambda: organiser.send(f"/open {code}"), f"/open {code}")
            await say(organiser, "Olivia", lambda: organiser.send(f"/link {code}"), f"/link {code}")
            await say(rapporteur, "Ravi", lambda: rapporteur.send("/start"), "/start")
            await say(
                organiser,
                "Olivia",
                lambda: organiser.send(f"/grant {code} rapporteur @ravi_rapporteur"),
                "/grant … rapporteur @ravi_rapporteur",
            )

            print(f"• {len(people)} participants join by deep link and answer at the same time")
            await asyncio.gather(*[_participate(api, FIRST_PARTICIPANT_ID + i, person, code, say) for i, person in enumerate(people)])
            await say(organiser, "Olivia", lambda: organiser.send("/manage"), "/manage", count=2)

            print("• The rapporteur asks for the draft report")
            before = len(rapporteur.inbox)
            rapporteur.send("/draft")
            # The draft's text and version line come first, then its files; the PDF is the last.
            await api.wait_for(lambda: any(m.document and m.document[0].endswith(".pdf") for m in rapporteur.inbox[before:]), timeout=120)
            draft = rapporteur.inbox[before:]
            report_text = "\n".join(m.plain_text for m in draft if m.method == "sendMessage" and not m.text.startswith("Version"))
            saved = _save_files(draft, output_dir)
            errors = list(bot.errors)
            async with bot.services.db.session() as db:
                stored = await db.scalar(select(func.count()).select_from(Contribution))
                joined = await db.scalar(select(func.count()).select_from(Progress))
                people_known = await db.scalar(select(func.count()).select_from(Participant))
        finally:
            await bot.stop()
        sent = len(api.sent)
        calls = len(api.calls)

    print("\nTranscript excerpt (the organiser and the first participant):")
    print("\n".join(transcript.lines[:60]))
    print("\nThe rapporteur's draft, as it arrives in Telegram (beginning):")
    print("\n".join("  " + line for line in report_text.splitlines()[:28]))
    elapsed = time.perf_counter() - started
    print(
        f"\nDone in {elapsed:.1f} s: {joined} participants joined, {stored} contributions stored, "
        f"{people_known} people known, {sent} bot messages over {calls} Bot API calls, {len(errors)} errors."
    )
    shown = Database.display(database_url)
    print(f"Data: {shown} (the next `workshop-bot demo` starts afresh).")
    print(f"Report files: {', '.join(str(p) for p in saved)}")
    print(f"Try: workshop-bot report {code} --database {shown} --format md --out -")
    return 0 if not errors else 1


async def _participate(
    api: FakeBotAPI,
    user_id: int,
    person: tuple[str, str, str, list[str], list[str]],
    code: str,
    say: Callable[..., Awaitable[list[SentMessage]]],
) -> None:
    name, organisation, community, challenges, recommendations = person
    first, _, last = name.partition(" ")
    user = api.user(user_id, first, last or None, username=f"user{user_id}")
    replies = await say(user, name, lambda: user.send(f"/start {code}"), f"(opens t.me/…?start={code})", count=2)
    await say(user, name, lambda: user.press(replies[-1], text="✅ I agree"), "[✅ I agree]")
    await say(user, name, lambda: user.send(name), name)
    await say(user, name, lambda: user.send(organisation), organisation)
    label = {
        "diplomacy": "Diplomacy",
        "development": "Development",
        "security": "Security / defence",
        "humanitarian": "Humanitarian",
        "other": "Other",
    }[community]
    prompt = (await say(user, name, lambda: user.press(user.last(), text=label), f"[{label}]", count=2))[-1]
    for challenge in challenges:
        prompt = (await say(user, name, lambda c=challenge: user.send(c), challenge))[-1]
    prompt = (await say(user, name, lambda: user.press(prompt, text="Next ▶"), "[Next ▶]"))[-1]
    for recommendation in recommendations:
        prompt = (await say(user, name, lambda r=recommendation: user.send(r), recommendation))[-1]
    await say(user, name, lambda: user.press(prompt, text="Done ✓"), "[Done ✓]")


def _save_files(messages: list[SentMessage], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    saved = []
    for message in messages:
        if message.document:
            path = folder / message.document[0]
            path.write_bytes(message.document[1])
            saved.append(path)
        elif message.photo:
            path = folder / "chart.png"
            path.write_bytes(message.photo)
            saved.append(path)
    return saved


def _one_line(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
