"""The database side of a broadcast: atomic claims of parts and of the summary, on SQLite and
PostgreSQL, raced from two engines as two processes would; crash leftovers settled on resume;
the organiser's list of everyone not reached, anonymous where it must be."""

from __future__ import annotations

import asyncio
from collections import Counter

from sqlalchemy import func, select, update

from bot.container import Services
from bot.i18n import translator
from bot.scheduling.delivery import Blocked, Outcome, deliver
from bot.scheduling.ledger import SqlDeliveryLedger
from bot.services.deliveries import PartName, ResendAsked, ResendStarted
from bot.services.outcomes import Notice
from bot.services.views import UserRef
from handlers.schedule_texts import delivery_summary_pages
from storage.db import Database
from storage.models import Anonymity, Audience, DeliveryPart, Participant, PartState, RecipientStatus, ScheduledItem, Session
from tests.schedule_samples import seed_people
from tests.test_scheduling_service import ORG, _fire, _meeting, _remind


class _NoPacer:
    async def acquire(self, chat_id: int) -> None:
        return None

    def penalise(self, seconds: float) -> None:
        return None


REPORT = {
    "messages": ["The report"],
    "documents": [],
    "uploads": [{"name": "report.pdf", "file_id": "f1"}, {"name": "report.docx", "file_id": "f2"}],
}


async def _delivery(services: Services, people: int) -> int:
    """A delivery of three parts (text, PDF, DOCX) to `people` participants, opened as the runner does."""
    session = (await _meeting(services)).event.sessions[0]
    await seed_people(services, session.id, [(2000 + n, f"P{n}") for n in range(people)])
    item_id = (await _remind(services, session.join_code, "at close | Thanks")).item.id
    async with services.db.session() as db:
        due = (await db.get(ScheduledItem, item_id)).next_fire_at  # type: ignore[union-attr]
    opened = await services.deliveries.open(item_id, due, REPORT)  # type: ignore[arg-type]
    assert opened is not None
    return opened.delivery_id


async def test_two_processes_claiming_the_same_part_one_wins(services: Services) -> None:
    delivery_id = await _delivery(services, 3)
    other = Database(services.settings.database_url)  # a second process's engine
    try:
        mine, theirs = SqlDeliveryLedger(services.db, "one"), SqlDeliveryLedger(other, "two")
        assert await mine.open_parts(delivery_id, 2000, 2) == [0, 1]
        assert await theirs.open_parts(delivery_id, 2000, 2) == [0, 1]  # created once, seen by both
        wins = await asyncio.gather(*(ledger.claim(delivery_id, 2000, 0) for ledger in (mine, theirs) * 5))
        assert wins.count(True) == 1
        assert await mine.open_parts(delivery_id, 2000, 2) == [1]
        async with services.db.session() as db:
            claimed = (
                await db.execute(select(DeliveryPart.state, DeliveryPart.claimed_by, DeliveryPart.attempts).where(DeliveryPart.part == 0))
            ).one()
        assert claimed[0] is PartState.SENDING and claimed[1] in ("one", "two") and claimed[2] == 1
        await mine.release(delivery_id, 2000, 0)  # a 429: back to pending, claimable again
        assert await theirs.claim(delivery_id, 2000, 0)
    finally:
        await other.dispose()


async def test_two_runs_of_one_delivery_on_two_engines_send_each_part_once(services: Services) -> None:
    delivery_id = await _delivery(services, 40)
    other = Database(services.settings.database_url)
    sent: Counter[tuple[int, int]] = Counter()

    async def send(chat_id: int, part: int) -> None:
        await asyncio.sleep(0.001)
        sent[chat_id, part] += 1

    try:
        runs = await asyncio.gather(
            deliver(delivery_id, SqlDeliveryLedger(services.db), send, _NoPacer(), parts=2, concurrency=4),
            deliver(delivery_id, SqlDeliveryLedger(other), send, _NoPacer(), parts=2, concurrency=4),
        )
    finally:
        await other.dispose()
    assert sent == Counter({(2000 + n, part): 1 for n in range(40) for part in range(2)})
    assert sum(run.sent for run in runs) == 40  # each recipient finished by exactly one run
    report = await services.deliveries.finish(delivery_id)
    assert report.counts == {"sent": 40}


async def test_a_resume_settles_parts_left_in_flight_and_completes_the_rest(services: Services) -> None:
    delivery_id = await _delivery(services, 4)
    ledger = SqlDeliveryLedger(services.db)
    for chat in (2000, 2001):
        await ledger.open_parts(delivery_id, chat, 3)
    await ledger.claim(delivery_id, 2000, 0)
    await ledger.mark(delivery_id, 2000, 0, Outcome.SENT, None)
    await ledger.claim(delivery_id, 2000, 1)  # the crash: the PDF's request was in flight
    await ledger.claim(delivery_id, 2001, 0)  # and 2001's text
    sent: list[tuple[int, int]] = []

    async def send(chat_id: int, part: int) -> None:
        if chat_id == 2003:
            raise Blocked("Forbidden: bot was blocked by the user")
        sent.append((chat_id, part))

    summary = await deliver(delivery_id, ledger, send, _NoPacer(), parts=3)

    assert (2000, 0) not in sent and (2000, 1) not in sent and (2001, 0) not in sent  # nothing repeated
    assert (2000, 2) in sent and (2001, 1) in sent and (2001, 2) in sent  # the missing parts completed
    assert (summary.sent, summary.unconfirmed, summary.blocked) == (1, 2, 1)
    report = await services.deliveries.finish(delivery_id)
    problems = {p.name: p for p in report.problems}
    assert problems["P0"].status is RecipientStatus.UNCONFIRMED and problems["P0"].missing == (PartName("file", "report.pdf"),)
    assert problems["P1"].status is RecipientStatus.UNCONFIRMED and problems["P1"].missing == (PartName("text"),)
    french = [line for line in delivery_summary_pages(report, translator("fr"))[0].splitlines() if line.startswith("• ")]
    assert french == [  # the organiser reads who missed what in their language; names and file names stay as they are
        "• P0 — interrompu par un redémarrage ; le message n’est peut-être pas arrivé et n’a pas été renvoyé — manquant : report.pdf",
        "• P1 — interrompu par un redémarrage ; le message n’est peut-être pas arrivé et n’a pas été renvoyé — manquant : texte",
        "• P3 — a bloqué le bot ou ne l’a jamais lancé",
    ]
    assert problems["P3"].status is RecipientStatus.BLOCKED
    async with services.db.session() as db:
        assert await db.scalar(select(Participant.blocked_at).where(Participant.telegram_user_id == 2003)) is not None


async def test_the_summary_is_claimed_once_even_by_two_processes(services: Services) -> None:
    delivery_id = await _delivery(services, 2)
    await deliver(delivery_id, SqlDeliveryLedger(services.db), _sent, _NoPacer())
    await services.deliveries.finish(delivery_id)
    other = Database(services.settings.database_url)
    try:
        from bot.services.deliveries import Deliveries

        theirs = Deliveries(other, services.scheduling)
        claims = await asyncio.gather(*(d.claim_summary(delivery_id) for d in (services.deliveries, theirs) * 4))
    finally:
        await other.dispose()
    assert claims.count(True) == 1
    assert await services.deliveries.unsummarised() == []
    # A run that died between claiming and sending: on start the summary is owed again, once.
    assert await services.deliveries.release_summary_claims() == [delivery_id]
    assert await services.deliveries.claim_summary(delivery_id)
    await services.deliveries.summary_sent(delivery_id)
    assert await services.deliveries.release_summary_claims() == []


async def test_resend_reopens_only_unconfirmed_parts_for_an_organiser(services: Services) -> None:
    delivery_id = await _delivery(services, 3)
    ledger = SqlDeliveryLedger(services.db)
    await ledger.open_parts(delivery_id, 2001, 2)
    await ledger.claim(delivery_id, 2001, 1)  # in flight at a crash
    await ledger.claim(delivery_id, 2001, 0)
    await ledger.mark(delivery_id, 2001, 0, Outcome.SENT, None)
    await deliver(delivery_id, ledger, _sent, _NoPacer(), parts=2)
    await services.deliveries.finish(delivery_id)

    stranger = UserRef(2002, "P2")
    assert await _refused(services.deliveries.ask_resend(stranger, delivery_id))
    assert await _refused(services.deliveries.resend(stranger, delivery_id))
    asked = await services.deliveries.ask_resend(ORG, delivery_id)
    assert isinstance(asked, ResendAsked) and asked.recipients == 1
    reopened: list[int] = []
    services.deliveries.add_reopen_listener(reopened.append)
    started = await services.deliveries.resend(ORG, delivery_id)
    assert isinstance(started, ResendStarted) and started.recipients == 1 and reopened == [delivery_id]
    assert await services.deliveries.resend(ORG, delivery_id) == Notice("stale")  # pressed twice
    sent: list[tuple[int, int]] = []

    async def send(chat_id: int, part: int) -> None:
        sent.append((chat_id, part))

    await deliver(delivery_id, ledger, send, _NoPacer(), parts=2)
    assert sent == [(2001, 1)]  # only the part in doubt
    report = await services.deliveries.finish(delivery_id)
    assert report.counts == {"sent": 3} and not report.summary_sent


async def test_names_stay_out_of_a_nudge_summary_in_an_anonymous_session(services: Services) -> None:
    session = (await _meeting(services)).event.sessions[0]
    async with services.db.session() as db:
        await db.execute(update(Session).where(Session.id == session.id).values(anonymity=Anonymity.ANONYMOUS))
    await seed_people(services, session.id, [(2000 + n, f"Silent {n}") for n in range(3)])
    delivery_id = await _fire(
        services, (await _remind(services, session.join_code, "at close | Please answer", Audience.NON_RESPONDERS)).item.id
    )

    async def blocked(chat_id: int, part: int) -> None:
        raise Blocked("Forbidden: bot was blocked by the user")

    await deliver(delivery_id, SqlDeliveryLedger(services.db), blocked, _NoPacer())
    report = await services.deliveries.finish(delivery_id)
    assert [p.name for p in report.problems] == ["#1", "#2", "#3"]
    async with services.db.session() as db:
        assert await db.scalar(select(func.count()).select_from(Participant).where(Participant.blocked_at.is_not(None))) == 3


async def _sent(chat_id: int, part: int) -> None:
    return None


async def _refused(call: object) -> bool:
    from bot.services.access import NotAllowed

    try:
        await call  # type: ignore[misc]
    except NotAllowed:
        return True
    return False
