"""Log lines of `svodka run`: text or JSON (SVODKA_LOG_FORMAT), and never the bot token.

Redaction works on the finished line, after the formatter has added the traceback, so a token
in an exception's text (an error page echoing the request URL, a redirect loop naming it) is
caught as surely as one in a message. Records carry the ids they are about as `extra`
(`chat`, `delivery`, `feed`, `article`); the JSON format writes them as fields.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from datetime import UTC, datetime

IDS = ("chat", "delivery", "feed", "article")
HIDDEN = "***"


def secret_parts(token: str) -> list[str]:
    """What to hide of a bot token: all of it, and the part after the colon on its own (the
    bot id before it is public, and a URL may encode the colon)."""
    _, _, secret = token.partition(":")
    return [part for part in (token, secret) if part]


class Redacting(logging.Formatter):
    """Formats with `inner`, then hides every secret in the whole output."""

    def __init__(self, inner: logging.Formatter, secrets: Iterable[str]) -> None:
        super().__init__()
        self.inner = inner
        self.secrets = sorted((secret for secret in secrets if secret), key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        return redact(self.inner.format(record), self.secrets)


def redact(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, HIDDEN)
    return text


def first_cause(error: BaseException) -> BaseException:
    """The first error inside task groups' ExceptionGroups (the error itself if none)."""
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    return error


def one_line(error: BaseException) -> str:
    """An error as one bounded line (its type and first line; inside an ExceptionGroup, its
    first cause's), without a URL's password: database errors run to pages."""
    error = first_cause(error)
    lines = str(error).strip().splitlines()
    detail = _without_passwords(lines[0][:300]) if lines else ""
    return f"{type(error).__name__}: {detail}" if detail else type(error).__name__


def _without_passwords(text: str) -> str:
    # scheme://user:password@host: the password goes, whatever the scheme
    return re.sub(r"(://[^:/@\s]{0,200}:)[^@\s]{1,200}@", r"\1***@", text)


class JsonLines(logging.Formatter):
    """One JSON object per record: time (UTC, ISO 8601), level, logger, message, the ids given
    as `extra`, and the traceback as `error`."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "role": getattr(record, "role", None),
            "pid": record.process,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in IDS:
            if (value := getattr(record, name, None)) is not None:
                line[name] = value
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


TEXT = "%(asctime)s %(levelname)s %(role)s[%(process)d] %(name)s: %(message)s"
# aiogram logs a line per update at INFO ("Update id=... is handled"): only wanted at DEBUG.
PER_UPDATE_LOGGER = "aiogram.event"


class Origin(logging.Filter):
    """Stamps every record with the process's role (`svodka run --role`); the pid is the
    record's own `process`. Several processes on one host write to one journal."""

    def __init__(self, role: str) -> None:
        super().__init__()
        self.role = role

    def filter(self, record: logging.LogRecord) -> bool:
        record.role = self.role
        return True


def configure_logging(
    *,
    secrets: Iterable[str] = (),
    json_lines: bool = False,
    level: int | str = logging.INFO,
    role: str = "all",
) -> None:
    """Everything the process logs goes to stderr through one handler that hides `secrets`
    and names the role and pid on every line."""
    inner = JsonLines() if json_lines else logging.Formatter(TEXT)
    handler = logging.StreamHandler()
    handler.setFormatter(Redacting(inner, secrets))
    handler.addFilter(Origin(role))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    debug = logging.getLogger().level <= logging.DEBUG
    logging.getLogger(PER_UPDATE_LOGGER).setLevel(logging.NOTSET if debug else logging.WARNING)
