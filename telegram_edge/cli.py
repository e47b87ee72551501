"""`workshop-bot`: run the bot, the offline demo, migrations and (later) reports from a shell.

Every failure an operator can fix (token, database, configuration) ends in one clear line and
a non-zero exit status, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from bot.config import ConfigError, Settings, database_url, load_settings
from bot.logging_setup import configure_logging, redact
from storage.db import Database, DatabaseUnavailable

EXIT_CONFIG = 2
EXIT_DATABASE = 3
EXIT_NETWORK = 4


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, or a usage mistake already printed as one line
        return int(exit_.code or 0)
    settings: Settings | None = None
    try:
        settings = load_settings()
        if getattr(args, "database", None):
            settings = settings.model_copy(update={"database_url": args.database})
        configure_logging(settings.log_level, _secret(settings))
        return int(args.func(settings, args) or 0)
    except ConfigError as exc:
        print(f"workshop-bot: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except DatabaseUnavailable as exc:
        print(f"workshop-bot: {exc}", file=sys.stderr)
        return EXIT_DATABASE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader stopped listening (`workshop-bot report … --out - | head`)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return 0
    except Exception as exc:  # a bug of ours: one line for the operator, the traceback on request
        from telegram.error import TelegramError

        if isinstance(exc, TelegramError):  # a Telegram or network failure after the start-up check
            print(f"workshop-bot: the Bot API failed: {redact(_first_line(exc.message), _secret(settings))}", file=sys.stderr)
            return EXIT_NETWORK
        if settings is not None and settings.log_level == "DEBUG":
            logging.getLogger("telegram_edge.cli").exception("unexpected error")
        first = redact(_first_line(str(exc)), _secret(settings))
        print(f"workshop-bot: unexpected error ({type(exc).__name__}: {first}); LOG_LEVEL=DEBUG shows the details.", file=sys.stderr)
        return 1


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line that says where to look."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_CONFIG, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _database_arg(value: str) -> str:
    try:
        return database_url(value, setting="--database")
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--database ")) from None


def _secret(settings: Settings | None) -> str:
    token = settings.telegram_bot_token if settings is not None else None
    return token.get_secret_value().strip() if token is not None else ""


def _first_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0][:300] if lines else ""


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="workshop-bot", description="Telegram bot for workshop and forum input.")
    parser.set_defaults(func=_start)
    commands = parser.add_subparsers(title="commands", parser_class=_Parser)

    def with_database(command: argparse.ArgumentParser, default: str = "DATABASE_URL") -> argparse.ArgumentParser:
        command.add_argument("--database", type=_database_arg, metavar="URL", help=f"the database (default: {default})")
        return command

    commands.add_parser("start", help="run the bot if a token is set, else the offline demo (the default)").set_defaults(func=_start)
    with_database(commands.add_parser("run", help="run the bot with long polling (needs TELEGRAM_BOT_TOKEN)")).set_defaults(func=_run)
    serve = with_database(commands.add_parser("serve", help="webhook mode: run the web app and the webhook endpoint (README: Deployment)"))
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1, behind the reverse proxy)")
    serve.add_argument("--port", type=int, default=8080, help="port to listen on (default 8080)")
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1; PostgreSQL for more)")
    serve.add_argument("--scheduler", action="store_true", help="workers are also scheduler candidates (one is elected)")
    serve.set_defaults(func=_serve)
    scheduler = with_database(commands.add_parser("scheduler", help="a scheduler candidate: fires schedules and broadcasts when elected"))
    scheduler.add_argument("--host", default="127.0.0.1", help="address for --port (default 127.0.0.1)")
    scheduler.add_argument("--port", type=int, default=None, help="serve /metrics and /healthz on this port")
    scheduler.set_defaults(func=_scheduler)
    webhook = commands.add_parser("webhook", help="tell Telegram where to send updates (setWebhook) or stop it")
    webhook_commands = webhook.add_subparsers(title="webhook commands", required=True, parser_class=_Parser)
    set_hook = webhook_commands.add_parser("set", help="PUBLIC_URL + WEBHOOK_PATH, with WEBHOOK_SECRET")
    set_hook.add_argument("--max-connections", type=int, default=40, help="Telegram's parallel connections (1-100, default 40)")
    set_hook.add_argument("--drop-pending", action="store_true", help="discard updates Telegram holds for the bot")
    set_hook.set_defaults(func=_webhook, action="set")
    webhook_commands.add_parser("delete", help="remove the webhook (polling works again)").set_defaults(func=_webhook, action="delete")
    webhook_commands.add_parser("info", help="what Telegram has: URL, pending updates, last error").set_defaults(
        func=_webhook, action="info"
    )
    demo = commands.add_parser("demo", help="an offline, scripted session against a built-in fake Telegram")
    demo.add_argument("--participants", type=int, default=20, help="simulated participants (default 20)")
    with_database(demo, "a fresh workshop-demo.db in this folder, emptied at every run").set_defaults(func=_demo)
    report = with_database(commands.add_parser("report", help="write a session's report (approved version, else the newest draft)"))
    report.add_argument("session", help="the session's join code or id")
    report.add_argument("--format", choices=["md", "html", "docx", "pdf"], default="md")
    report.add_argument("--out", help="file to write (default: a name from the report; '-' for standard output)")
    report.set_defaults(func=_report)
    themes = commands.add_parser("themes", help="group a JSON list of contributions into themes")
    themes.add_argument("file", help='a JSON list such as [{"text": "...", "kind": "challenge"}, ...]')
    themes.add_argument("--domain-pack", default=None, help="an opt-in domain pack, e.g. peace-security (README: Theme grouping)")
    themes.set_defaults(func=_themes)
    agenda = commands.add_parser("agenda", help="check or import an agenda file (YAML)")
    agenda_commands = agenda.add_subparsers(title="agenda commands", required=True, parser_class=_Parser)
    check = agenda_commands.add_parser("check", help="validate an agenda and print what importing it would create or change")
    check.add_argument("file")
    with_database(check, "DATABASE_URL, if it exists; compares with what is stored").set_defaults(func=_agenda_check)
    load = with_database(agenda_commands.add_parser("import", help="create or update the event and sessions of an agenda"))
    load.add_argument("file")
    load.add_argument("--organiser", type=int, metavar="TELEGRAM_ID", help="also make this Telegram user an organiser of the event")
    load.set_defaults(func=_agenda_import)
    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(title="db commands", required=True, parser_class=_Parser)
    with_database(db_commands.add_parser("upgrade", help="apply migrations")).set_defaults(func=_db_upgrade)
    return parser


def _start(settings: Settings, args: argparse.Namespace) -> int:
    if settings.telegram_bot_token is None:
        print("No TELEGRAM_BOT_TOKEN is set, so here is the offline demo. Set the token in .env to run the real bot.\n")
        args.participants, args.database = 20, None
        return _demo(settings, args)
    return _run(settings, args)


def _run(settings: Settings, _args: argparse.Namespace) -> int:
    from telegram import Update

    from telegram_edge.app import build_application
    from telegram_edge.polling import POLL_INTERVAL

    settings.token()  # fail before touching anything else
    asyncio.run(_prepare_database(settings.database_url))
    problem = asyncio.run(_check_telegram(settings))
    if problem is not None:
        print(f"workshop-bot: {problem[1]}", file=sys.stderr)
        return problem[0]
    application = build_application(settings)
    print(f"workshop-bot: polling Telegram; data in {Database(settings.database_url).display_url}. Ctrl+C stops.")
    application.run_polling(poll_interval=POLL_INTERVAL, allowed_updates=Update.ALL_TYPES)
    return 0


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    from telegram_edge.serve import serve

    settings.token()
    settings.secret()  # fail before forking workers
    if args.workers < 1:
        raise ConfigError("--workers must be at least 1")
    if args.workers > 1 and settings.sqlite_path is not None:
        raise ConfigError("several workers need PostgreSQL (DATABASE_URL=postgresql+asyncpg://…); SQLite takes one process")
    os.environ["DATABASE_URL"] = settings.database_url  # the workers read their settings again
    asyncio.run(_prepare_database(settings.database_url))
    print(
        f"workshop-bot: serving webhooks on {args.host}:{args.port} with {args.workers} worker(s); data in {Database(settings.database_url).display_url}."
    )
    serve(args.host, args.port, args.workers, scheduler=args.scheduler)
    return 0


def _scheduler(settings: Settings, args: argparse.Namespace) -> int:
    from telegram_edge.serve import run_scheduler

    settings.token()
    print(f"workshop-bot: scheduler candidate on {Database(settings.database_url).display_url}; Ctrl+C stops.")
    asyncio.run(run_scheduler(settings, host=args.host, port=args.port))
    return 0


def _webhook(settings: Settings, args: argparse.Namespace) -> int:
    from telegram import Bot

    token = settings.token()

    async def call() -> str:
        async with Bot(token, base_url=settings.telegram_api_base_url, base_file_url=settings.telegram_api_file_url) as bot:
            if args.action == "set":
                if settings.public_url is None:
                    raise ConfigError("PUBLIC_URL is not set: Telegram needs the https:// address the reverse proxy serves")
                url = settings.public_url + settings.webhook_path
                await bot.set_webhook(
                    url, secret_token=settings.secret(), max_connections=args.max_connections, drop_pending_updates=args.drop_pending
                )
                return f"Telegram now sends updates to {url}."
            if args.action == "delete":
                await bot.delete_webhook()
                return "Webhook removed: Telegram keeps updates for polling (workshop-bot run)."
            info = await bot.get_webhook_info()
            lines = [f"url: {info.url or '(none: polling)'}", f"pending updates: {info.pending_update_count}"]
            if info.max_connections:
                lines.append(f"max connections: {info.max_connections}")
            if info.last_error_message:
                lines.append(f"last error: {info.last_error_message} at {info.last_error_date}")
            return "\n".join(lines)

    print(asyncio.run(call()))
    return 0


async def _check_telegram(settings: Settings) -> tuple[int, str] | None:
    """Ask the Bot API who we are before starting, so a bad token, an unreachable server or a
    proxy's error page is one line (with the token masked) instead of PTB's retry loop and
    traceback."""
    from telegram import Bot
    from telegram.error import Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError
    from telegram.warnings import PTBDeprecationWarning

    from telegram_edge.aiohttp_request import AiohttpRequest

    token = settings.token()
    host = redact(settings.telegram_api_base_url.split("/bot")[0], token)
    # The bot's own HTTP client: PTB's default (httpx) would load httpcore and anyio for this one call.
    bot = Bot(
        token,
        base_url=settings.telegram_api_base_url,
        base_file_url=settings.telegram_api_file_url,
        request=AiohttpRequest(),
        get_updates_request=AiohttpRequest(),
    )
    try:
        with warnings.catch_warnings():  # PTB warns about RetryAfter's type while building one
            warnings.simplefilter("ignore", PTBDeprecationWarning)
            async with bot:
                return None
    except InvalidToken:
        return EXIT_CONFIG, "Telegram rejected TELEGRAM_BOT_TOKEN (revoked or mistyped); get a fresh one from @BotFather."
    except RetryAfter as exc:
        return EXIT_NETWORK, f"the Bot API at {host} asks to wait {_seconds(exc)} s (429 Too Many Requests); start again after that."
    except Forbidden:
        return (
            EXIT_NETWORK,
            f"the Bot API at {host} refused access (403 Forbidden); check TELEGRAM_API_BASE_URL and any proxy in front of it.",
        )
    except NetworkError as exc:
        status, _sep, body = exc.message.partition(". Parsing the server response")
        if body:  # an error page (a proxy's, often quoting the URL): its status says enough
            return (
                EXIT_NETWORK,
                f"the Bot API at {host} answered {status} with a page that is not the Bot API's; try again later or check TELEGRAM_API_BASE_URL.",
            )
        return EXIT_NETWORK, f"cannot reach the Bot API at {host}: {redact(_first_line(exc.message), token)}"
    except TelegramError as exc:  # "Invalid server response": a page that is not JSON
        reason = redact(_first_line(exc.message), token)
        return EXIT_NETWORK, f"the Bot API at {host} did not answer as a Bot API does ({reason}); check TELEGRAM_API_BASE_URL."


def _seconds(exc: object) -> int:
    from datetime import timedelta

    with warnings.catch_warnings():  # an int in PTB 22, a timedelta in PTB 23
        warnings.simplefilter("ignore")
        wait = exc.retry_after  # type: ignore[attr-defined]
    return int(wait.total_seconds() if isinstance(wait, timedelta) else wait)


async def _prepare_database(url: str) -> None:
    db = Database(url)
    try:
        await db.upgrade()
    finally:
        await db.dispose()


def _db_upgrade(settings: Settings, _args: argparse.Namespace) -> int:
    asyncio.run(_prepare_database(settings.database_url))
    print(f"Database at {Database(settings.database_url).display_url} is up to date.")
    return 0


def _existing_database(settings: Settings) -> None:
    """Commands that only read must not create an empty SQLite file where the data is not."""
    path = settings.sqlite_path
    if path is not None and not path.exists():
        raise DatabaseUnavailable(
            f"there is no database at {path}. Name it with --database URL "
            "(the demo's is --database sqlite+aiosqlite:///workshop-demo.db) or set DATABASE_URL."
        )


def _report(settings: Settings, args: argparse.Namespace) -> int:
    from bot.reports.render import render, report_filename

    _existing_database(settings)

    async def build() -> tuple[str, bytes]:
        from bot.container import build_services

        services = build_services(settings)
        try:
            await services.db.upgrade()
            report = await services.reporting.report_for_operator(args.session)
            return report_filename(report, args.format), await asyncio.to_thread(render, report, args.format)
        finally:
            await services.close()

    try:
        name, content = asyncio.run(build())
    except LookupError:
        print(f"workshop-bot: no session {args.session!r} in {Database(settings.database_url).display_url}", file=sys.stderr)
        return 1
    if args.out == "-":
        sys.stdout.buffer.write(content)
        return 0
    path = Path(args.out or name)
    path.write_bytes(content)
    print(f"Wrote {path} ({len(content):,} bytes).")
    return 0


def _themes(_settings: Settings, args: argparse.Namespace) -> int:
    from bot.reports.theme_cli import group_file

    try:
        print(json.dumps(group_file(Path(args.file), domain_pack=args.domain_pack), ensure_ascii=False, indent=2))
    except (OSError, ValueError) as exc:
        print(f"workshop-bot: {exc}", file=sys.stderr)
        return 1
    return 0


def _demo(settings: Settings, args: argparse.Namespace) -> int:
    from telegram_edge.demo import run_demo

    return asyncio.run(run_demo(args.database, participants=args.participants))


def _read_agenda(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read the agenda {path}: {exc.strerror or exc}") from None


def _agenda_check(settings: Settings, args: argparse.Namespace) -> int:
    from bot.agenda import AgendaError, parse_agenda
    from bot.agenda_summary import describe_plan

    source = _read_agenda(args.file)
    plan = None
    try:
        spec = parse_agenda(source)
        if settings.sqlite_path is None or settings.sqlite_path.exists():
            plan = asyncio.run(_plan(settings, source))  # what importing would refuse, too
    except AgendaError as exc:
        print(f"workshop-bot: {args.file}: {exc}", file=sys.stderr)
        return 1
    print(describe_plan(spec, plan))
    return 0


async def _plan(settings: Settings, source: bytes) -> object:
    from bot.container import build_services

    services = build_services(settings)
    try:
        await services.db.upgrade()
        return await services.organising.plan_agenda(source)
    finally:
        await services.close()


def _agenda_import(settings: Settings, args: argparse.Namespace) -> int:
    from bot.agenda import AgendaError
    from bot.agenda_summary import describe_import

    source = _read_agenda(args.file)

    async def load() -> object:
        from bot.container import build_services

        services = build_services(settings)
        try:
            await services.db.upgrade()
            return await services.organising.import_agenda_as_operator(source, organiser_telegram_id=args.organiser)
        finally:
            await services.close()

    try:
        result = asyncio.run(load())
    except AgendaError as exc:
        print(f"workshop-bot: {args.file}: {exc} Nothing was changed.", file=sys.stderr)
        return 1
    print(describe_import(result, Database.display(settings.database_url)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
