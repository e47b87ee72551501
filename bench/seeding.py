"""Onboarded participants in bulk, for benchmarks: one goes through the real flow, the rest are copies.

Onboarding thousands of people through the bot (join, consent, name, organisation, community:
five updates each) would take longer than what a benchmark measures, and would measure the
onboarding. So the first person of a session goes through the real use cases (the same services
the handlers call) and that person's rows (participant, chat state, progress, role) are copied
for everyone else: each copy is onboarded and answering the session's first prompt exactly as
after the Telegram flow.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select

from bot.container import Services
from bot.services.outcomes import ShowPrompt
from bot.services.views import MessageRef, UserRef
from storage.models import Base


def username(telegram_id: int) -> str:
    return f"p{telegram_id}"


def user_ref(telegram_id: int) -> UserRef:
    return UserRef(telegram_id, f"P{telegram_id}", "Bench", username(telegram_id), "en")


async def onboard(services: Services, code: str, telegram_ids: list[int]) -> None:
    """Everyone in `telegram_ids` joined the open session `code` and is at its first prompt."""
    template_id, others = telegram_ids[0], telegram_ids[1:]
    user = user_ref(template_id)
    participation = services.participation
    await participation.join(user, code)
    await participation.consent(user, True)
    await services.router.text(user, f"Participant {template_id}", MessageRef(template_id, 1))
    await services.router.text(user, "Bench Institute", MessageRef(template_id, 2))
    shown = await participation.choose_community(user, "development")
    assert isinstance(shown, ShowPrompt), f"onboarding ended in {shown!r}"
    if not others:
        return

    tables = Base.metadata.tables
    participants, states = tables["participants"], tables["chat_states"]
    progress, roles = tables["progress"], tables["roles"]
    async with services.db.session() as db:
        row = (await db.execute(select(participants).where(participants.c.telegram_user_id == template_id))).mappings().one()
        pid = row["id"]
        state = dict((await db.execute(select(states).where(states.c.participant_id == pid))).mappings().one())
        steps = (await db.execute(select(progress).where(progress.c.participant_id == pid))).mappings().all()
        granted = (await db.execute(select(roles).where(roles.c.participant_id == pid))).mappings().all()
        if "last_message_id" in states.c:
            # The template's onboarding used message ids of its own; in the fake API every
            # participant's chat starts again at 1, so a copied state must not claim more.
            state["last_message_id"] = None
        for start in range(0, len(others), 2000):  # PostgreSQL binds at most 32,767 parameters
            chunk = others[start : start + 2000]
            await db.execute(
                insert(participants),
                [
                    {**_without(row, "id"), "telegram_user_id": tid, "username": username(tid), "display_name": f"Participant {tid}"}
                    for tid in chunk
                ],
            )
            ids = dict(
                (
                    await db.execute(
                        select(participants.c.telegram_user_id, participants.c.id).where(participants.c.telegram_user_id.in_(chunk))
                    )
                ).all()
            )
            await db.execute(insert(states), [{**state, "participant_id": ids[tid]} for tid in chunk])
            await db.execute(insert(progress), [{**dict(step), "participant_id": ids[tid]} for tid in chunk for step in steps])
            if granted:
                await db.execute(insert(roles), [{**_without(role, "id"), "participant_id": ids[tid]} for tid in chunk for role in granted])
        if "last_message_id" in states.c:
            await db.execute(states.update().where(states.c.participant_id == pid).values(last_message_id=None))


def _without(row: Any, *keys: str) -> dict[str, Any]:
    return {key: value for key, value in dict(row).items() if key not in keys}
