"""The ingest worker pool does not outlive the process that started it."""

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# A bot stand-in: starts the pool, writes its worker's pid to a file, then waits to be killed.
HOLDER = """
import asyncio, os, sys
from pathlib import Path
from bot.ingest.offload import ProcessOffload

async def main():
    offload = ProcessOffload(1)
    Path(sys.argv[1]).write_text(str(await offload.run(os.getpid)))
    await asyncio.sleep(60)

asyncio.run(main())
"""


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def wait_for(check, seconds: float) -> bool:
    for _ in range(int(seconds * 10)):
        if check():
            return True
        await asyncio.sleep(0.1)
    return check()


@pytest.mark.processes
async def test_workers_end_when_the_bot_is_killed(tmp_path):
    pid_file = tmp_path / "worker.pid"
    holder = await asyncio.create_subprocess_exec(
        sys.executable, "-c", HOLDER, str(pid_file), cwd=ROOT, stdout=asyncio.subprocess.DEVNULL
    )
    try:
        assert await wait_for(lambda: pid_file.exists() and pid_file.read_text(), 30)
        worker = int(pid_file.read_text())
        assert alive(worker)
    finally:
        holder.send_signal(signal.SIGKILL)
        await holder.wait()
    if not await wait_for(lambda: not alive(worker), 10):
        os.kill(worker, signal.SIGKILL)  # leave nothing behind, whatever the verdict
        raise AssertionError(f"worker {worker} outlived its bot")
