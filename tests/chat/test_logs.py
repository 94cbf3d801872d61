"""Log lines (bot/logs.py): text or JSON, the ids involved, and never the token, tracebacks
included."""

from __future__ import annotations

import io
import json
import logging
import os

import pytest

from bot.logs import JsonLines, Redacting, configure_logging, secret_parts

TOKEN = "123456:AAE-secret_part"


@pytest.fixture
def captured():
    """The root logger writing to a buffer through configure_logging's handler."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level

    def configure(**options) -> io.StringIO:
        configure_logging(secrets=secret_parts(TOKEN), **options)
        buffer = io.StringIO()
        root.handlers[0].setStream(buffer)
        return buffer

    yield configure
    root.handlers[:], root.level = saved


def fail_with_token() -> None:
    try:
        raise ConnectionError(f"cannot reach https://api.telegram.org/bot{TOKEN}/getMe")
    except ConnectionError as error:
        raise RuntimeError("request failed") from error


@pytest.mark.parametrize("json_lines", [False, True])
def test_the_token_is_hidden_in_messages_arguments_and_tracebacks(captured, json_lines):
    out = captured(json_lines=json_lines)
    log = logging.getLogger("test.logs")
    log.info("calling https://api.telegram.org/bot%s/getMe", TOKEN)
    log.info("the secret alone, url-encoded: 123456%%3A%s", TOKEN.split(":")[1])
    try:
        fail_with_token()
    except RuntimeError:
        log.exception("poll failed")
    log.warning("stack", stack_info=True, extra={"chat": 1})
    text = out.getvalue()
    assert TOKEN not in text and TOKEN.split(":")[1] not in text
    assert "bot***/getMe" in text
    assert "ConnectionError: cannot reach https://api.telegram.org/bot***/getMe" in text


def test_json_lines_carry_time_level_logger_message_ids_and_error(captured):
    out = captured(json_lines=True)
    log = logging.getLogger("bot.delivery.worker")
    log.info("sent %s", "article:7", extra={"chat": -100123, "delivery": 55, "article": 7})
    try:
        fail_with_token()
    except RuntimeError:
        log.exception("feed %s: poll failed", "https://example.org/rss", extra={"feed": 3})
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert set(first) == {
        *("time", "level", "role", "pid", "logger", "message", "chat", "delivery", "article")
    }
    assert first["time"].endswith("+00:00") and "T" in first["time"]
    assert (first["level"], first["logger"], first["message"]) == (
        "INFO",
        "bot.delivery.worker",
        "sent article:7",
    )
    assert (first["chat"], first["delivery"], first["article"]) == (-100123, 55, 7)
    assert second["feed"] == 3 and second["level"] == "ERROR"
    assert second["error"].startswith("Traceback") and "bot***/getMe" in second["error"]


def test_text_lines_keep_the_traceback_below_the_message(captured):
    out = captured()
    try:
        fail_with_token()
    except RuntimeError:
        logging.getLogger("x").exception("boom")
    lines = out.getvalue().splitlines()
    assert lines[0].endswith(f"ERROR all[{os.getpid()}] x: boom")
    assert lines[-1] == "RuntimeError: request failed"


def test_redacting_wraps_any_formatter():
    record = logging.LogRecord("n", logging.INFO, __file__, 1, "token %s", (TOKEN,), None)
    assert json.loads(Redacting(JsonLines(), [TOKEN]).format(record))["message"] == "token ***"
