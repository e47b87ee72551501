"""Agendas and seeding shared by the scheduling tests: a meeting in 2031, far from any real clock,
so that every test sets "now" itself."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from bot.container import Services
from storage.models import Contribution, Participant, Progress, Prompt, Role, RoleName
from storage.types import utcnow

MEETING = """
event:
  title: Expert meeting on integrated planning
  starts_on: 2031-02-11
  ends_on: 2031-02-12
  place: Oslo
  timezone: Europe/Oslo
sessions:
  - title: Good practice during crisis
    date: 2031-02-11
    start: "09:30"
    end: "11:00"
    track: Plenary
    prompts:
      - challenge: What made interaction difficult?
      - recommendation: What should bilateral actors do differently?
  - title: Planning modalities
    date: 2031-02-12
    start: "09:00"
    end: "10:30"
    prompts:
      - challenge: Do revised planning tools address the challenges?
"""

# Summer time starts in Oslo on Sunday 30 March 2031 at 02:00 (clocks jump to 03:00).
DST_MEETING = """
event:
  title: Spring meeting
  starts_on: 2031-03-29
  ends_on: 2031-03-31
  timezone: Europe/Oslo
sessions:
  - title: Sunday morning session
    date: 2031-03-30
    start: "09:00"
    end: "10:00"
    prompts:
      - question: What remains unresolved?
"""


async def seed_people(
    services: Services,
    session_id: int,
    people: Iterable[tuple[int, str]],
    *,
    answered: Iterable[int] = (),
    blocked: Iterable[int] = (),
) -> None:
    """Participants who joined the session (as after onboarding); some answered, some blocked the bot."""
    answered, blocked = set(answered), set(blocked)
    async with services.db.session() as db:
        prompt_id = await db.scalar(select(Prompt.id).where(Prompt.session_id == session_id).order_by(Prompt.position).limit(1))
        for message_id, (telegram_id, name) in enumerate(people, start=1):
            person = Participant(
                telegram_user_id=telegram_id,
                display_name=name,
                consent_at=utcnow(),
                blocked_at=utcnow() if telegram_id in blocked else None,
            )
            db.add(person)
            await db.flush()
            db.add(Progress(participant_id=person.id, session_id=session_id, prompt_position=0))
            db.add(Role(participant_id=person.id, role=RoleName.PARTICIPANT, session_id=session_id))
            if telegram_id in answered:
                db.add(
                    Contribution(
                        session_id=session_id,
                        prompt_id=prompt_id,
                        participant_id=person.id,
                        text="A point",
                        tg_chat_id=telegram_id,
                        tg_message_id=message_id,
                    )
                )


async def make_rapporteur(services: Services, session_id: int, telegram_id: int, name: str) -> None:
    async with services.db.session() as db:
        person = await db.scalar(select(Participant).where(Participant.telegram_user_id == telegram_id))
        if person is None:
            person = Participant(telegram_user_id=telegram_id, display_name=name, consent_at=utcnow())
            db.add(person)
            await db.flush()
        db.add(Role(participant_id=person.id, role=RoleName.RAPPORTEUR, session_id=session_id))
