"""Settings read from the environment or a `.env` file.

Every setting is documented in `.env.example`; validation happens here so that a bad value
stops the bot with one clear line at start-up instead of a traceback later.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

TELEGRAM_API_BASE_URL = "https://api.telegram.org/bot"
TELEGRAM_API_FILE_URL = "https://api.telegram.org/file/bot"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///workshop-bot.db"

# Telegram tokens look like "123456789:AA..." (bot id, colon, 35 url-safe characters).
_TOKEN_RE = re.compile(r"^\d{3,20}:[A-Za-z0-9_-]{20,}$")


class ConfigError(ValueError):
    """A setting is missing or malformed; the message is shown to the operator as is."""


def database_url(value: str, *, setting: str = "DATABASE_URL") -> str:
    """An async SQLAlchemy URL for SQLite or PostgreSQL, or ValueError saying what to write.

    The synchronous forms people copy from elsewhere (`sqlite:///x.db`, `postgresql://…`,
    `postgres://…`) are read as the async drivers this bot uses, so they simply work.
    """
    text = value.strip()
    example = "sqlite+aiosqlite:///workshop-bot.db or postgresql+asyncpg://user:password@host:5432/dbname"
    match = re.match(r"^([A-Za-z0-9_+]+)://(.*)$", text, re.DOTALL)
    if not match:
        raise ValueError(f"{setting} {_shown(text)} is not a database URL; write {example}")
    scheme, rest = match.group(1).lower(), match.group(2)
    backend = scheme.split("+", 1)[0]
    if backend == "sqlite" and scheme in ("sqlite", "sqlite+aiosqlite"):
        if not rest.startswith("/") or rest == "/":
            raise ValueError(f"{setting} {_shown(text)} names no file; write sqlite+aiosqlite:///path/to/file.db")
        return f"sqlite+aiosqlite://{rest}"
    if backend in ("postgresql", "postgres") and scheme in ("postgresql", "postgres", "postgresql+asyncpg", "postgres+asyncpg"):
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        normalised = f"postgresql+asyncpg://{rest}"
        try:
            parsed = make_url(normalised)
        except (ArgumentError, ValueError):
            raise ValueError(f"{setting} {_shown(text)} is not a valid PostgreSQL URL; write {example}") from None
        if not parsed.database:
            raise ValueError(f"{setting} {_shown(text)} names no database; write postgresql+asyncpg://user:password@host:5432/dbname")
        return normalised
    if backend in ("postgresql", "postgres"):
        raise ValueError(
            f"{setting} {_shown(text)} names the driver {scheme.partition('+')[2]!r}; this bot uses asyncpg: write postgresql+asyncpg://…"
        )
    raise ValueError(f"{setting} {_shown(text)}: only SQLite and PostgreSQL are supported; write {example}")


def _shown(url: str) -> str:
    """The URL as it may appear in a message: any password masked."""
    return repr(re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)[:200])


class Settings(BaseSettings):
    """The bot's configuration; field names map to upper-case environment variables."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr | None = None
    database_url: str = DEFAULT_DATABASE_URL
    telegram_api_base_url: str = TELEGRAM_API_BASE_URL
    telegram_api_file_url: str = TELEGRAM_API_FILE_URL
    organiser_ids: Annotated[frozenset[int], NoDecode] = Field(default_factory=frozenset)
    default_timezone: str = "UTC"
    max_answer_length: int = Field(default=2000, ge=10, le=4000)
    log_level: str = "INFO"
    # The web server (room screen, rapporteur's Mini App) runs only when both are set.
    public_url: str | None = None
    web_port: int | None = Field(default=None, ge=1, le=65535)
    web_host: str = "127.0.0.1"
    # The optional writing model for report prose (OpenAI-compatible); nothing is sent unless set.
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: SecretStr | None = None
    llm_timeout: float = Field(default=30.0, gt=0, le=600)
    # New messages per second for the whole deployment, replies and broadcasts together
    # (bot.send_budget): Telegram's 30 less the broadcasts' pacing margin of 2 %
    # (bot.scheduling.pacing.TelegramLimits), measured to keep 0 flood errors; 0 = no budget.
    send_rate: float = Field(default=29.4, ge=0, le=1000)
    # Webhook mode (`workshop-bot serve`; README: Deployment): Telegram sends this secret with
    # every update, and posts to PUBLIC_URL + WEBHOOK_PATH.
    webhook_secret: SecretStr | None = None
    webhook_path: str = "/telegram/webhook"

    @field_validator("organiser_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p for p in re.split(r"[\s,;]+", value.strip()) if p]
            try:
                return frozenset(int(p) for p in parts)
            except ValueError:
                raise ValueError(f"ORGANISER_IDS must be numeric Telegram user ids separated by commas, got {value!r}") from None
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        return database_url(value)

    @field_validator("default_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"DEFAULT_TIMEZONE {value!r} is not an IANA time zone such as Europe/Stockholm") from None
        return value

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        if value.strip().upper() not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError(f"LOG_LEVEL {value!r} is not one of DEBUG, INFO, WARNING, ERROR")
        return value.strip().upper()

    @field_validator("telegram_api_base_url", "telegram_api_file_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"{value!r} must start with http:// or https://")
        return value

    @field_validator("public_url", mode="before")
    @classmethod
    def _public_url(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip().rstrip("/")
            if not value:
                return None
            if not value.startswith(("http://", "https://")):
                raise ValueError(f"PUBLIC_URL {value!r} must start with https:// (Telegram opens Mini Apps only over HTTPS)")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()):
            raise ValueError("WEBHOOK_SECRET must be 1 to 256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule)")
        return value

    @field_validator("webhook_path")
    @classmethod
    def _webhook_path(cls, value: str) -> str:
        if not re.fullmatch(r"/[A-Za-z0-9_/-]*", value):
            raise ValueError(f"WEBHOOK_PATH {value!r} must be a path such as /telegram/webhook")
        return value

    def secret(self) -> str:
        """The webhook secret; webhook mode refuses to start without it."""
        if self.webhook_secret is None:
            raise ConfigError(
                "WEBHOOK_SECRET is not set: webhook mode needs it (for example the output of "
                "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`)."
            )
        return self.webhook_secret.get_secret_value()

    @property
    def web_enabled(self) -> bool:
        """`workshop-bot run` serves the web pages only when it knows where and how it is reached."""
        return self.public_url is not None and self.web_port is not None

    def token(self) -> str:
        """The bot token, checked for shape; raises ConfigError with a line the operator can act on."""
        if self.telegram_bot_token is None or not self.telegram_bot_token.get_secret_value().strip():
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN is not set. Get one from @BotFather and put it in .env "
                "(or run `workshop-bot demo` to see the bot work offline)."
            )
        token = self.telegram_bot_token.get_secret_value().strip()
        if not _TOKEN_RE.match(token):
            raise ConfigError("TELEGRAM_BOT_TOKEN is malformed: expected digits, a colon and a long key, as @BotFather gives it.")
        return token

    @property
    def sqlite_path(self) -> Path | None:
        """The database file for SQLite URLs, so the CLI can say where data went."""
        match = re.match(r"^sqlite(\+\w+)?:///(.+)$", self.database_url)
        return Path(match.group(2)) if match else None


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning pydantic's validation report into one ConfigError line per problem."""
    from pydantic import ValidationError

    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(_problem(e) for e in exc.errors())
        raise ConfigError(f"Invalid configuration: {problems}") from None


def _problem(error: Any) -> str:
    """One validation error as the operator reads it: our own messages already name the setting."""
    message = str(error["msg"]).removeprefix("Value error, ")
    name = ".".join(map(str, error["loc"])).upper()
    return message if message.startswith(name) else f"{name}: {message}"
