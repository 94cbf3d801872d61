"""`svodka config check`: the effective settings (secrets masked) and whether the database, the
Bot API and the listen address work, before `svodka run` finds out the hard way."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
from pydantic import SecretStr
from sqlalchemy.engine import make_url

from bot.config import ConfigError, Settings, known_names
from bot.logs import HIDDEN, one_line, redact, secret_parts

CHECK_TIMEOUT = 10.0  # seconds for each check


def effective_settings(settings: Settings) -> list[str]:
    """NAME=value per setting, as `svodka run` would use it; secrets and passwords masked."""
    lines = []
    for env, (name, _) in zip(known_names(), Settings.model_fields.items(), strict=True):
        lines.append(f"{env}={_shown(name, getattr(settings, name))}")
    return lines


def _shown(name: str, value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, SecretStr):
        secret = value.get_secret_value()
        if name == "bot_token" and ":" in secret:  # the bot id before the colon is public
            return f"{secret.partition(':')[0]}:{HIDDEN}"
        return HIDDEN if secret else ""
    if name == "database_url":
        return make_url(str(value)).render_as_string(hide_password=True)
    if isinstance(value, frozenset):
        return ",".join(str(item) for item in sorted(value))
    return str(value)


async def check_all(settings: Settings) -> list[tuple[str, bool, str]]:
    """(what, ok, detail) for the database, the Bot API and the listen address."""
    checks: list[tuple[str, Callable[[Settings], Awaitable[str]]]] = [
        ("database", _check_database),
        ("Bot API", _check_bot_api),
        ("listen", _check_listen),
    ]
    results = []
    for what, check in checks:
        try:
            async with asyncio.timeout(CHECK_TIMEOUT):
                results.append((what, True, await check(settings)))
        except TimeoutError:
            results.append((what, False, f"no answer within {CHECK_TIMEOUT:.0f} s"))
        except Exception as error:  # any failure is the finding, whatever its kind
            results.append((what, False, _one_line(error, settings)))
    return results


async def _check_database(settings: Settings) -> str:
    from bot.storage.database import Database
    from bot.web import head_revision, readiness

    if new_file := _new_sqlite_file(settings.database_url):
        return new_file
    db = Database(settings.database_url)
    try:
        failed = await readiness(db)
    finally:
        await db.close()
    if "database" in failed:
        raise ConfigError(failed["database"])
    if "migrations" in failed:  # svodka run migrates at start
        return f"reachable; {failed['migrations']} (svodka run migrates it)"
    return f"reachable, schema at {head_revision()}"


def _new_sqlite_file(database_url: str) -> str | None:
    """What to say of a SQLite file that does not exist yet (None when it does, or for another
    database): checking it by opening would create it."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    path = Path(url.database)
    if path.exists():
        return None
    if not path.parent.is_dir():
        raise ConfigError(f"no folder {path.parent} for the SQLite file")
    return f"{path} does not exist yet; svodka run creates it"


async def _check_bot_api(settings: Settings) -> str:
    token = settings.require_token()
    url = f"{settings.telegram_api.rstrip('/')}/bot{token}/getMe"
    timeout = aiohttp.ClientTimeout(total=CHECK_TIMEOUT)
    async with aiohttp.ClientSession(timeout=timeout) as session, session.get(url) as answer:
        body = await answer.json(content_type=None)
    if not isinstance(body, dict) or body.get("ok") is not True:
        said = body.get("description") if isinstance(body, dict) else None
        raise ConfigError(f"{settings.telegram_api} answered {answer.status}: {said or body!r}")
    username = (body.get("result") or {}).get("username", "?")
    return f"@{username} at {settings.telegram_api}"


async def _check_listen(settings: Settings) -> str:
    address = settings.listen_address()
    if address is None:
        return "off"
    host, port = address
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise ConfigError(
                f"cannot listen on {settings.listen} ({error.strerror or error}); is another"
                " process there? each process needs its own SVODKA_LISTEN"
            ) from None
    return f"{settings.listen} is free"


def _one_line(error: BaseException, settings: Settings) -> str:
    text = str(error) if isinstance(error, ConfigError) else one_line(error)
    hidden = secret_parts(settings.bot_token.get_secret_value()) if settings.bot_token else []
    return redact(text, hidden)


def config_check(settings: Settings) -> int:
    """Print the settings and the checks; 0 when every check passed, else 1."""
    for line in effective_settings(settings):
        print(line)
    results = asyncio.run(check_all(settings))
    for what, ok, detail in results:
        print(f"{'ok' if ok else 'FAILED'}: {what}: {detail}")
    return 0 if all(ok for _, ok, _ in results) else 1
