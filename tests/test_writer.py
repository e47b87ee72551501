"""The optional writing model, against stub OpenAI-compatible servers on 127.0.0.1.

Three stubs: an honest one (cites the numbers it was given), one that invents citations, one
that never answers in time. Our code runs unchanged (settings → container → Reporting →
aiohttp → the stub); the tests assert what the stub received (no names, no organisations, no
anonymous statements without the event's permission) and what the stored version says.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import select, update

from bot.config import Settings
from bot.container import Services, build_services
from bot.reports.serialize import report_from_dict
from storage.models import Event, ReportVersion
from tests.agenda_samples import EXPERT_MEETING
from tests.conftest import ORGANISER
from tests.test_reporting import ORG, PEOPLE, _session_with_input

MODEL = "stub-writer-1"


class StubModel:
    """An OpenAI-compatible /v1/chat/completions that answers as ``mode`` says."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.requests: list[dict[str, Any]] = []
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def __aenter__(self) -> StubModel:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self.complete)
        self._runner = web.AppRunner(app, shutdown_timeout=0.2)  # the "timeout" stub is still sleeping
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()

    async def complete(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append(body)
        if self.mode == "timeout":
            await asyncio.sleep(30)
        themes = json.loads(body["messages"][-1]["content"])["themes"]
        answer = []
        for theme in themes:
            first = theme["statements"][0]
            numbers = [s["number"] for s in theme["statements"]]
            cite = 99999 if self.mode == "invented" else first["number"]
            answer.append(
                {
                    "theme": theme["theme"],
                    "label": f"Model label {theme['theme']}",
                    "paragraph": f"It was raised by the model that {first['text'].rstrip('.').lower()} [#{cite}]. "
                    f"Participants added related points [{', '.join(f'#{n}' for n in numbers)}].",
                }
            )
        content = "Here you are:\n" + json.dumps({"themes": answer})
        return web.json_response({"choices": [{"message": {"role": "assistant", "content": content}}]})


@pytest.fixture
async def stub(request: pytest.FixtureRequest) -> AsyncIterator[StubModel]:
    async with StubModel(request.param) as server:
        yield server


async def _services(database_url: str, stub: StubModel) -> Services:
    settings = Settings(
        database_url=database_url, organiser_ids=frozenset({ORGANISER}), llm_base_url=stub.url, llm_model=MODEL, llm_timeout=0.5
    )
    built = build_services(settings)
    await built.db.upgrade()
    return built


async def _stored(services: Services, session_id: int, number: int) -> dict[str, Any]:
    async with services.db.session() as db:
        row = await db.scalar(select(ReportVersion).where(ReportVersion.session_id == session_id, ReportVersion.number == number))
        assert row is not None
        return dict(row.content)


@pytest.mark.parametrize("stub", ["honest"], indirect=True)
async def test_honest_model_writes_labels_and_cited_paragraphs(database_url: str, stub: StubModel) -> None:
    services = await _services(database_url, stub)
    try:
        session_id, code = await _session_with_input(services)
        draft = await services.reporting.draft(ORG, code)
        report = draft.report
        assert len(stub.requests) == 1
        sent = json.dumps(stub.requests[0])
        for _uid, name, _community, _c, _r in PEOPLE:  # statements only: no people
            assert name not in sent
        assert "Org & Co" not in sent and "Example" not in sent
        payload = json.loads(stub.requests[0]["messages"][-1]["content"])
        assert all(set(s) == {"number", "text"} for theme in payload["themes"] for s in theme["statements"])
        themes = [t for s in report.sections for t in s.themes]
        assert themes and all(t.written_by == MODEL for t in themes)
        assert all(t.label.startswith("Model label") for t in themes)
        known = {s.contribution_id for t in themes for s in t.statements}
        for theme in themes:
            assert theme.prose and all(s.cites and set(s.cites) <= known for s in theme.prose)
            assert theme.prose[0].text.startswith("It was raised by the model that")
        assert report.writer == MODEL and report.writer_note is None
        stored = report_from_dict(await _stored(services, session_id, draft.version))
        assert stored.writer == MODEL and stored.sections[0].themes[0].written_by == MODEL

        # An edit elsewhere reuses what the model wrote for unchanged themes, without calling it.
        edited = await services.reporting.edit(ORG, code, "section", "challenges", "Our own text.")
        assert len(stub.requests) == 1
        assert all(t.written_by == MODEL for t in edited.report.sections[1].themes)
    finally:
        await services.close()


@pytest.mark.parametrize("stub", ["invented"], indirect=True)
async def test_invented_citations_are_replaced_by_the_offline_text(database_url: str, stub: StubModel) -> None:
    services = await _services(database_url, stub)
    try:
        _session_id, code = await _session_with_input(services)
        report = (await services.reporting.draft(ORG, code)).report
        assert len(stub.requests) == 1
        themes = [t for s in report.sections for t in s.themes]
        assert all(t.written_by is None and not t.label.startswith("Model label") for t in themes)
        cited = {n for s in report.sections for p in s.paragraphs for sentence in p for n in sentence.cites}
        assert 99999 not in cited and "by the model" not in " ".join(x.text for s in report.sections for p in s.paragraphs for x in p)
        assert report.writer is None and report.writer_note == f"replaced:{len(themes)}"
    finally:
        await services.close()


@pytest.mark.parametrize("stub", ["timeout"], indirect=True)
async def test_timeout_falls_back_to_the_offline_draft_with_a_note(database_url: str, stub: StubModel) -> None:
    services = await _services(database_url, stub)
    try:
        _session_id, code = await _session_with_input(services)
        loop = asyncio.get_running_loop()
        started = loop.time()
        report = (await services.reporting.draft(ORG, code)).report
        assert loop.time() - started < 15  # the 0.5 s timeout (plus the draft), not the stub's 30 s
        assert report.writer is None and report.writer_note == "timeout"
        assert all(t.written_by is None and t.prose for s in report.sections for t in s.themes)
        from bot.i18n import translator
        from handlers.report_texts import writer_note

        assert "did not answer in time" in (writer_note(report.writer_note, report.writer, translator("en")) or "")
        assert "n’a pas répondu à temps" in (writer_note(report.writer_note, report.writer, translator("fr")) or "")
    finally:
        await services.close()


@pytest.mark.parametrize("stub", ["honest"], indirect=True)
async def test_anonymous_sessions_are_sent_only_when_the_event_allows_it(database_url: str, stub: StubModel) -> None:
    services = await _services(database_url, stub)
    try:
        anonymous = EXPERT_MEETING.replace("    track: Plenary\n", "    track: Plenary\n    anonymity: anonymous\n", 1)
        session_id, code = await _session_with_input(services, anonymous)
        report = (await services.reporting.draft(ORG, code)).report
        assert stub.requests == [] and report.writer is None and report.writer_note == "not_allowed"
        async with services.db.session() as db:
            await db.execute(update(Event).values(allow_writing_model=True))
        report = (await services.reporting.draft(ORG, code)).report
        assert len(stub.requests) == 1 and report.writer == MODEL
        assert session_id
    finally:
        await services.close()
