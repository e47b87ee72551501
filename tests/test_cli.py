"""The command line: every operator mistake ends in one clear line and a non-zero status."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import EXIT_CONFIG, EXIT_DATABASE, EXIT_NETWORK, main

TOKEN = "123456789:AAHfakeTOKENfakeTOKENfakeTOKEN12345"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no .env from the developer's checkout
    for name in ("TELEGRAM_BOT_TOKEN", "DATABASE_URL", "TELEGRAM_API_BASE_URL", "ORGANISER_IDS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")


def test_run_without_token(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run"]) == EXIT_CONFIG
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "TELEGRAM_BOT_TOKEN is not set" in err


def test_unreachable_database(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://nobody:secret@127.0.0.1:1/nowhere")
    assert main(["run"]) == EXIT_DATABASE
    err = capsys.readouterr().err
    assert "cannot open the database" in err and "secret" not in err and "Traceback" not in err


def test_unreachable_bot_api_never_prints_the_token(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", "http://127.0.0.1:9/bot")
    assert main(["run"]) == EXIT_NETWORK
    captured = capsys.readouterr()
    assert "cannot reach the Bot API at http://127.0.0.1:9" in captured.err
    assert TOKEN not in captured.err + captured.out and "Traceback" not in captured.err


def test_themes_command_covers_every_index(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    items = [
        {"text": "Donors work in silos", "kind": "challenge"},
        {"text": "Funders do not coordinate with each other", "kind": "challenge"},
        {"text": "Agree one shared timeline with donors", "kind": "recommendation"},
        {"text": "Bureaucracy slows joint work", "kind": "challenge"},
    ]
    path = tmp_path / "in.json"
    path.write_text(json.dumps(items), encoding="utf-8")
    assert main(["themes", str(path)]) == 0
    themes = json.loads(capsys.readouterr().out)["themes"]
    assert sorted(i for t in themes for i in t["items"]) == [0, 1, 2, 3]
    assert all(t["label"] for t in themes)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    assert main(["themes", str(bad)]) == 1


def test_report_for_unknown_session(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "NOPE42"]) == 1
    assert "no session 'NOPE42'" in capsys.readouterr().err
