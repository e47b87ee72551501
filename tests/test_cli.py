"""The command line: every operator mistake ends in one clear line and a non-zero status."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from telegram_edge.cli import EXIT_CONFIG, EXIT_DATABASE, EXIT_NETWORK, main
from tests.agenda_samples import EXPERT_MEETING

TOKEN = "123456789:AAHfakeTOKENfakeTOKENfakeTOKEN12345"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level  # main() points logging at this test's stderr
    monkeypatch.chdir(tmp_path)  # no .env from the developer's checkout
    for name in ("TELEGRAM_BOT_TOKEN", "DATABASE_URL", "TELEGRAM_API_BASE_URL", "ORGANISER_IDS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    yield
    root.handlers[:], root.level = handlers, level


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


def test_report_for_unknown_session(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Reading commands never create an empty database as a side effect.
    assert main(["report", "NOPE42"]) == EXIT_DATABASE
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "there is no database at" in err and "--database" in err
    assert not (tmp_path / "cli.db").exists()
    assert main(["db", "upgrade"]) == 0
    assert main(["report", "NOPE42"]) == 1
    assert "no session 'NOPE42'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("foo", "is not a database URL"),
        ("mysql://u@h/db", "only SQLite and PostgreSQL"),
        ("postgresql+psycopg2://u:secret@h/db", "this bot uses asyncpg"),
        ("postgresql://u:secret@h", "names no database"),
        ("sqlite://", "names no file"),
    ],
)
def test_bad_database_url_is_one_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], url: str, expected: str) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["db", "upgrade"]) == EXIT_CONFIG
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and expected in err and "Traceback" not in err and "secret" not in err
    # The same URL given on the command line is refused the same way, in one line.
    monkeypatch.delenv("DATABASE_URL")
    assert main(["db", "upgrade", "--database", url]) == EXIT_CONFIG
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and expected in err


def test_synchronous_urls_are_read_as_the_async_drivers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade", "--database", f"sqlite:///{tmp_path / 'plain.db'}"]) == 0
    assert (tmp_path / "plain.db").exists()
    assert "is up to date" in capsys.readouterr().out


def test_themes_refuses_unknown_kind(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "in.json"
    path.write_text(json.dumps([{"text": "Donors work in silos", "kind": "chalenge"}]), encoding="utf-8")
    assert main(["themes", str(path)]) == 1
    err = capsys.readouterr().err
    assert "'chalenge' is not one of challenge, recommendation, takeaway, question" in err


def test_demo_runs_again_and_again_with_a_clean_console(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    """The second run used to die on the first run's leftovers; the library loggers (fontTools)
    used to fill the transcript. Each run starts afresh and says so."""
    outputs = []
    for _ in range(2):
        assert main(["demo", "--participants", "2"]) == 0
        captured = capfd.readouterr()
        outputs.append(captured.out)
        assert captured.err == "", captured.err
        for noise in ("INFO", "WARNING", "fontTools", "Traceback"):
            assert noise not in captured.out
    assert "Starting afresh" not in outputs[0] and "Starting afresh: removed the previous demo database" in outputs[1]
    assert "2 participants joined" in outputs[1] and "0 errors" in outputs[1]
    files = re.search(r"Report files: (.+)", outputs[1])
    assert files is not None and files.group(1).strip().endswith("_v1_draft.pdf"), "the draft's files were not saved"
    assert (tmp_path / "demo-output" / Path(files.group(1).rsplit(", ", 1)[-1].strip()).name).stat().st_size > 1000
    code = re.search(r"workshop-bot report (\w+) --database (\S+)", outputs[1])
    assert code is not None
    assert main(["report", code.group(1), "--database", code.group(2), "--out", "-"]) == 0
    assert "How to realize the security–development nexus?" in capfd.readouterr().out


def test_agenda_check_and_import(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    agenda = tmp_path / "agenda.yaml"
    agenda.write_text(EXPERT_MEETING, encoding="utf-8")
    assert main(["agenda", "check", str(agenda)]) == 0
    out = capsys.readouterr().out
    assert "3 session(s)" in out and "(key: planning-modalities)" in out and "no database to compare with" in out
    assert not (tmp_path / "cli.db").exists()

    assert main(["agenda", "import", str(agenda), "--organiser", "1000"]) == 0
    first = capsys.readouterr().out
    assert first.startswith("Created the event") and "3 session(s) created" in first
    codes = re.findall(r"^  ([A-Z0-9]{6})  ", first, re.MULTILINE)
    assert len(codes) == 3

    agenda.write_text(
        EXPERT_MEETING.replace("title: Funding modalities", "title: Funding modalities\n    key: funding-modalities").replace(
            "Funding modalities\n", "Funding modalities for early recovery\n"
        ),
        encoding="utf-8",
    )
    assert main(["agenda", "check", str(agenda)]) == 0
    assert "an update of the existing event" in capsys.readouterr().out
    assert main(["agenda", "import", str(agenda)]) == 0
    second = capsys.readouterr().out
    assert second.startswith("Updated the event") and "3 session(s) updated" in second
    assert re.findall(r"^  ([A-Z0-9]{6})  ", second, re.MULTILINE) == codes  # same sessions, same join codes

    # Leaving out a session is fine while nobody wrote in it: the check says it would go.
    start, end = EXPERT_MEETING.index("  - title: Planning"), EXPERT_MEETING.index("  - title: Funding")
    agenda.write_text(EXPERT_MEETING[:start] + EXPERT_MEETING[end:], encoding="utf-8")
    assert main(["agenda", "check", str(agenda)]) == 0
    assert "1 session(s) removed: Planning modalities" in capsys.readouterr().out

    agenda.write_text(EXPERT_MEETING.replace('start: "09:30"', 'start: "9h3O"'), encoding="utf-8")
    assert main(["agenda", "import", str(agenda)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and 'sessions #1 "Good practice during crisis" › start' in err and "use HH:MM" in err
    assert main(["agenda", "check", str(tmp_path / "missing.yaml")]) == EXIT_CONFIG
    assert "cannot read the agenda" in capsys.readouterr().err


def test_readme_agenda_example_is_valid(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Agenda file") :]
    example = section[section.index("```yaml\n") + 8 : section.index("```\n", section.index("```yaml\n") + 8)]
    path = tmp_path / "readme.yaml"
    path.write_text(example, encoding="utf-8")
    assert main(["agenda", "check", str(path)]) == 0
    out = capsys.readouterr().out
    assert "(key: crisis)" in out and "Event 'Thematic meeting" in out and "chair: State Secretary" in out


# ----- the Bot API answering getMe with errors: one line, the token masked, no traceback -----


class _StubBotApi:
    """A tiny HTTP server on 127.0.0.1 that answers every request with one canned response
    whose body quotes the request URL, as some proxies' error pages do."""

    def __init__(self, status: int, body: str, content_type: str) -> None:
        import http.server
        import threading

        stub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self) -> None:
                payload = stub.body.replace("{url}", self.path).encode()
                self.send_response(stub.status)
                self.send_header("Content-Type", stub.content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                stub.paths.append(self.path)

            do_GET = do_POST = _answer

            def log_message(self, *args: object) -> None:
                """Quiet: the test reads the bot's output, not the server's."""

        self.status, self.body, self.content_type = status, body, content_type
        self.paths: list[str] = []
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        return f"http://127.0.0.1:{self.server.server_address[1]}/bot"

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


_HTML = "<html><body><h1>{status}</h1><p>The request to {url} failed.</p></body></html>"


@pytest.mark.parametrize(
    ("status", "body", "content_type", "expected"),
    [
        (503, _HTML.replace("{status}", "Service Unavailable"), "text/html", "answered Service Unavailable (503)"),
        (403, _HTML.replace("{status}", "Forbidden"), "text/html", "refused access (403 Forbidden)"),
        (
            429,
            '{"ok": false, "error_code": 429, "description": "Too Many Requests: retry after 7 ({url})", "parameters": {"retry_after": 7}}',
            "application/json",
            "asks to wait 7 s",
        ),
        (200, "<html>Welcome to {url}</html>", "text/html", "did not answer as a Bot API does"),
        (502, '{"ok": false, "error_code": 502, "description": "Bad Gateway for {url}"}', "application/json", "cannot reach the Bot API"),
    ],
)
def test_bot_api_error_pages_on_get_me(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], status: int, body: str, content_type: str, expected: str
) -> None:
    with _StubBotApi(status, body, content_type) as base_url:
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
        monkeypatch.setenv("TELEGRAM_API_BASE_URL", base_url)
        code = main(["run"])
    captured = capsys.readouterr()
    output = captured.out + captured.err
    assert code == EXIT_NETWORK, output
    assert TOKEN not in output and TOKEN.split(":")[1] not in output, output
    assert "Traceback" not in output, output
    said = [line for line in captured.err.splitlines() if line.startswith("workshop-bot: ")]
    assert len(said) == 1 and expected in said[0], output
    assert not [line for line in captured.err.splitlines() if " ERROR " in line or " CRITICAL " in line], output


def test_redact_masks_tokens_plain_url_encoded_and_verbatim() -> None:
    from bot.logging_setup import redact

    url = f"http://proxy/bot{TOKEN}/getMe and http://proxy/bot{TOKEN.replace(':', '%3A')}/getMe"
    assert TOKEN.split(":")[1] not in redact(url)
    assert redact("odd-token-shape-xyz here", "odd-token-shape-xyz") == "<token> here"
