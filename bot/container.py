"""Builds the domain services once per process and hands them to whoever drives them:
the Telegram handlers, the scheduler and the command line all share this one graph."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Settings
from bot.services.access import Access
from bot.services.catalog import SessionCatalog
from bot.services.deliveries import Deliveries
from bot.services.embeddings import Embeddings
from bot.services.inbox import Inbox
from bot.services.languages import Languages
from bot.services.live import LiveNotifier
from bot.services.organising import Organising
from bot.services.outbox import Outbox
from bot.services.participation import Participation
from bot.services.privacy import Privacy
from bot.services.report_shaping import ReportShaping
from bot.services.reporting import Reporting, model_writer
from bot.services.router import ConversationRouter, conversation_routes
from bot.services.schedule_flows import ScheduleFlows
from bot.services.scheduling import Scheduling
from bot.services.screen import Screens
from bot.services.wizards import Wizards
from storage.db import Database


@dataclass
class Services:
    settings: Settings
    db: Database
    catalog: SessionCatalog
    access: Access
    participation: Participation
    organising: Organising
    wizards: Wizards
    reporting: Reporting
    scheduling: Scheduling
    schedule_flows: ScheduleFlows
    deliveries: Deliveries
    live: LiveNotifier
    screens: Screens
    report_shaping: ReportShaping
    embeddings: Embeddings
    privacy: Privacy
    inbox: Inbox
    outbox: Outbox
    languages: Languages
    router: ConversationRouter  # every text, /skip and wizard button, to the owner of the sender's flow

    async def close(self) -> None:
        await self.embeddings.close()
        self.screens.close()  # the room screen's grouping process, if one was started
        await self.inbox.close()
        await self.outbox.close()
        await self.db.dispose()


def build_services(settings: Settings, db: Database | None = None) -> Services:
    db = db or Database(settings.database_url)
    catalog = SessionCatalog()
    access = Access(settings.organiser_ids)
    participation = Participation(db, catalog, max_answer_length=settings.max_answer_length)
    organising = Organising(db, catalog, access, default_timezone=settings.default_timezone)
    wizards = Wizards(db, organising, access, catalog, settings.default_timezone)
    reporting = Reporting(db, access, writer=model_writer(settings))
    scheduling = Scheduling(db, catalog, access)
    organising.session_moved = scheduling.follow_session
    schedule_flows = ScheduleFlows(db, scheduling)
    router = ConversationRouter(db, conversation_routes(participation, wizards, reporting, schedule_flows))
    deliveries = Deliveries(db, scheduling)
    live = LiveNotifier()
    participation.on_answer = live.notify  # after commit: the room screen shows it at once
    screens = Screens(db, access, live)
    report_shaping = ReportShaping(db, access, reporting)
    embeddings = Embeddings(db)  # embeds each contribution after it is stored
    inbox, outbox = Inbox(db), Outbox(db)
    return Services(
        settings,
        db,
        catalog,
        access,
        participation,
        organising,
        wizards,
        reporting,
        scheduling,
        schedule_flows,
        deliveries,
        live,
        screens,
        report_shaping,
        embeddings,
        privacy=Privacy(db, reporting, settings.organiser_ids, outbox),
        inbox=inbox,
        outbox=outbox,
        languages=Languages(db),
        router=router,
    )
