"""Settings read from the environment (and an optional `.env` file)."""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

TELEGRAM_API = "https://api.telegram.org"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///svodka.db"
DEFAULT_LISTEN = "127.0.0.1:8080"
LISTEN_OFF = "off"
TOKEN_SHAPE = re.compile(r"^\d+:[\w-]+$")
WEBHOOK_SECRET_SHAPE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what Telegram accepts
ROLES = ("all", "bot", "worker")  # what one `svodka run` does: everything, updates, or the rest


class ConfigError(Exception):
    """A setting is missing or malformed; the message says what to set."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SVODKA_", env_file=".env", extra="ignore", populate_by_name=True
    )

    bot_token: SecretStr | None = Field(default=None, validation_alias="BOT_TOKEN")
    database_url: str = DEFAULT_DATABASE_URL
    telegram_api: str = TELEGRAM_API
    admins: Annotated[frozenset[int], NoDecode] = frozenset()
    timezone: str = "Europe/Moscow"
    allow_private_urls: bool = False

    # Operating it (bot/web.py, bot/logs.py): health and metrics endpoints, log lines.
    listen: str = DEFAULT_LISTEN  # host:port of /healthz, /readyz, /metrics; "off" disables
    log_format: Literal["text", "json"] = "text"  # json: one object per line
    # DEBUG adds aiogram's line per update; WARNING keeps only what needs a look.
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    shutdown_grace: float = Field(default=10.0, ge=0)  # seconds sends in flight may finish
    # A background loop failing (database or network lost) this long ends the process with a
    # non-zero status for systemd to restart it; also how long a start waits for the database.
    loop_give_up: float = Field(default=300.0, gt=0)

    # Webhook mode (`svodka run --webhook`): the URL Telegram posts updates to (https for
    # Telegram; passed as given), the secret it must send along, its parallel connections.
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_max_connections: int = Field(default=40, ge=1, le=100)

    # Bot (bot/app.py): pacing of one user's updates; more wait their turn, none are dropped.
    # The rate counts every answer beyond an update's first: Telegram allows about one message
    # a second to a chat.
    throttle_rate: float = Field(default=1.0, gt=0)  # updates per second per user, sustained
    throttle_burst: int = Field(default=5, ge=1)  # updates per user handled at once before pacing
    throttle_pending: int = Field(default=10, ge=1)  # one user's waiting updates; more dropped
    reply_deadline: float = Field(default=30.0, gt=0)  # seconds an answer is retried (429, 5xx)

    # Ingestion (bot/ingest/): fetching pages and polling feeds.
    fetch_timeout: float = Field(default=20.0, gt=0)  # seconds per page or feed request
    fetch_max_bytes: int = Field(default=5 * 2**20, gt=0)  # larger pages and feeds are refused
    feed_poll_interval: int = Field(default=900, ge=60)  # seconds between polls of a new feed
    feed_max_backoff: int = Field(default=6 * 3600, ge=60)  # longest wait after failed polls
    feed_max_entries: int = Field(default=50, ge=1)  # newest entries read per poll of a feed
    ingest_workers: int = Field(default=2, ge=1)  # processes parsing and summarizing for the bot
    telegram_web: str = "https://t.me"  # where public channels' web previews are read from
    telegram_web_spacing: float = Field(default=2.0, ge=0)  # seconds between requests to it

    # Delivery (bot/delivery/). Rates stay under Telegram's limits; lower them, never raise them.
    delivery_rate: float = Field(default=30.0, gt=0)  # messages per second, whole bot
    delivery_chat_rate: float = Field(default=1.0, gt=0)  # messages per second, one private chat
    delivery_group_rate: float = Field(default=20.0, gt=0)  # per minute, one group or channel
    delivery_concurrency: int = Field(default=4, ge=1)  # sendMessage calls in flight at once
    delivery_max_attempts: int = Field(default=6, ge=1)  # server/network failures before "failed"
    delivery_backoff: float = Field(default=2.0, gt=0)  # first retry delay, seconds; doubles
    delivery_backoff_max: float = Field(default=600.0, gt=0)  # longest retry delay, seconds
    delivery_timeout: float = Field(default=30.0, gt=0)  # one sendMessage request, seconds
    worker_heartbeat: float = Field(default=3.0, gt=0)  # seconds between a worker's heartbeats
    worker_timeout: float = Field(default=10.0, gt=0)  # silent this long: dead, claims freed
    delivery_poll: float = Field(default=1.0, gt=0)  # outbox check interval when idle, seconds
    push_scan_interval: float = Field(default=3.0, gt=0)  # new-article check, seconds (<= 10)
    push_max_age_hours: float = Field(default=24.0, gt=0)  # older articles are never pushed
    digest_check_interval: float = Field(default=30.0, gt=0)  # due-digest check, seconds
    digest_max_articles: int = Field(default=20, ge=1)  # newest matched articles in one digest
    digest_summary_sentences: int = Field(default=2, ge=1)  # summary sentences per article

    # Retention (bot/delivery/retention.py), pruned by the worker in batches; 0 keeps forever.
    keep_deliveries_days: float = Field(default=30, ge=0)  # sent, failed and dropped outbox rows
    keep_articles_days: float = Field(default=0, ge=0)  # stories whose newest article is older

    # Database connections of one process (SQLAlchemy's pool): an update holds one while it is
    # handled. The defaults keep four processes on one PostgreSQL within its 100 connections.
    db_pool_size: int = Field(default=10, ge=1)
    db_max_overflow: int = Field(default=10, ge=0)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("admins", mode="before")
    @classmethod
    def _parse_admins(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",") if part.strip()]
            try:
                return frozenset(int(part) for part in parts)
            except ValueError:
                raise ValueError("expected comma-separated numeric user ids") from None
        return value

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {value!r}, use an Area/City name") from None
        return value

    @field_validator("listen")
    @classmethod
    def _check_listen(cls, value: str) -> str:
        value = value.strip()
        if value.lower() != LISTEN_OFF:
            parse_listen(value)
        return value

    def listen_address(self) -> tuple[str, int] | None:
        """(host, port) of the HTTP listener, None when it is off."""
        return None if self.listen.lower() == LISTEN_OFF else parse_listen(self.listen)

    def require_webhook(self) -> tuple[str, str]:
        """The webhook's URL and secret, or a ConfigError with one line saying what to set."""
        if not self.webhook_url:
            raise ConfigError("--webhook needs SVODKA_WEBHOOK_URL: the URL Telegram posts to")
        secret = self.webhook_secret.get_secret_value() if self.webhook_secret else ""
        if not WEBHOOK_SECRET_SHAPE.match(secret):
            raise ConfigError(
                "--webhook needs SVODKA_WEBHOOK_SECRET: 1-256 characters A-Z, a-z, 0-9, _ or -"
            )
        if self.listen_address() is None:
            raise ConfigError("--webhook needs SVODKA_LISTEN: updates arrive on that listener")
        return self.webhook_url, secret

    def require_shared_database(self, role: str) -> None:
        """A ConfigError when `role` is one of several processes but the database is SQLite."""
        if role != "all" and self.database_url.startswith("sqlite"):
            raise ConfigError(
                f"--role {role} needs PostgreSQL (SVODKA_DATABASE_URL=postgresql+asyncpg://...):"
                " several processes cannot share a SQLite file; use --role all with SQLite"
            )

    def require_token(self) -> str:
        """The bot token, or a ConfigError with one line saying what to set."""
        if self.bot_token is None or not self.bot_token.get_secret_value():
            raise ConfigError("BOT_TOKEN is not set: export BOT_TOKEN=<token from @BotFather>")
        token = self.bot_token.get_secret_value().strip()
        if not TOKEN_SHAPE.match(token):
            raise ConfigError(
                "BOT_TOKEN is malformed: expected <digits>:<letters>, from @BotFather"
            )
        return token


def parse_listen(value: str) -> tuple[str, int]:
    """ "host:port" ("[::1]:8080" for IPv6) as (host, port); ValueError when malformed."""
    host, colon, port = value.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not colon or not host or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"expected host:port (e.g. {DEFAULT_LISTEN}) or off, got {value!r}")
    return host, int(port)


def load_settings() -> Settings:
    """Settings from the environment; a malformed value or an unknown SVODKA_* name becomes
    one ConfigError line."""
    from pydantic import ValidationError

    check_names([*os.environ, *_dotenv_names(Path(".env"))])
    try:
        return Settings()
    except ValidationError as error:
        first = error.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else "settings"
        env = "BOT_TOKEN" if name == "bot_token" else f"SVODKA_{name.upper()}"
        message = first["msg"].removeprefix("Value error, ")
        raise ConfigError(f"{env}: {message}") from None


# Variables with the prefix that are not settings of `svodka run`: the tests' own.
NOT_SETTINGS = frozenset({"SVODKA_TEST_POSTGRES_URL"})


def known_names() -> list[str]:
    """Every environment variable Settings reads, as an operator writes it."""
    names = []
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        names.append(alias if isinstance(alias, str) else f"SVODKA_{name.upper()}")
    return names


def check_names(names: Iterable[str]) -> None:
    """A ConfigError naming the first unknown SVODKA_* variable and the nearest known one: a
    misspelt setting must not be ignored silently (a worker on a new ./svodka.db)."""
    known = known_names()
    for name in sorted(set(names)):
        upper = name.upper()
        if not upper.startswith("SVODKA_") or upper in known or upper in NOT_SETTINGS:
            continue
        # Compared without the prefix every name shares, which would make any two look alike.
        bare = {name.removeprefix("SVODKA_"): name for name in known}
        nearest = difflib.get_close_matches(upper.removeprefix("SVODKA_"), bare, n=1, cutoff=0.6)
        hint = f"did you mean {bare[nearest[0]]}?" if nearest else "svodka config check lists them"
        raise ConfigError(f"{name}: unknown setting; {hint}")


def _dotenv_names(path: Path) -> list[str]:
    if not path.is_file():
        return []
    from dotenv import dotenv_values

    return list(dotenv_values(path))
