"""Pure parts: configuration, agenda validation, callback parsing, per-user ordering, log redaction."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

import pytest
from telegram import Chat, Message, Update, User

from bot.agenda import AgendaError, parse_agenda
from bot.config import ConfigError, load_settings
from bot.logging_setup import RedactTokens
from handlers.keyboards import parse_callback
from telegram_edge.update_processor import PerUserUpdateProcessor
from tests.agenda_samples import EXPERT_MEETING

TOKEN = "123456789:AAHfakeTOKENfakeTOKENfakeTOKEN12345"


def test_settings_parse_ids_and_validate(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORGANISER_IDS", "11, 22;33")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    settings = load_settings()
    assert settings.organiser_ids == {11, 22, 33}
    assert settings.token() == TOKEN
    monkeypatch.setenv("DEFAULT_TIMEZONE", "Mars/Olympus")
    with pytest.raises(ConfigError, match="DEFAULT_TIMEZONE"):
        load_settings()


@pytest.mark.parametrize("token", ["", "not-a-token", "123:short"])
def test_missing_or_malformed_token_is_one_clear_error(monkeypatch: pytest.MonkeyPatch, token: str) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", token)
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN"):
        load_settings().token()


def test_agenda_sample_parses_with_local_times() -> None:
    spec = parse_agenda(EXPERT_MEETING)
    assert spec.event.timezone == "Europe/Oslo"
    assert [len(s.prompts) for s in spec.sessions] == [3, 2, 1]
    assert spec.sessions[0].prompts[1].kind == "recommendation"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("- challenge: What made", "- chalenge: What made"),
            r'sessions #1 "Good practice during crisis" › prompts #1 › kind: must be .*line 20',
        ),
        (("track: Room B", "trak: Room B"), r'sessions #2 "Planning modalities" › trak: is not a known field.*line 27'),
        (("timezone: Europe/Oslo", "timezone: Oslo"), r"event › timezone.*line 7"),
        (('end: "11:00"', 'end: "08:00"'), r'sessions #1 "Good practice during crisis": end is not after start'),
        (("sessions:", "sessions: ["), r"not valid YAML at line"),
        (
            ('start: "09:30"', 'start: "9h3O"'),
            r'sessions #1 "Good practice during crisis" › start: .*use HH:MM, e.g. 09:30 \(or 2pm, 9:30am\) \(line 13\)\.$',
        ),
        (("title: Planning modalities", "title: Planning: modalities"), r'line 23.*must be in quotes, e.g. title: "Session 1: Opening"'),
        (
            ("date: 2008-02-12", "date: 2008-02-14"),
            r'sessions #2 "Planning modalities": 2008-02-14 is outside the event.s dates \(2008-02-11 to 2008-02-12\) \(line 24\)',
        ),
        (("date: 2008-02-12", "date: 12/02/2008"), r"use YYYY-MM-DD"),
        (
            ("title: Funding modalities", "title: Planning modalities"),
            r'sessions #3 "Planning modalities" has the same key .planning-modalities. as sessions #2',
        ),
        (("track: Room B", "track: Room B\n    rapporteurs: [Jane Doe]"), r"'Jane Doe' is not a Telegram @username"),
    ],
)
def test_bad_agenda_names_field_and_line(change: tuple[str, str], expected: str) -> None:
    with pytest.raises(AgendaError, match=expected):
        parse_agenda(EXPERT_MEETING.replace(*change, 1))


def test_agenda_reads_times_as_remind_does_and_names_people() -> None:
    text = EXPERT_MEETING.replace('start: "09:30"', "start: 9am", 1).replace('end: "11:00"', "end: 2pm", 1)
    text = text.replace(
        "track: Room B",
        "track: Room B\n    key: planning\n    chair: Jane Doe, MFA\n    rapporteurs: '@Ravi_R'\n    speakers: Ann Lee\n    co_hosts: [UNDP, World Bank]",
    )
    spec = parse_agenda(text)
    first, second = spec.sessions[0], spec.sessions[1]
    assert (first.start, first.end) == (dt.time(9, 0), dt.time(14, 0))
    assert second.stable_key == "planning" and first.stable_key == "good-practice-during-crisis"
    assert (second.chair, second.rapporteurs, second.speakers, second.co_hosts) == (
        "Jane Doe, MFA",
        ["Ravi_R"],
        ["Ann Lee"],
        ["UNDP", "World Bank"],
    )


def test_agenda_rejects_non_mapping_and_binary() -> None:
    with pytest.raises(AgendaError, match="mapping"):
        parse_agenda("- just a list")
    with pytest.raises(AgendaError, match="UTF-8"):
        parse_agenda(b"\xff\xfe\x00bad")


@pytest.mark.parametrize(
    ("data", "verb", "arg", "number"),
    [("nx:12:0", "nx", "12", 0), ("cc", "cc", None, None), ("cm:security", "cm", "security", None)],
)
def test_callback_data_parses(data: str, verb: str, arg: str | None, number: int | None) -> None:
    parsed = parse_callback(data)
    assert parsed is not None and (parsed.verb, parsed.arg, parsed.number) == (verb, arg, number)


@pytest.mark.parametrize("data", ["", None, "x", "nx:1:2:3", "ed:'; drop table", "ZZ:1", "ed:" + "9" * 60])
def test_forged_callback_data_is_rejected(data: str | None) -> None:
    assert parse_callback(data) is None


def _update(update_id: int, user_id: int) -> Update:
    user = User(user_id, "U", False)
    message = Message(update_id, None, Chat(user_id, "private"), from_user=user, text="x")  # type: ignore[arg-type]
    return Update(update_id, message=message)


async def test_update_processor_orders_per_user_and_overlaps_users() -> None:
    processor = PerUserUpdateProcessor(16)
    log: list[tuple[str, int]] = []
    running = 0
    overlap = 0

    async def work(tag: str, delay: float) -> None:
        nonlocal running, overlap
        running += 1
        overlap = max(overlap, running)
        log.append(("start", int(tag)))
        await asyncio.sleep(delay)
        log.append(("end", int(tag)))
        running -= 1

    async with processor:
        await asyncio.gather(
            processor.process_update(_update(1, 7), work("1", 0.03)),
            processor.process_update(_update(2, 7), work("2", 0.0)),
            processor.process_update(_update(3, 8), work("3", 0.01)),
        )
    user7 = [entry for entry in log if entry[1] in (1, 2)]
    assert user7 == [("start", 1), ("end", 1), ("start", 2), ("end", 2)]
    assert overlap >= 2  # user 8 ran while user 7's first update was still running


def test_token_never_reaches_the_log(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.redaction")
    logger.addFilter(RedactTokens())
    with caplog.at_level(logging.INFO):
        logger.info("HTTP Request: POST https://api.telegram.org/bot%s/getUpdates", TOKEN)
        try:
            raise RuntimeError(f"connect failed for https://api.telegram.org/bot{TOKEN}/getMe")
        except RuntimeError:
            logger.exception("boom")
    assert TOKEN not in caplog.text
    assert "<token>" in caplog.text
