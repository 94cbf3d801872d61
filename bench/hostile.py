"""Hostile input benchmark (`make bench`): how long other users wait for an answer while the bot
ingests feeds built to hurt, while 300 users write at once, and while one user floods it.

    python bench/hostile.py [--probe-seconds 20]

The bot is the real `svodka run` in a process of its own (feed poller with its worker
processes, delivery), long-polling a local Bot API server, on the seed archive; the feeds are
served by a local HTTP server in this process. While the bot polls its feeds, a probe user
after another sends /latest and waits for the answer (one at a time, 20 a second at most); an
answer's time runs from the update being queued on the server to the server receiving the
bot's sendMessage. Scenarios, each on a fresh copy of the archive, in one run:

- an ordinary feed (20 articles): the baseline;
- the same feed next to hostile ones: 20,000 `&lt;script ` in an entry (222 KB), a title of
  40,000 `&lt;`, links to javascript: and to 12 item pages that answer after 5 s, a feed
  nested 200,000 levels deep, and a 5 MB feed of tiny items;
- 300 new users send /help (then, another time, /latest) at the same moment, then 5 others
  send /latest: the others' answer times;
- one user sends 2,000 /help at once, then 5 others send /latest: the others' answer times,
  how many of the flood were answered, and the bot's memory before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from email.utils import format_datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from aiohttp import web  # noqa: E402
from report import print_targets  # noqa: E402  (bench/ is on sys.path)

from localapi import LocalBotAPI, user  # noqa: E402

TOKEN = "123456:BENCH"
TARGET_MS = 1000.0
START_TIMEOUT = 120.0
CROWD = 300
FLOOD = 2000
OTHERS = 5
SLOW_PAGES = 12
FEED_BYTES = 5_000_000


# --- the feeds ------------------------------------------------------------------------------


def sentences() -> list[str]:
    text = " ".join(path.read_text() for path in sorted((ROOT / "seeds").glob("*.txt")))
    return [part.strip() + "." for part in text.split(". ") if len(part.split()) >= 6]


def rss(items: list[str], title: str = "Лента") -> bytes:
    head = (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}</title>'
    )
    return (head + "".join(items) + "</channel></rss>").encode()


def item(title: str, link: str, text: str, number: int) -> str:
    date = format_datetime(time_of(number))
    return (
        f"<item><title>{title}</title><link>{link}</link><description>{text}</description>"
        f"<pubDate>{date}</pubDate></item>"
    )


def time_of(number: int):
    from datetime import UTC, datetime, timedelta

    return datetime.now(UTC) - timedelta(minutes=number)


def ordinary_feed(base: str, pool: list[str]) -> bytes:
    items = [
        item(f"Новость номер {number}", f"{base}/ordinary/{number}",
             " ".join(pool[(number * 7 + k) % len(pool)] for k in range(8)), number)
        for number in range(20)
    ]  # fmt: skip
    return rss(items, "Обычная лента")


def hostile_feed(base: str, pool: list[str]) -> bytes:
    text = " ".join(pool[:8])
    items = [
        item("Скрипты", f"{base}/hostile/1", "&lt;script " * 20_000, 1),
        item("&lt;" * 40_000, f"{base}/hostile/2", text, 2),
        item("Ссылка", "javascript:alert(document.cookie)", text + " Ещё одна.", 3),
    ] + [
        item(f"Медленная {number}", f"{base}/slow/{number}", "Коротко.", 10 + number)
        for number in range(SLOW_PAGES)
    ]
    return rss(items, "Враждебная лента")


def deep_feed() -> bytes:
    return rss(["<a>" * 200_000 + "</a>" * 200_000], "Глубокая лента")


def huge_feed(base: str) -> bytes:
    items: list[str] = []
    size = 0
    while size < FEED_BYTES:
        entry = f"<item><title>{len(items)}</title><link>{base}/t/{len(items)}</link></item>"
        items.append(entry)
        size += len(entry)
    return rss(items, "Огромная лента")


async def serve_feeds(feeds: dict[str, bytes]) -> tuple[web.AppRunner, str]:
    async def feed(request: web.Request) -> web.Response:
        return web.Response(
            body=feeds[request.match_info["name"]], content_type="application/rss+xml"
        )

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.Response(
            text="<html><body><p>Поздно.</p></body></html>", content_type="text/html"
        )

    app = web.Application()
    app.router.add_get("/feed/{name}", feed)
    app.router.add_get("/slow/{number}", slow)
    runner = web.AppRunner(app, handler_cancellation=True)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}"


# --- the bot --------------------------------------------------------------------------------


async def seed(path: Path) -> None:
    from bot.config import Settings
    from bot.demo import seed_archive
    from bot.storage.database import Database
    from bot.storage.migrate import upgrade

    db = Database(f"sqlite+aiosqlite:///{path}")
    await upgrade(db)
    await seed_archive(db, Settings())
    await db.close()


async def add_feeds(path: Path, urls: list[str]) -> None:
    from bot.storage import sources
    from bot.storage.database import Database

    db = Database(f"sqlite+aiosqlite:///{path}")
    async with db.transaction() as conn:
        for url in urls:
            await sources.add_feed(conn, url, poll_interval=3600)
    await db.close()


async def feeds_state(path: Path) -> tuple[bool, int, list[str]]:
    """Whether every feed was polled, the articles stored, and the feeds that failed (why)."""
    from bot.storage import articles, sources
    from bot.storage.database import Database

    db = Database(f"sqlite+aiosqlite:///{path}")
    async with db.read() as conn:
        feeds = await sources.list_feeds(conn)
        stored = await articles.count(conn)
    await db.close()
    failed = [
        f"{feed.url.rsplit('/', 1)[-1]}: {feed.last_error}" for feed in feeds if feed.failures
    ]
    return all(feed.last_polled_at for feed in feeds), stored, failed


class Bot:
    """`svodka run` on a database, against a local Bot API server."""

    def __init__(self, api: LocalBotAPI, database: Path) -> None:
        self.api, self.database = api, database
        self.process: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> Bot:
        env = {key: value for key, value in os.environ.items() if not key.startswith("SVODKA_")}
        env |= {
            "BOT_TOKEN": TOKEN,
            "SVODKA_TELEGRAM_API": self.api.base_url,
            "SVODKA_DATABASE_URL": f"sqlite+aiosqlite:///{self.database}",
            "SVODKA_ALLOW_PRIVATE_URLS": "true",  # the feeds are on 127.0.0.1
            "SVODKA_LISTEN": "off",
        }
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=env, cwd=self.database.parent,
            stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        await self.api.wait_for("setMyCommands", count=2, timeout=START_TIMEOUT)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGINT)
        await self.process.wait()

    def rss_mb(self) -> float:
        assert self.process is not None
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        line = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
        return int(line.split()[1]) / 1024


async def answer_times(api: LocalBotAPI, people: list[dict], text: str) -> list[float]:
    """Each of `people` sends `text` at once; each one's answer time, ms."""
    sent_at: dict[int, float] = {}
    for person in people:
        sent_at[person["id"]] = time.monotonic()
        api.inject_message(text, user=person)
    replies = await api.wait_for(
        lambda call: call.method == "sendMessage" and call.chat_id in sent_at,
        count=len(people),
        timeout=300,
    )
    first: dict[int, float] = {}
    for call in replies:
        first.setdefault(call.chat_id, (call.at - sent_at[call.chat_id]) * 1000)
    return list(first.values())


async def probe_while_polling(bot: Bot, first_user: int, minimum: float) -> dict:
    """Probe users ask /latest one after another until every feed was polled (and at least
    `minimum` seconds); their answer times and how long the polling took."""
    started = time.monotonic()
    times: list[float] = []
    number = first_user
    polled_in = None
    while True:
        [latency] = await answer_times(bot.api, [user(number, "Проба")], "/latest")
        times.append(latency)
        number += 1
        elapsed = time.monotonic() - started
        if polled_in is None and (await feeds_state(bot.database))[0]:
            polled_in = elapsed
        if polled_in is not None and elapsed >= minimum:
            break
        await asyncio.sleep(0.05)
    _, stored, failed = await feeds_state(bot.database)
    return {"times": times, "polled_in": polled_in, "stored": stored, "failed": failed}


async def feeds_scenario(template: Path, folder: Path, feeds: list[str], minimum: float) -> dict:
    database = folder / f"feeds-{len(feeds)}.db"
    shutil.copyfile(template, database)
    await add_feeds(database, feeds)
    async with LocalBotAPI() as api, Bot(api, database) as bot:
        await answer_times(api, [user(10, "Разогрев")], "/latest")  # warm-up, not counted
        return await probe_while_polling(bot, 100_000, minimum)


async def crowd_scenario(template: Path, folder: Path, command: str) -> dict:
    database = folder / f"crowd{command.replace('/', '-')}.db"
    shutil.copyfile(template, database)
    async with LocalBotAPI() as api, Bot(api, database):
        await answer_times(api, [user(10, "Разогрев")], "/latest")
        crowd = [user(200_000 + index, "Толпа") for index in range(CROWD)]
        others = [user(300_000 + index, "Другой") for index in range(OTHERS)]
        crowd_task = asyncio.create_task(answer_times(api, crowd, command))
        await asyncio.sleep(0.01)  # the crowd's updates first
        others_times = await answer_times(api, others, "/latest")
        crowd_times = await crowd_task
    return {"times": others_times, "crowd": crowd_times}


async def flood_scenario(template: Path, folder: Path) -> dict:
    database = folder / "flood.db"
    shutil.copyfile(template, database)
    async with LocalBotAPI() as api, Bot(api, database) as bot:
        await answer_times(api, [user(10, "Разогрев")], "/latest")
        before = bot.rss_mb()
        flooder = user(400_000, "Флуд")
        for _ in range(FLOOD):
            api.inject_message("/help", user=flooder)
        await asyncio.sleep(0.01)
        others = [user(500_000 + index, "Другой") for index in range(OTHERS)]
        times = await answer_times(api, others, "/latest")
        await asyncio.sleep(12)  # the flood's admitted part is answered meanwhile
        answered = len(api.sent_messages(flooder["id"]))
        after = bot.rss_mb()
    return {"times": times, "answered": answered, "rss_before": before, "rss_after": after}


async def run(probe_seconds: float) -> None:
    pool = sentences()
    with tempfile.TemporaryDirectory(prefix="svodka-bench-hostile-") as name:
        folder = Path(name)
        template = folder / "seeds.db"
        await seed(template)
        served: dict[str, bytes] = {}
        runner, base = await serve_feeds(served)
        try:
            served |= {
                "ordinary": ordinary_feed(base, pool),
                "hostile": hostile_feed(base, pool),
                "deep": deep_feed(),
                "huge": huge_feed(base),
            }
            sizes = ", ".join(f"{key} {len(body) / 1e6:.2f} MB" for key, body in served.items())
            print(f"feeds: {sizes}", file=sys.stderr)
            ordinary = [f"{base}/feed/ordinary"]
            hostile = ordinary + [f"{base}/feed/{key}" for key in ("hostile", "deep", "huge")]
            rows = [
                ("an ordinary feed (baseline)",
                 await feeds_scenario(template, folder, ordinary, probe_seconds)),
                ("ordinary + hostile, deep, 5 MB feeds",
                 await feeds_scenario(template, folder, hostile, probe_seconds)),
                (f"{CROWD} users /help at once: {OTHERS} others",
                 await crowd_scenario(template, folder, "/help")),
                (f"{CROWD} users /latest at once: {OTHERS} others",
                 await crowd_scenario(template, folder, "/latest")),
                (f"{FLOOD:,} /help from one user: {OTHERS} others",
                 await flood_scenario(template, folder)),
            ]  # fmt: skip
        finally:
            await runner.cleanup()
    report(rows)


def report(rows: list[tuple[str, dict]]) -> None:
    load = os.getloadavg()[0]
    print(f"answer time of /latest, `svodka run` in its own process on the seed archive "
          f"({os.cpu_count()} CPUs, load average {load:.1f} at the end)")  # fmt: skip
    print(f"{'scenario':<40} {'answers':>7} {'p50 ms':>8} {'max ms':>8}  notes")
    for name, row in rows:
        times = row["times"]
        notes = []
        if "polled_in" in row:
            notes.append(f"feeds polled in {row['polled_in']:.1f} s, archive {row['stored']}")
            notes += [f"failed {line}" for line in row["failed"]]
        if "crowd" in row:
            crowd = row["crowd"]
            notes.append(f"crowd p50 {statistics.median(crowd):.0f} ms, max {max(crowd):.0f} ms")
        if "answered" in row:
            notes.append(f"flood answered {row['answered']} times, RSS {row['rss_before']:.0f}"
                         f" -> {row['rss_after']:.0f} MB")  # fmt: skip
        print(f"{name:<40} {len(times):>7} {statistics.median(times):>8.0f} {max(times):>8.0f}"
              f"  {'; '.join(notes)}")  # fmt: skip
    worst = [(name, max(row["times"])) for name, row in rows]
    print_targets(
        [
            (f"worst: {name}", ms, "ms", "< 1000", None if "baseline" in name else ms < TARGET_MS)
            for name, ms in worst
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--probe-seconds", type=float, default=20.0,
                        help="probe at least this long in the feed scenarios")  # fmt: skip
    args = parser.parse_args()
    asyncio.run(run(args.probe_seconds))


if __name__ == "__main__":
    main()
