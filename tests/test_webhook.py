"""The webhook endpoint in process, on both backends: the secret, malformed bodies, an update
answered only after its reply was sent and its effects committed, a repeat applied once,
/healthz and /metrics."""

from __future__ import annotations

import asyncio
import os

import httpx
import pytest
from sqlalchemy import func, select, text

from bot.config import Settings
from bot.container import build_services
from fake_bot_api import FakeBotAPI
from storage.db import Database
from storage.models import Participant
from telegram_edge.serve import start_application, stop_application
from tests.conftest import ORGANISER, _reset_postgres
from web.app import create_app
from web.webhook import SECRET_HEADER, USER_LOCK_SPACE, _int4, metrics_route, webhook_route

SECRET = "s3cret-token_for-tests"
PATH = "/telegram/webhook"


async def test_webhook_answers_after_processing(api: FakeBotAPI, database_url: str) -> None:
    settings = Settings(
        database_url=database_url,
        organiser_ids=frozenset({ORGANISER}),
        telegram_bot_token=api.token,  # type: ignore[arg-type]
        telegram_api_base_url=api.base_url,
        telegram_api_file_url=api.base_file_url,
        webhook_secret=SECRET,  # type: ignore[arg-type]
    )
    services = build_services(settings)
    application = await start_application(services, settings, scheduler=True)
    app = create_app(services, settings, extra_routes=[webhook_route(application, SECRET, services.db, PATH), metrics_route()])
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bot") as http:
            user = api.user(4242, "Wanda")
            user.send("/start")
            update = api.update_payload(api.last_update_id)
            assert (await http.post(PATH, json=update)).status_code == 403
            assert (await http.post(PATH, json=update, headers={SECRET_HEADER: SECRET + "x"})).status_code == 403
            assert (await http.post(PATH, content=b"{not json", headers={SECRET_HEADER: SECRET})).status_code == 400
            assert api.messages_to(user.id) == []  # nothing refused was processed

            answer = await http.post(PATH, json=update, headers={SECRET_HEADER: SECRET})
            assert answer.status_code == 200
            replies = len(api.messages_to(user.id))
            assert replies >= 1  # sent before the 200, not after
            async with services.db.session() as db:
                assert await db.scalar(select(func.count()).where(Participant.telegram_user_id == user.id)) == 1

            # Telegram repeating it (its 200 was lost): the person is still stored once.
            assert (await http.post(PATH, json=update, headers={SECRET_HEADER: SECRET})).status_code == 200
            async with services.db.session() as db:
                assert await db.scalar(select(func.count()).where(Participant.telegram_user_id == user.id)) == 1
            assert len(api.messages_to(user.id)) == replies  # the inbox knew it: not handled again

            health = await http.get("/healthz")
            assert (health.status_code, health.text) == (200, "ok")
            exposition = (await http.get("/metrics")).text
            assert 'workshop_updates_processed_total{outcome="refused"}' in exposition
            assert 'workshop_updates_processed_total{outcome="repeated"}' in exposition
            assert "workshop_update_seconds_bucket" in exposition
            assert "workshop_scheduler_leader 1.0" in exposition
    finally:
        await stop_application(application)


async def test_healthz_refuses_an_old_schema(api: FakeBotAPI, database_url: str) -> None:
    settings = Settings(database_url=database_url, telegram_bot_token=api.token)  # type: ignore[arg-type]
    services = build_services(settings)
    try:
        await services.db.upgrade("0001")
        app = create_app(services, settings)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bot") as http:
            health = await http.get("/healthz")
        assert (health.status_code, health.text) == (503, "database migrations not current")
    finally:
        await services.close()


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="TEST_DATABASE_URL is not set: the cross-worker lock needs PostgreSQL")
async def test_a_persons_update_waits_while_another_worker_holds_their_lock(api: FakeBotAPI) -> None:
    """Another worker busy with this person's previous update (here: the test holding the same
    advisory lock) keeps this one waiting; it is applied as soon as the lock is free."""
    url = os.environ["TEST_DATABASE_URL"]
    await _reset_postgres(url)
    settings = Settings(
        database_url=url,
        telegram_bot_token=api.token,  # type: ignore[arg-type]
        telegram_api_base_url=api.base_url,
        telegram_api_file_url=api.base_file_url,
    )
    services = build_services(settings)
    application = await start_application(services, settings, scheduler=False)
    app = create_app(services, settings, extra_routes=[webhook_route(application, SECRET, services.db, PATH)])
    other_worker = Database(url)
    try:
        user = api.user(4343, "Lena")
        user.send("/start")
        update = api.update_payload(api.last_update_id)
        async with (
            other_worker.engine.connect() as held,
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bot") as http,
        ):
            held = await held.execution_options(isolation_level="AUTOCOMMIT")
            lock = {"space": USER_LOCK_SPACE, "key": _int4(user.id)}
            await held.execute(text("SELECT pg_advisory_lock(:space, :key)"), lock)
            posted = asyncio.create_task(http.post(PATH, json=update, headers={SECRET_HEADER: SECRET}))
            await asyncio.sleep(1.0)
            assert not posted.done() and api.messages_to(user.id) == []
            await held.execute(text("SELECT pg_advisory_unlock(:space, :key)"), lock)
            assert (await asyncio.wait_for(posted, 10)).status_code == 200
            assert api.messages_to(user.id)
    finally:
        await stop_application(application)
        await other_worker.dispose()
