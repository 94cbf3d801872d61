"""A real `svodka run --role worker` whose PostgreSQL connection is cut, through a TCP forwarder,
for about 1 s and then for about 20 s in the middle of a broadcast.

What is checked: the worker stays up and every loop comes back (each passes again after the
second cut, as /metrics shows); health tells the truth during the cut (/healthz alive, /readyz
and `svodka health` not ready, naming the failing loops) and after it (ready); every chat gets
the broadcast, and a cut duplicates at most the messages in flight
(SVODKA_DELIVERY_CONCURRENCY); failures are logged one line each, without tracebacks. Runs once
(PostgreSQL only), bounded in time, and stops only the process it started.
"""

from __future__ import annotations

import asyncio
import bisect
import re
import sys
import time
from collections import Counter

import aiohttp
import pytest
from sqlalchemy.engine import make_url

from bot.delivery.outbox import Outbox, article_item
from bot.storage.schema import utcnow
from localapi import Fault, LocalBotAPI
from tests.support.cluster import Processes, free_port
from tests.support.forwarder import TcpForwarder
from tests.test_several_processes import (
    REPO,
    database,  # noqa: F401 (the fixture)
    prepare_broadcast,
    process_env,
    rows_sent,
    wait_until,
)

pytestmark = pytest.mark.processes  # starts real svodka processes

CHATS = 300  # of the 600 chats prepare_broadcast adds
CONCURRENCY = 4
SEND_TIME = 0.1  # seconds each sendMessage takes: CONCURRENCY messages are always in flight
LOOPS = ("delivery.send", "delivery.heartbeat", "delivery.scan_pushes", "delivery.enqueue_digests")
CUTS = (1.0, 20.0)  # seconds


async def get(url: str) -> tuple[int, dict | str]:
    async with aiohttp.ClientSession() as session, session.get(url) as answer:
        if answer.content_type == "application/json":
            return answer.status, await answer.json()
        return answer.status, await answer.text()


async def svodka_health(env: dict[str, str]) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "health", cwd=REPO, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), 30)
    return process.returncode, output.decode().strip()


async def health_during(base: str, env: dict[str, str], *, after: float) -> tuple:
    """/healthz, /readyz and (in a cut long enough for it) `svodka health`, `after` seconds
    into a cut."""
    await asyncio.sleep(after)
    alive, ready = await get(f"{base}/healthz"), await get(f"{base}/readyz")
    return alive, ready, (await svodka_health(env) if after > 5 else None)


def loop_passes(metrics: str) -> dict[str, float]:
    """When each loop last passed, from svodka_loop_last_run_timestamp_seconds."""
    found = re.findall(r"^svodka_loop_last_run_timestamp_seconds\{(.*)\} (\S+)$", metrics, re.M)
    return {re.search(r'loop="([^"]+)"', labels)[1]: float(value) for labels, value in found}


async def test_a_worker_survives_database_cuts_and_health_tells_the_truth(
    database,  # noqa: F811 (the fixture)
    tmp_path,
):
    url = make_url(database.url.render_as_string(hide_password=False))
    forwarder = TcpForwarder(url.host or "127.0.0.1", url.port or 5432)
    port = await forwarder.start()
    listen = f"127.0.0.1:{free_port()}"
    async with LocalBotAPI() as api:
        api.fail(Fault.slow(SEND_TIME), method="sendMessage", times=None)
        env = {
            **process_env(database, api),
            "SVODKA_DATABASE_URL": url.set(port=port).render_as_string(hide_password=False),
            "SVODKA_LISTEN": listen,
            "SVODKA_DELIVERY_CONCURRENCY": str(CONCURRENCY),
            "SVODKA_DIGEST_CHECK_INTERVAL": "2",
        }
        processes = Processes(tmp_path, env, cwd=REPO)
        base = f"http://{listen}"
        try:
            worker = await processes.start("worker", "--role", "worker")
            await processes.wait_logged(worker, "listening on")
            article = await prepare_broadcast(database)
            await Outbox(database, utcnow).enqueue(
                [
                    {"chat_id": c, "item": article_item(article), "article_id": article}
                    for c in range(1, CHATS + 1)
                ]
            )
            during, after, cut_times = [], [], []
            for n, seconds in enumerate(CUTS, start=1):

                async def received(at_least: int = 60 * n) -> bool:
                    return len(api.sent_messages()) >= at_least

                await wait_until(received, within=60)
                cut_at = time.time()
                cut_times.append(time.monotonic())
                await forwarder.cut()
                probes = asyncio.create_task(health_during(base, env, after=seconds / 2))
                await asyncio.sleep(seconds)
                await forwarder.start()
                during.append(await probes)

                async def ready() -> bool:
                    return (await get(f"{base}/readyz"))[0] == 200

                await wait_until(ready, within=45, step=0.5)
                after.append((await svodka_health(env), worker.returncode))

            async def all_sent() -> bool:
                return await rows_sent(database) == CHATS

            await wait_until(all_sent, within=60)
            restored_at = cut_at + CUTS[-1]

            async def every_loop_passed_again() -> bool:
                passes = loop_passes((await get(f"{base}/metrics"))[1])
                return all(passes.get(name, 0) > restored_at for name in LOOPS)

            await wait_until(every_loop_passed_again, within=15, step=0.5)
        finally:
            await processes.stop_all()
        log = processes.log(worker)
    await forwarder.close()

    received = Counter(m["chat"]["id"] for m in api.sent_messages())
    twice = {chat for chat, times in received.items() if times > 1}
    first_sent = {}
    for call in api.calls_to("sendMessage"):
        first_sent.setdefault(int(call.params["chat_id"]), call.at)
    # A duplicate is a message in flight at a cut: counted for the last cut that began
    # before its first copy had been out a second.
    per_cut = Counter(bisect.bisect(cut_times, first_sent[chat] - 1.0) for chat in twice)
    failures = [line for line in log.splitlines() if "failed (" in line and "retrying in" in line]
    print(
        f"\n{CHATS} chats, {CONCURRENCY} in flight; cuts {CUTS} s: chats twice by cut {per_cut}; "
        f"{len(failures)} loop failures logged; after the cuts: {after}"
    )
    for alive, readyz, health in during:
        assert alive == (200, {"alive": True})
        assert readyz[0] == 503 and "delivery.send failing for" in readyz[1]["failed"]["loops"]
        assert health is None or (health[0] == 1 and health[1].startswith("not ready: "))
    for health, returncode in after:
        assert health[0] == 0 and health[1].startswith("ready: ")
        assert returncode is None  # the same process, not a restart
    assert set(received) == set(range(1, CHATS + 1))  # every chat, and no other
    assert max(received.values()) <= 2
    assert max(per_cut.values(), default=0) <= CONCURRENCY, per_cut
    assert worker.returncode == 0  # a clean stop at the end
    assert failures and "Traceback" not in log
