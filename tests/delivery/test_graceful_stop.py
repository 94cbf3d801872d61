"""SIGTERM to a real `svodka run` mid-broadcast: it stops taking updates, lets the sends in
flight finish for at most SVODKA_SHUTDOWN_GRACE seconds, hands back the rows it had claimed
(due now, not after the lease) and exits 0."""

from __future__ import annotations

import asyncio
import re
import shlex
import signal
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.delivery.outbox import Outbox, article_item
from bot.storage.schema import deliveries, utcnow
from localapi import DEFAULT_USER, Fault
from tests.chat.test_run import clean_env

pytestmark = pytest.mark.processes  # starts real svodka processes

OPERATING = Path(__file__).resolve().parents[2] / "docs" / "operating.md"
CHATS = 40  # all claimed in the first batch (SVODKA_DELIVERY_RATE x 2 s = 60 rows)
CONCURRENCY = 4


async def outbox_state(db) -> tuple[int, int, object]:
    """Rows sent, rows pending, and the latest time a pending row is due."""
    async with db.read() as conn:
        sent = await conn.scalar(
            select(func.count()).select_from(deliveries).where(deliveries.c.state == "sent")
        )
        pending, due = (
            await conn.execute(
                select(func.count(), func.max(deliveries.c.next_attempt_at)).where(
                    deliveries.c.state == "pending"
                )
            )
        ).one()
    return sent, pending, due


def systemd_unit() -> tuple[str, dict[str, str], int]:
    """The documented systemd unit: ExecStart, its Environment= settings, TimeoutStopSec."""
    unit = OPERATING.read_text(encoding="utf-8").split("```ini\n", 1)[1].split("```", 1)[0]
    command = re.search(r"^ExecStart=(.+)$", unit, re.M).group(1)
    settings = re.search(r"^Environment=(.+)$", unit, re.M).group(1)
    environment = dict(item.split("=", 1) for item in shlex.split(settings))
    return command, environment, int(re.search(r"^TimeoutStopSec=(\d+)$", unit, re.M).group(1))


@pytest.mark.parametrize(
    ("answer_after", "grace", "finished"),
    [(2.0, None, True), (60.0, 1, False)],
    ids=["in-flight-finish", "grace-runs-out"],
)
async def test_sigterm_finishes_in_flight_hands_back_claims_exits_0(
    sqlite_world, bot_api, tmp_path, answer_after, grace, finished
):
    article = await sqlite_world.article("Срочная новость")
    for chat_id in range(1, CHATS + 1):
        await sqlite_world.chat(chat_id)
    rows = [{"chat_id": chat, "item": article_item(article), "article_id": article}
            for chat in range(1, CHATS + 1)]  # fmt: skip
    await Outbox(sqlite_world.db, utcnow).enqueue(rows)
    # Telegram takes `answer_after` seconds to confirm each message (it is delivered at once).
    # A user's answer takes longer than the pushes: the stop waits for it too, within the grace.
    bot_api.fail(Fault.slow(answer_after * 2), chat_id=DEFAULT_USER["id"])
    bot_api.fail(Fault.slow(answer_after), times=None)
    # The documented systemd unit as it is (`svodka run` is `python -m bot run`), on a free port.
    command, unit_env, stop_timeout = systemd_unit()
    assert command.endswith("/svodka run")
    grace = grace or float(unit_env["SVODKA_SHUTDOWN_GRACE"])
    env = clean_env(
        tmp_path,
        **{
            **unit_env,
            "BOT_TOKEN": "123456:TEST",
            "SVODKA_DATABASE_URL": str(sqlite_world.db.url),
            "SVODKA_TELEGRAM_API": bot_api.base_url,
            "SVODKA_DELIVERY_CONCURRENCY": str(CONCURRENCY),
            "SVODKA_SHUTDOWN_GRACE": str(grace),
            "SVODKA_LISTEN": "127.0.0.1:0",
        },
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        await bot_api.wait_for("sendMessage", count=CONCURRENCY, timeout=60)
        bot_api.inject_message("/help")  # its answer is in flight at the stop too
        await bot_api.wait_for(lambda call: call.chat_id == DEFAULT_USER["id"], timeout=30)
    finally:
        signalled = time.monotonic()
        process.send_signal(signal.SIGTERM)
    await asyncio.sleep(0.5)  # polling has stopped by now: this update stays with the server
    late = bot_api.inject_message("/start")
    output, _ = await asyncio.wait_for(process.communicate(), stop_timeout + 30)
    stopped_in = time.monotonic() - signalled
    log = output.decode()

    assert process.returncode == 0, log[-3000:]
    assert stopped_in < stop_timeout  # before systemd would kill it
    assert late in bot_api.pending_updates()  # taken no more
    answers = bot_api.sent_messages(DEFAULT_USER["id"])
    assert answers[0]["text"].startswith("Что я умею")
    if finished:  # the answer in flight had the grace to finish: no update failed
        assert len(answers) == 1
        assert not re.search(r"update \d+ failed", log) and "still being handled" not in log
    else:
        assert "stopping with 1 updates still being handled" in log
    sent, pending, due = await outbox_state(sqlite_world.db)
    reached = sum(1 for sent_to in bot_api.sent_messages() if sent_to["chat"]["id"] <= CHATS)
    assert sent + pending == CHATS and pending > 0
    assert due <= utcnow()  # handed back: due now, not at the end of the 120 s lease
    assert "claimed deliveries handed back" in log
    assert all(line.startswith("{") for line in log.splitlines())  # SVODKA_LOG_FORMAT=json
    if finished:
        assert sent == reached >= CONCURRENCY  # every message in flight was confirmed
        assert stopped_in < grace
    else:
        assert sent == 0 and reached >= CONCURRENCY  # cut off: they may arrive twice later
        assert stopped_in < grace + 10  # the grace, then the pool and session closing
