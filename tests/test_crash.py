"""Crash tests: participants answer while the bot process is killed with SIGKILL, again and again.

Against a fake Bot API that keeps every update until a getUpdates offset confirms it (as
Telegram does), with the bot as a subprocess (tests/crashkit.py), on SQLite and PostgreSQL:
nothing a participant sent is lost or stored twice, each answer is filed under the question the
participant was looking at, and everybody ends on the question they last saw.
"""

from __future__ import annotations

import asyncio
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from fake_bot_api import FakeBotAPI, FakeUser, SentMessage
from storage.db import Database
from storage.models import ChatState, Contribution, Participant, Progress, Prompt
from tests.agenda_samples import EXPERT_MEETING
from tests.crashkit import BotProcess, Chaos, quiescent

ORGANISER = 1000
PARTICIPANTS = 20
PROMPTS = 3
SEED = 20261202
WAIT = 45.0  # for one reply, across a kill and a restart on a busy machine


@dataclass
class Person:
    """A simulated participant who acts on the latest message the bot sent them, as people do."""

    user: FakeUser
    plan: list[int]  # answers to send per question; they stop after the last planned one
    rng: random.Random
    sent: list[tuple[int, str]] = field(default_factory=list)  # (question position, text)
    seen: int = 0  # messages already looked at
    done: bool = False

    def answered(self, position: int) -> int:
        return sum(1 for p, _ in self.sent if p == position)


def position_of(message: SentMessage) -> int | None:
    """The question a message shows (its Next/Done buttons name it), or None."""
    data = [d for _t, d, _u in message.buttons() if d]
    for d in data:
        if d.startswith("nx:"):
            return int(d.split(":")[2])
    if any(d.startswith("dn:") for d in data):
        return PROMPTS - 1  # the last question has Done but no Next
    return None


async def act(person: Person, api: FakeBotAPI, code: str) -> None:
    user = person.user
    history = api._history_of(user.id)
    user.send(f"/start {code}")
    while not person.done:
        await api.wait_for(lambda: len(history) > person.seen, WAIT, what=f"a reply to participant {user.id}")
        await asyncio.sleep(person.rng.uniform(0.0, 0.15))  # reading time; more may arrive meanwhile
        person.seen = len(history)
        last = user.last()
        text = last.plain_text
        if "Do you agree?" in text:
            user.press(last, text="✅ I agree")
        elif text.startswith("What name should appear"):
            user.send(f"Person {user.id}")
        elif text.startswith("Which organisation"):
            user.send(f"Organisation {user.id}")
        elif text.startswith("Which policy community"):
            user.press(last, data="cm:other")
        elif (position := position_of(last)) is not None:
            if person.answered(position) < person.plan[position]:
                answer = f"p{user.id} q{position} a{person.answered(position)}"
                person.sent.append((position, answer))
                user.send(answer)
            elif position + 1 < PROMPTS and sum(person.plan[position + 1 :]) > 0:
                user.press(last, text="Next ▶")
            else:
                person.done = True  # stays on this question: the state check below needs it
        # anything else (the session's intro, a thank-you) announces more: wait for it


async def _set_up(api: FakeBotAPI) -> str:
    organiser = api.user(ORGANISER, "Olivia", username="olivia")
    created = await organiser.reply_after(
        lambda: organiser.send_document("agenda.yaml", EXPERT_MEETING.encode(), "application/x-yaml"), timeout=WAIT
    )
    code = re.findall(r"<code>([A-Z0-9]{6})</code>", created[0].text)[0]
    opened = await organiser.reply_after(lambda: organiser.send(f"/open {code}"), timeout=WAIT)
    assert "is now <b>open</b>" in opened[0].text
    return code


async def test_kill_9_while_participants_answer(database_url: str, tmp_path: Path) -> None:
    rng = random.Random(SEED)
    async with FakeBotAPI(bot_username="workshop_test_bot") as api:
        bot = BotProcess(api, database_url, tmp_path, organiser_ids=[ORGANISER])
        await bot.start()
        try:
            code = await _set_up(api)
            people = [
                Person(api.user(3000 + i, f"P{i}"), [rng.randint(2, 4), rng.randint(1, 3), rng.randint(0, 2)], random.Random(rng.random()))
                for i in range(PARTICIPANTS)
            ]
            chaos = Chaos(bot, seed=SEED, kills=3, gap=(0.3, 1.2))  # all three within the workload, however fast restarts are
            await chaos.during(asyncio.gather(*(act(p, api, code) for p in people)), timeout=180)
            await quiescent(api)
            await bot.stop()
            print(f"kills at {chaos.kill_times} s; starts took {bot.start_seconds} s")
        except BaseException:
            print(bot.log())
            raise
        finally:
            await bot.kill()
    assert len(chaos.kill_times) == 3, f"the workload ended before every kill: {chaos.kill_times}"

    db = Database(database_url)
    try:
        async with db.session() as session:
            rows = (
                await session.execute(
                    select(Participant.telegram_user_id, Prompt.position, Contribution.text, Contribution.id)
                    .join(Participant, Participant.id == Contribution.participant_id)
                    .join(Prompt, Prompt.id == Contribution.prompt_id)
                    .order_by(Contribution.id)
                )
            ).all()
            progress = {
                tg: (position, finished, flow)
                for tg, position, finished, flow in await session.execute(
                    select(Participant.telegram_user_id, Progress.prompt_position, Progress.finished_at, ChatState.flow)
                    .join(Progress, Progress.participant_id == Participant.id)
                    .join(ChatState, ChatState.participant_id == Participant.id)
                )
            }
    finally:
        await db.dispose()

    sent = sorted((p.user.id, position, text) for p in people for position, text in p.sent)
    stored = sorted((tg, position, text) for tg, position, text, _id in rows)
    texts = [text for _tg, _pos, text, _id in rows]
    lost = set(sent) - set(stored)
    assert not lost, f"{len(lost)} answer(s) lost, e.g. {sorted(lost)[:5]} (kills at {chaos.kill_times})"
    assert len(texts) == len(set(texts)), f"{len(texts) - len(set(texts))} answer(s) stored twice"
    # Each answer under the question its author saw when sending it, in the order sent.
    assert stored == sent, "answers filed under another question than the one shown"
    for person in people:
        mine = [text for tg, _pos, text, _id in rows if tg == person.user.id]
        assert mine == [text for _pos, text in person.sent], f"participant {person.user.id}: answers out of order"
    # Everybody is on the question they last saw.
    for person in people:
        shown = [position_of(m) for m in api.messages_to(person.user.id) if position_of(m) is not None]
        position, finished, flow = progress[person.user.id]
        assert shown and shown[-1] == position and finished is None and flow == "answering", (
            f"participant {person.user.id} last saw question {shown[-1] if shown else None}, stored: {position} {flow}"
        )
    assert len(sent) >= PARTICIPANTS
