"""The webhook endpoint in process, on both backends: the secret, malformed bodies, an update
answered only after its reply was sent and its effects committed, a repeat applied once,
/healthz and /metrics."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select

from bot.config import Settings
from bot.container import build_services
from bot.fake_bot_api import FakeBotAPI
from bot.serve import start_application, stop_application
from storage.models import Participant
from tests.conftest import ORGANISER
from web.app import create_app
from web.webhook import SECRET_HEADER, metrics_route, webhook_route

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

            health = await http.get("/healthz")
            assert (health.status_code, health.text) == (200, "ok")
            exposition = (await http.get("/metrics")).text
            assert 'workshop_updates_processed_total{outcome="refused"}' in exposition
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
