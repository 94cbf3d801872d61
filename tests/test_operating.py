"""The operator's kit: `svodka --version`, `config check`, one-line CLI errors, backup and
restore of a SQLite archive, the role and pid on log lines, and the build and sender metrics."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import socket
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from bot import metrics
from bot.cli import main
from bot.config import Settings
from bot.configcheck import check_all, effective_settings
from bot.logs import configure_logging
from bot.runlock import sole_run
from bot.version import schema_revision
from localapi import LocalBotAPI

SEEDS = Path(__file__).parents[1] / "seeds"
TOKEN = "123456:SECRET-token_value"


@pytest.fixture
def archive(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "svodka.db"
    monkeypatch.setenv("SVODKA_DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    monkeypatch.chdir(tmp_path)  # no stray .env
    return path


def test_version_names_package_and_schema_without_importing_aiogram():
    code = (
        "import sys; from bot.cli import main; main(['--version']);"
        "print(sorted(m for m in ('aiogram', 'sqlalchemy', 'alembic') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    from bot.web import head_revision  # Alembic's own answer

    assert out.splitlines() == [f"svodka 0.1.0 (schema {head_revision()})", "[]"]


def test_the_head_revision_is_the_one_no_script_revises(tmp_path):
    for revision, parent in [("a1", None), ("b2", "a1"), ("c3", "b2")]:
        down = f'"{parent}"' if parent else "None"
        (tmp_path / f"{revision}.py").write_text(
            f'"""x\n\nRevision ID: {revision}\n"""\nrevision: str = "{revision}"\n'
            f"down_revision = {down}\n"
        )
    assert schema_revision.__wrapped__(tmp_path) == "c3"


async def test_config_check_masks_secrets_and_checks_everything(tmp_path):
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    with busy:
        async with LocalBotAPI() as api:
            settings = Settings(
                _env_file=None,
                bot_token=TOKEN,
                telegram_api=api.base_url,
                database_url=f"postgresql+asyncpg://svodka:hunter2@127.0.0.1:1/{tmp_path.name}",
                webhook_secret="webhook-secret",
                listen=f"127.0.0.1:{busy.getsockname()[1]}",
            )
            lines = effective_settings(settings)
            results = {what: (ok, detail) for what, ok, detail in await check_all(settings)}
            free = settings.model_copy(update={"listen": "127.0.0.1:0"})
            assert [ok for _, ok, _ in await check_all(free)][1:] == [True, True]
    shown = "\n".join(lines)
    assert "hunter2" not in shown and "SECRET-token" not in shown and "webhook-secret" not in shown
    assert "BOT_TOKEN=123456:***" in lines and "SVODKA_WEBHOOK_SECRET=***" in lines
    assert "SVODKA_DATABASE_URL=postgresql+asyncpg://svodka:***@127.0.0.1:1/" in shown
    assert results["Bot API"] == (True, f"@svodka_test_bot at {api.base_url}")
    assert results["database"][0] is False and "\n" not in results["database"][1]
    assert results["listen"][0] is False and "each process needs its own" in results["listen"][1]


def test_config_check_exit_status_and_a_new_sqlite_file(archive, capsys, monkeypatch):
    monkeypatch.setenv("SVODKA_LISTEN", "off")
    monkeypatch.setenv("SVODKA_TELEGRAM_API", "http://127.0.0.1:1")
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    assert main(["config", "check"]) == 1
    out = capsys.readouterr().out
    assert f"ok: database: {archive} does not exist yet; svodka run creates it" in out
    assert "FAILED: Bot API: ClientConnectorError" in out and "SECRET-token" not in out
    assert "ok: listen: off" in out
    assert not archive.exists()


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        (["run", "--role", "worker"], {}, "svodka: --role worker needs PostgreSQL"),
        (
            ["latest"],
            {"SVODKA_DATABSE_URL": "x"},
            "svodka: SVODKA_DATABSE_URL: unknown setting; did you mean SVODKA_DATABASE_URL?",
        ),
        (
            ["latest"],
            {"SVODKA_DATABASE_URL": "postgresql+asyncpg://u:hunter2@127.0.0.1:1/x"},
            "svodka: ",
        ),
        (["db", "copy", "--to", "nonsense"], {}, "svodka: --to: not a database URL"),
        (["db", "restore", "missing.db"], {}, "svodka: no file missing.db"),
    ],
)
def test_cli_errors_are_one_line(archive, capsys, monkeypatch, argv, env, message):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(argv) != 0
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1, err
    assert "hunter2" not in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        ([], "svodka: a command is required (see svodka --help)"),
        (["latest", "-n", "x"], "svodka latest: argument -n: expected a number from 1 to 10000"),
        (["db", "copy"], "svodka db copy: the following arguments are required: --to"),
    ],
)
def test_a_malformed_command_line_is_one_line(capsys, argv, line):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.startswith(line) and err.count("\n") == 1, err


def _write_while(path: Path, stop: threading.Event) -> int:
    """Rows added to `path` by another connection until `stop`: a bot that keeps running."""
    added = 0
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA busy_timeout=10000")
        while not stop.is_set():
            conn.execute("INSERT INTO markers VALUES (?, ?)", (f"m{added}", "x" * 2000))
            conn.commit()
            added += 1
    return added


def test_backup_while_writing_is_consistent_and_restore_guards_the_live_archive(archive, capsys):
    assert main(["ingest", str(SEEDS)]) == 0
    stop = threading.Event()
    writer = threading.Thread(target=_write_while, args=(archive, stop))
    writer.start()
    try:
        assert main(["db", "backup", "copy.db"]) == 0
    finally:
        stop.set()
        writer.join()
    with sqlite3.connect("copy.db") as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute("SELECT count(*) FROM articles").fetchone()[0] == len(
            list(SEEDS.glob("*.txt"))
        )
        markers = copy.execute("SELECT count(*) FROM markers").fetchone()[0]
    capsys.readouterr()
    with sole_run(f"sqlite+aiosqlite:///{archive}"):  # `svodka run` holds the archive
        assert main(["db", "restore", "copy.db"]) == 2
        assert "stop it first, or restore with --force" in capsys.readouterr().err
        assert main(["db", "restore", "copy.db", "--force"]) == 0
    with sqlite3.connect(archive) as restored:
        assert restored.execute("SELECT count(*) FROM markers").fetchone()[0] == markers


def test_postgresql_backup_prints_the_pg_dump_command(capsys, monkeypatch):
    monkeypatch.setenv("SVODKA_DATABASE_URL", "postgresql+asyncpg://svodka:pw@db.local:5433/news")
    assert main(["db", "backup", "news.dump"]) == 2
    out, err = capsys.readouterr()
    assert (
        out == "pg_dump --format=custom --file=news.dump postgresql://svodka@db.local:5433/news\n"
    )
    assert "pg_dump" in err and "pw" not in out


@pytest.mark.parametrize("json_lines", [False, True])
@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
def test_log_lines_name_role_and_pid_and_per_update_lines_wait_for_debug(json_lines, level):
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging(json_lines=json_lines, level=level, role="worker")
        buffer = io.StringIO()
        root.handlers[0].setStream(buffer)
        logging.getLogger("bot.delivery").info("sent")
        logging.getLogger("aiogram.event").info("Update id=1 is handled")
    finally:
        root.handlers[:], root.level = saved
        logging.getLogger("aiogram.event").setLevel(logging.NOTSET)
    lines = buffer.getvalue().splitlines()
    assert len(lines) == (2 if level == "DEBUG" else 1)
    if json_lines:
        first = json.loads(lines[0])
        assert (first["role"], first["pid"]) == ("worker", os.getpid())
    else:
        assert f" worker[{os.getpid()}] bot.delivery: sent" in lines[0]


async def test_build_info_and_the_sender_gauge(tmp_path):
    from bot.delivery.election import SenderLock
    from bot.storage.database import Database
    from bot.storage.migrate import upgrade

    metrics.build_info()
    labels = {"role": metrics.role(), "version": "0.1.0", "revision": schema_revision()}
    assert REGISTRY.get_sample_value("svodka_build_info", labels) == 1
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'sender.db'}")
    sender = {"role": metrics.role(), "worker": "w1"}
    try:
        await upgrade(db)  # taking the sender's turn frees the outbox's claims
        async with SenderLock(db, "w1", poll=0.1).held(asyncio.Event()):
            assert REGISTRY.get_sample_value("svodka_sender", sender) == 1
    finally:
        await db.close()
    assert REGISTRY.get_sample_value("svodka_sender", sender) == 0
