"""A crowd of 300 users, each sending /start, /subscribe экономика and /instant on at once
(in any order: each sets up the chat it needs), through two `--role bot --webhook` instances
behind a round-robin proxy, against the local server's flood limits (Telegram's: 30 messages
a second for the bot, one a second per chat; a chat's three answers at once meet the latter
whatever the machine's speed). The answers meet 429s, wait and are sent again: every user
ends set up and every answer arrives. PostgreSQL only (two instances), bounded in time, kills
only what it started."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import pytest
from sqlalchemy import select

from bot import texts
from bot.storage.schema import chats, subscriptions
from localapi import LocalBotAPI, RateLimits, user
from tests.support.cluster import Processes, RoundRobin, free_port, site
from tests.test_several_processes import REPO, SECRET, database, process_env  # noqa: F401

pytestmark = pytest.mark.processes  # starts real svodka processes

USERS = 300
SAYS = ("/start", "/subscribe экономика", "/instant on")
# After the first subscription the bot asks how to deliver, unless /instant on came first: the
# two instances may take one user's three updates in either order.
QUESTION = texts.DELIVERY_ASK.split("?")[0]
ANSWER_WITHIN = 120.0  # seconds for a user's answers: up to 1,200 messages at the bot's 30/s
# 1,200 answers at Telegram's 30/s take 40 s, longer than the default SVODKA_REPLY_DEADLINE (30 s)
# that an answer waits for its turn: a crowd this size needs a longer deadline
# (docs/resilience-answers.md).
REPLY_DEADLINE = "90"


async def converse(api: LocalBotAPI, person: dict) -> None:
    for text in SAYS:
        api.inject_message(text, user=person)
    await api.wait_sent(person["id"], count=len(SAYS), timeout=ANSWER_WITHIN)


async def set_up(db) -> set[int]:
    """The users subscribed to economy with instant news on."""
    query = (
        select(chats.c.id)
        .join(subscriptions, subscriptions.c.chat_id == chats.c.id)
        .where(chats.c.instant, subscriptions.c.value == "economy")
    )
    async with db.read() as conn:
        return set(await conn.scalars(query))


async def test_a_crowd_through_two_webhook_instances_is_set_up_and_answered(database, tmp_path):  # noqa: F811
    ports = [free_port() for _ in range(2)]
    proxy = RoundRobin([f"http://127.0.0.1:{port}" for port in ports])
    people = [user(100_000 + n, f"Читатель {n}") for n in range(USERS)]
    async with LocalBotAPI(limits=RateLimits()) as api, site(proxy.app("/hook")) as proxy_url:
        processes = Processes(tmp_path, process_env(database, api), cwd=REPO)
        try:
            for n, port in enumerate(ports):
                await processes.start(
                    f"bot{n}", "--role", "bot", "--webhook",
                    SVODKA_LISTEN=f"127.0.0.1:{port}", SVODKA_WEBHOOK_URL=f"{proxy_url}/hook",
                    SVODKA_WEBHOOK_SECRET=SECRET, SVODKA_REPLY_DEADLINE=REPLY_DEADLINE,
                )  # fmt: skip
            await api.wait_for("setWebhook", count=2, timeout=90)
            for process in processes.started:
                await processes.wait_logged(process, "listening on")
            started = time.monotonic()
            async with asyncio.timeout(240):
                await asyncio.gather(*(converse(api, person) for person in people))
            took = time.monotonic() - started
            await asyncio.sleep(1)  # a late duplicate or apology would have come by now
        finally:
            await processes.stop_all()
        logs = "".join(processes.log(process) for process in processes.started)

    ids = {person["id"] for person in people}
    answers = Counter(
        m["chat"]["id"]
        for m in api.sent_messages()
        if m["chat"]["id"] in ids and not m["text"].startswith(QUESTION)
    )
    questions = Counter(
        m["chat"]["id"] for m in api.sent_messages() if m["text"].startswith(QUESTION)
    )
    apologies = [m for m in api.sent_messages() if m["text"] == texts.SOMETHING_WRONG]
    print(
        f"\n{USERS} users x {len(SAYS)} commands through 2 instances: {took:.1f} s, "
        f"{api.throttled} answers met 429, proxy {dict(proxy.served)}"
    )
    assert api.throttled > 0  # the crowd did meet the flood limits
    assert await set_up(database) == ids
    assert answers == Counter(dict.fromkeys(ids, len(SAYS)))  # every command answered once
    assert max(questions.values(), default=0) <= 1
    assert not apologies
    assert "given up" not in logs and "Traceback" not in logs
