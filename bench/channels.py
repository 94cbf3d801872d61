"""Telegram channel benchmark (`make bench`): reading a channel's web preview page, against
summarizing its posts (the baseline, in the same run), and ingesting posts into an archive.

    python bench/channels.py [--rounds 20] [--posts 600]

- a page of 20 messages in the 2025-26 markup (media containers, reactions, signatures,
  hashtags; posts of 2 to 6 sentences taken from the seeds) is parsed into posts
  (bot.ingest.channel_page.read_page) `rounds` times: the median per page;
- the same 20 posts are made documents and summarized (summarizer.summarize), as the pipeline
  does with every new one: the median per page; parsing must cost less;
- `posts` posts from pages like it (distinct texts) go through post_document and the ingest
  pipeline (clean, summary, topics, dedup, stories) into a fresh SQLite archive, 50 a batch as
  a poll gives them: documents per second, at least 100.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from report import print_targets  # noqa: E402  (bench/ is on sys.path)

from bot.ingest.channel_page import read_page  # noqa: E402
from bot.ingest.channel_posts import post_document  # noqa: E402

NAME = "bench_channel"
PAGE_MESSAGES = 20
BATCH = 50  # SVODKA_FEED_MAX_ENTRIES: the most one poll hands to the pipeline
INGEST_TARGET = 100.0  # documents per second


def seed_sentences() -> list[str]:
    text = " ".join(path.read_text() for path in sorted((ROOT / "seeds").glob("*.txt")))
    return [part.strip() + "." for part in text.split(". ") if 6 <= len(part.split()) <= 60]


def message(message_id: int, text: str) -> str:
    body = "<br/>".join(map(html.escape, text.split("\n")))
    return f"""
<div class="tgme_widget_message_wrap js-widget_message_wrap">
 <div class="tgme_widget_message text_not_supported_wrap js-widget_message"
   data-post="{NAME}/{message_id}">
  <div class="tgme_widget_message_bubble">
   <div class="tgme_widget_message_author"><a class="tgme_widget_message_owner_name"
     href="https://t.me/{NAME}"><span dir="auto">Канал</span></a></div>
   <div class="media_supported_cont"><div class="tgme_widget_message_one_media">
    <a class="tgme_widget_message_photo_wrap" href="https://t.me/{NAME}/{message_id}"></a>
    <div class="tgme_widget_message_text js-message_text" dir="auto">{body}</div></div></div>
   <div class="tgme_widget_message_reactions"><span class="tgme_reaction">
     <i class="emoji"><b>👍</b></i>120</span></div>
   <div class="tgme_widget_message_footer compact"><div class="tgme_widget_message_info">
    <span class="tgme_widget_message_views">12.4K</span><a class="tgme_widget_message_date"
     href="https://t.me/{NAME}/{message_id}"><time class="time"
     datetime="2026-03-01T09:{message_id % 60:02d}:00+00:00">09:00</time></a></div></div>
  </div>
 </div>
</div>"""


def channel_page(first_id: int, rng: random.Random, sentences: list[str]) -> bytes:
    posts = []
    for offset in range(PAGE_MESSAGES):
        chosen = rng.sample(sentences, rng.randint(2, 6))
        text = f"{chosen[0]}\n\n{' '.join(chosen[1:])}\n\nПодписаться на Канал\n#новости 🔥"
        posts.append(message(first_id + offset, text))
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<meta property="og:title" content="Канал"></head><body>
<div class="tgme_channel_info_header_title"><span>Канал</span></div>
<section class="tgme_channel_history js-message_history">
<a href="/s/{NAME}?before={first_id}" class="tme_messages_more" data-before="{first_id}"></a>
{"".join(posts)}</section></body></html>""".encode()


def median_ms(action, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


async def ingest_rate(pages: list[bytes]) -> tuple[float, int, int]:
    """Documents per second through the pipeline, and how many were added and merged."""
    from bot.ingest.pipeline import ingest_documents
    from bot.storage.database import Database
    from bot.storage.migrate import upgrade

    docs = [
        doc
        for raw in pages
        for doc in map(post_document, read_page(raw, NAME, PAGE_MESSAGES).posts)
        if doc is not None
    ]
    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}")
        await upgrade(db)
        started = time.perf_counter()
        results = []
        for start in range(0, len(docs), BATCH):
            results += await ingest_documents(db, docs[start : start + BATCH])
        elapsed = time.perf_counter() - started
        await db.close()
    statuses = [result.status for result in results]
    return len(docs) / elapsed, statuses.count("added"), statuses.count("merged")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--posts", type=int, default=600)
    args = parser.parse_args()
    from summarizer import summarize

    rng = random.Random(19)
    sentences = seed_sentences()
    raw = channel_page(1000, rng, sentences)
    posts = read_page(raw, NAME, PAGE_MESSAGES).posts
    assert len(posts) == PAGE_MESSAGES, len(posts)
    texts = [post_document(post).text for post in posts]
    for text in texts:  # warm the lemma cache and the imports, as a running bot has them
        summarize(text)
    parse_ms = median_ms(lambda: read_page(raw, NAME, PAGE_MESSAGES), args.rounds)
    summarize_ms = median_ms(lambda: [summarize(text) for text in texts], args.rounds)
    pages = [
        channel_page(10_000 + n * PAGE_MESSAGES, rng, sentences)
        for n in range(args.posts // PAGE_MESSAGES)
    ]
    rate, added, merged = asyncio.run(ingest_rate(pages))
    print(f"page: {len(raw) / 1024:.0f} KB, {len(posts)} posts")
    print(f"ingest: {len(pages) * PAGE_MESSAGES} posts, {added} added, {merged} merged")
    print_targets(
        [
            ("parse a 20-message page (median)", parse_ms, "ms", "", None),
            ("summarize its 20 posts (baseline, median)", summarize_ms, "ms", "", None),
            ("parsing / summarizing", parse_ms / summarize_ms, "x", "< 1", parse_ms < summarize_ms),
            ("ingest of posts", rate, "docs/s", ">= 100", rate >= INGEST_TARGET),
        ]
    )


if __name__ == "__main__":
    main()
