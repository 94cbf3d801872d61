"""`svodka demo`: the real bot, offline, chatting in the terminal.

A fresh temporary SQLite archive is filled from seeds/, the local Bot API server
(localapi) stands in for Telegram, and the bot long-polls it over HTTP exactly as it
would poll Telegram. What you type is sent as a private message from a demo user (who is
also the bot's admin); a number presses that inline button; replies are printed as plain
text with links shown. `!new` ingests an article held back from the seeds, to show
instant pushes after `/instant on` (when delivery is running).
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.ingest.pipeline import IngestReport
from bot.storage.database import Database
from bot.storage.migrate import upgrade
from localapi import DEFAULT_USER, Call, LocalBotAPI

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
CHANNEL_SEEDS = SEEDS / "channels"
DEMO_TOKEN = "123456:DEMO"
NEW_ARTICLE = "!new"
QUIT = {"/quit", "/exit", "выход"}
REPLY_METHODS = {"sendmessage", "editmessagetext", "editmessagereplymarkup", "answercallbackquery"}
SETTLE = 0.4  # seconds without a new reply before the bot counts as done answering
MAX_WAIT = 15.0  # seconds for the first reply (ingesting a URL may be slow)

INTRO = (
    "Type commands (/help); a number presses that button; Ctrl+D exits.\n"
    "To see a push: /subscribe наука, /instant on, then !new adds a science article."
)

Print = Callable[[str], None]


def plain(message: dict[str, Any]) -> str:
    """A message's text as a person reads it: links written out after their text."""
    text = message.get("text", "")
    units = text.encode("utf-16-le")
    links = sorted(
        (entity["offset"] + entity["length"], entity["url"])
        for entity in message.get("entities") or ()
        if entity["type"] == "text_link"
    )
    pieces, start = [], 0
    for end, url in links:
        pieces += [units[start * 2 : end * 2].decode("utf-16-le"), f" ({url})"]
        start = end
    pieces.append(units[start * 2 :].decode("utf-16-le"))
    return "".join(pieces)


@dataclass
class Conversation:
    """The user's side of the chat: send text, press buttons, print what the bot answers."""

    api: LocalBotAPI
    out: Print
    echo: bool = True  # print what the user sends (the terminal shows what they type)
    user: dict[str, Any] = field(default_factory=lambda: DEFAULT_USER)
    buttons: list[tuple[dict[str, Any], str]] = field(default_factory=list)

    def said(self, line: str) -> None:
        if self.echo:
            self.out(f"\n› {line}")

    async def send(self, line: str) -> None:
        self.said(line)
        if line.isdigit() and self.buttons:
            number = int(line)
            if not 1 <= number <= len(self.buttons):
                self.out(f"  (нет кнопки {number})")
                return
            message, data = self.buttons[number - 1]
            seen = len(self.api.calls)
            self.api.inject_callback(self.api.message(*_key(message)) or message, data=data)
        else:
            seen = len(self.api.calls)
            self.api.inject_message(line, user=self.user)
        await self.show_replies(seen)

    async def show_replies(self, seen: int, *, first_wait: float = MAX_WAIT) -> None:
        """Print the bot's calls after the `seen`-th, once it has stopped answering."""
        deadline = asyncio.get_running_loop().time() + first_wait
        printed = seen
        while True:
            fresh = [call for call in self.api.calls[printed:] if call.status is not None]
            printed += len(fresh)
            # Only replies count: getUpdates returns every second and says nothing.
            replies = [call for call in fresh if call.method.lower() in REPLY_METHODS]
            for call in replies:
                self._print(call)
            loop_time = asyncio.get_running_loop().time()
            if replies:
                deadline = loop_time + SETTLE
            elif loop_time >= deadline:
                return
            await asyncio.sleep(0.05)

    def _print(self, call: Call) -> None:
        method = call.method.lower()
        if not call.ok:
            return
        if method == "answercallbackquery":
            if call.params.get("text"):
                self.out(f"  [{call.params['text']}]")
            return
        message = call.result if isinstance(call.result, dict) else None
        if message is None:
            return
        if method == "sendmessage":
            self.out("")
            self.out(_indent(plain(message)))
        elif method == "editmessagetext":
            self.out("  (сообщение изменено)")
            self.out(_indent(plain(message)))
        else:
            self.out("  (кнопки изменены)")
        self._list_buttons(message)

    def _list_buttons(self, message: dict[str, Any]) -> None:
        rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
        found = [button for row in rows for button in row if "callback_data" in button]
        if not found:
            return
        self.buttons = [(message, button["callback_data"]) for button in found]
        labels = [f"[{number}] {button['text']}" for number, button in enumerate(found, 1)]
        self.out(_indent("  ".join(labels)))


def _key(message: dict[str, Any]) -> tuple[int, int]:
    return message["chat"]["id"], message["message_id"]


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" for line in text.splitlines())


async def seed_archive(
    db: Database, settings: Settings, *, hold_back: int = 0
) -> tuple[IngestReport, list[Path]]:
    """Ingest seeds/ oldest-numbered last, so the project's first sample (000_...) is the
    newest article; the last `hold_back` files are left out and returned."""
    from bot.ingest.intake import ingest_paths_or_urls

    seeds = sorted(SEEDS.glob("*.txt"))
    kept = seeds[: len(seeds) - hold_back]
    report = await ingest_paths_or_urls(db, [str(path) for path in reversed(kept)], settings,
                                        progress=False)  # fmt: skip
    return report, seeds[len(kept) :]


async def seed_channels(db: Database, settings: Settings) -> IngestReport:
    """Ingest the saved channel pages of seeds/channels/ (`<name>.preview`: HTML, named so that
    `svodka ingest seeds/` passes them by as no article page), read as a poll of
    `t.me/s/<name>` reads them, so that a story is told by a site and a channel. Like the
    seed files they carry no date that counts: the posts are stored as new."""
    from bot.ingest.channel_page import read_page
    from bot.ingest.channel_posts import post_document
    from bot.ingest.pipeline import ingest_documents

    report = IngestReport()
    for path in sorted(CHANNEL_SEEDS.glob("*.preview")):
        page = read_page(path.read_bytes(), path.stem, settings.feed_max_entries)
        docs = [replace(doc, published=None) for doc in map(post_document, page.posts) if doc]
        for doc, result in zip(docs, await ingest_documents(db, docs), strict=True):
            report.record(doc.url or path.name, result)
    return report


async def run_demo(script: Sequence[str] | None, *, out: Print = print) -> int:
    from bot.app import build_bot, build_dispatcher, deliver
    from bot.delivery.pushes import scan_new_articles
    from bot.storage.schema import utcnow

    with tempfile.TemporaryDirectory(prefix="svodka-demo-") as folder:
        async with LocalBotAPI() as api:
            settings = Settings(
                database_url=f"sqlite+aiosqlite:///{Path(folder) / 'demo.db'}",
                telegram_api=api.base_url,
                admins=frozenset({DEFAULT_USER["id"]}),
                push_scan_interval=1.0,
            )
            db = Database(settings.database_url)
            await upgrade(db)
            report, held_back = await seed_archive(db, settings, hold_back=1)
            posts = await seed_channels(db, settings)
            # The seeded archive is not news: mark it as scanned before anything can be pushed.
            await scan_new_articles(db, settings, utcnow())
            out(
                f"Svodka demo: {report.added} articles from {SEEDS.name}/ and"
                f" {posts.added + posts.merged} channel posts in a temporary archive."
            )
            bot = build_bot(DEMO_TOKEN, settings)
            dp = build_dispatcher(db, settings, services=[deliver])
            polling = asyncio.create_task(
                dp.start_polling(bot, handle_signals=False, polling_timeout=1)
            )
            conversation = Conversation(api, out, echo=script is not None)
            try:
                await api.wait_for("setMyCommands", count=2)
                if script is None:
                    out(INTRO)
                lines = _typed_lines() if script is None else _scripted(script)
                await _converse(conversation, lines, db, settings, held_back)
            finally:
                await dp.stop_polling()
                await polling
                await db.close()
    return 0


async def _converse(
    conversation: Conversation,
    lines: AsyncIterator[str],
    db: Database,
    settings: Settings,
    held_back: list[Path],
) -> None:
    from bot.ingest.intake import ingest_paths_or_urls

    async for line in lines:
        line = line.strip()
        if not line:
            continue
        if line in QUIT:
            return
        if line == NEW_ARTICLE:
            conversation.said(line)
            seen = len(conversation.api.calls)
            report = await ingest_paths_or_urls(
                db, [str(path) for path in held_back], settings, progress=False
            )
            held_back.clear()
            conversation.out(f"  (в архив добавлено статей: {report.added})")
            # The push comes once the sender runs: a sender that just started waits out the
            # longest spacing of Telegram's limits first (bot/delivery/election.py).
            await conversation.show_replies(seen)
            continue
        await conversation.send(line)


async def _scripted(script: Sequence[str]) -> AsyncIterator[str]:
    for line in script:
        yield line


async def _typed_lines() -> AsyncIterator[str]:
    while True:
        try:
            yield await asyncio.to_thread(input, "› ")
        except EOFError:
            return
