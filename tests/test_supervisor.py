"""The supervisor of background loops (bot/supervisor.py), on a fake clock: nothing sleeps."""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from bot.metrics import Loops
from bot.storage.database import Database
from bot.supervisor import (
    DatabaseUnreachable,
    LoopGaveUp,
    Supervisor,
    give_up_when_silent,
    wait_for_database,
)

REPO = Path(__file__).resolve().parents[1]
LOST = OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))
NOWHERE = "postgresql+asyncpg://nobody@127.0.0.1:1/none"  # nothing listens on port 1


class FakeTime:
    """A clock that only the supervisor's pauses move; each pause is recorded."""

    def __init__(self) -> None:
        self.now = 0.0
        self.pauses: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def pause(self, stop: asyncio.Event, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def supervisor(time: FakeTime, *, give_up: float = 300.0, rand: float = 1.0) -> Supervisor:
    return Supervisor(
        give_up, loops=Loops(clock=time), clock=time, pause=time.pause, rand=lambda: rand
    )


def failing(times: int, error: Exception = LOST, *, then=None):
    """A loop body that fails `times` times, then runs `then(ran)` (or one pass) and ends."""
    calls = []

    async def body(ran) -> None:
        calls.append(ran)
        if len(calls) <= times:
            raise error
        if then is not None:
            await then(ran)
        else:
            ran()

    return body, calls


@pytest.mark.parametrize(
    ("rand", "pauses"),
    [
        (1.0, [1, 2, 4, 8, 10, 10, 10]),  # doubling, capped at 10 s
        (0.0, [0.5, 1, 2, 4, 5, 5, 5]),  # jitter: never below half
    ],
)
async def test_a_failing_loop_backs_off_doubling_capped_and_jittered(rand, pauses):
    time = FakeTime()
    body, calls = failing(7)
    await supervisor(time, rand=rand).run("delivery.send", 1.0, body, asyncio.Event())
    assert time.pauses == pauses
    assert len(calls) == 8  # seven failures, then the pass that ended it


async def test_each_failure_is_one_line_and_readiness_says_failing_until_a_pass(caplog):
    time = FakeTime()
    sup = supervisor(time)
    seen: list[list[str]] = []

    async def then(ran) -> None:
        seen.append(sup.loops.problems())
        ran()
        seen.append(sup.loops.problems())

    body, _ = failing(3, then=then)
    with caplog.at_level(logging.INFO, logger="bot.supervisor"):
        await sup.run("feeds", 60.0, body, asyncio.Event())
    assert seen == [["feeds failing for 7 s (OperationalError)"], []]  # since the first of 3
    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) == 4 and lines[-1] == "feeds resumed"
    assert lines[0].startswith("feeds failed (OperationalError: (builtins.ConnectionRefusedError)")
    assert "retrying in 1.0 s" in lines[0]
    assert not any(record.exc_info for record in caplog.records)  # no traceback


async def test_a_bug_gets_its_traceback_once_per_streak(caplog):
    time = FakeTime()
    body, _ = failing(3, KeyError("bug"))
    with caplog.at_level(logging.WARNING, logger="bot.supervisor"):
        await supervisor(time).run("delivery.scan_pushes", 3.0, body, asyncio.Event())
    assert [bool(record.exc_info) for record in caplog.records] == [True, False, False]


async def test_a_loop_that_cannot_resume_gives_up_after_the_setting():
    time = FakeTime()
    body, calls = failing(10**6)
    with pytest.raises(LoopGaveUp, match=r"delivery.send failed for 100 s .*GIVE_UP=100\)"):
        await supervisor(time, give_up=100).run("delivery.send", 1.0, body, asyncio.Event())
    assert time.now == 100  # the last wait is cut to end at the give-up point, not past it
    assert time.pauses == [1, 2, 4, 8, *[10] * 8, 5]
    assert len(calls) == 14


async def test_a_completed_pass_starts_the_give_up_time_anew():
    """Failing from 0 to 85 s, a pass, failing until 160 s, a pass: never 100 s without one."""
    time = FakeTime()
    passes_from = [80.0, 160.0]

    async def body(ran) -> None:
        if time.now >= passes_from[0]:
            ran()
            passes_from.pop(0)
            if not passes_from:
                return
        raise LOST

    await supervisor(time, give_up=100).run("feeds", 60.0, body, asyncio.Event())
    assert time.now == 160


async def test_stop_during_the_backoff_ends_the_loop_without_another_try():
    time = FakeTime()
    stop = asyncio.Event()
    body, calls = failing(10**6)

    async def pause(event: asyncio.Event, seconds: float) -> None:
        stop.set()
        assert event is stop  # the backoff is cut short by a stop

    sup = supervisor(time)
    sup.pause = pause
    await sup.run("delivery.heartbeat", 3.0, body, stop)
    assert len(calls) == 1
    assert sup.loops.problems() == []  # a loop that ended is no longer watched


@pytest.mark.parametrize(("passes_at", "gives_up_at"), [((), 30), ((20,), 50), ((20, 45), 75)])
async def test_a_loop_that_retries_by_itself_is_given_up_when_silent(passes_at, gives_up_at):
    """aiogram's long polling retries forever; past the setting without a pass, it is over."""
    time = FakeTime()
    loops = Loops(clock=time)
    with loops.watch("polling", 10.0) as ran:

        async def pause(stop: asyncio.Event, seconds: float) -> None:
            await time.pause(stop, seconds)
            if time.now in passes_at:
                ran()

        with pytest.raises(LoopGaveUp, match=r"polling completed no pass for 30 s"):
            await give_up_when_silent("polling", 30, loops=loops, pause=pause)
    assert time.now == gives_up_at


async def test_the_start_waits_for_the_database_logging_every_5_s_then_one_error(caplog):
    time = FakeTime()
    db = Database(NOWHERE)
    try:
        with (
            caplog.at_level(logging.WARNING, logger="bot.supervisor"),
            pytest.raises(DatabaseUnreachable, match=r"did not answer for 12 s"),
        ):
            await wait_for_database(db, 12, clock=time, pause=time.pause)
    finally:
        await db.close()
    assert time.now == 12 and set(time.pauses) == {1.0}
    assert len(caplog.records) == 3  # at 0, 5 and 10 s
    assert all(r.getMessage().startswith("waiting for the database: ") for r in caplog.records)


async def test_a_database_that_answers_is_not_waited_for(tmp_path):
    time = FakeTime()
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'up.db'}")
    try:
        await wait_for_database(db, 12, clock=time, pause=time.pause)
    finally:
        await db.close()
    assert time.pauses == []


@pytest.mark.processes
async def test_run_with_an_unreachable_database_exits_1_with_one_line(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "BOT_TOKEN": "123456:TEST",
        "SVODKA_DATABASE_URL": NOWHERE,
        "SVODKA_LISTEN": "off",
        "SVODKA_LOOP_GIVE_UP": "1",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--role", "worker", cwd=REPO, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    lines = [line for line in output.decode().splitlines() if "alembic" not in line]
    assert process.returncode == 1
    assert "Traceback" not in output.decode()
    assert len(lines) == 2, lines
    assert "WARNING" in lines[0] and "waiting for the database: ConnectionRefusedError" in lines[0]
    assert "CRITICAL" in lines[1] and "cannot run: the database did not answer for 1 s" in lines[1]
