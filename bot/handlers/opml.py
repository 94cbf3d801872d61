"""Feed lists as OPML for administrators: `/feeds export` sends one as a document, and an OPML
file sent to the bot in private is imported (all its feeds, or none when the file is bad)."""

from __future__ import annotations

import asyncio
import io

from aiogram import Bot, F
from aiogram.enums import ChatType
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, Message
from aiogram.utils.formatting import as_list
from sqlalchemy.ext.asyncio import AsyncConnection

from bot import texts
from bot.handlers.common import Holds
from bot.handlers.feature import Feature
from bot.middlewares import NO_DB
from bot.permissions import is_admin
from bot.storage import sources
from bot.storage.database import Database
from bot.storage.schema import utcnow

feature = Feature(__name__)
OPML_NAMES = (".opml", ".xml")
PROBLEMS_SHOWN = 10


@feature.message(Command("feeds", magic=F.args == "export"), is_admin)
async def export_feeds(message: Message, conn: AsyncConnection) -> None:
    from bot.ingest.opml import OpmlFeed, write_opml

    feeds = await sources.list_feeds(conn)
    listed = [OpmlFeed(feed.url, feed.title, feed.site_url) for feed in feeds]
    data = write_opml(listed, title=texts.OPML_TITLE, now=utcnow())
    await message.answer_document(
        BufferedInputFile(data, filename="svodka-feeds.opml"),
        caption=texts.OPML_EXPORTED.format(len(listed)),
    )


@feature.message(Holds(F.chat.type == ChatType.PRIVATE), Holds(F.document), is_admin, flags=NO_DB)
async def import_feeds(message: Message, bot: Bot, db: Database, settings) -> None:
    from bot.ingest.fetch import refused_destinations
    from bot.ingest.opml import MAX_OPML_BYTES, OpmlError, read_opml

    document = message.document
    assert document is not None  # the handler's filter matched it
    if not (document.file_name or "").lower().endswith(OPML_NAMES):
        await message.answer(texts.OPML_WHAT)
        return
    if (document.file_size or 0) > MAX_OPML_BYTES:
        await message.answer(texts.OPML_REFUSED.format(texts.OPML_TOO_BIG))
        return
    data = io.BytesIO()
    await bot.download(document, destination=data)
    try:
        listed = await asyncio.to_thread(read_opml, data.getvalue())
    except OpmlError as error:
        await message.answer(texts.OPML_REFUSED.format(error.in_russian))
        return
    listed.refuse(await refused_destinations([feed.url for feed in listed.feeds], settings))
    async with db.transaction() as conn:
        added, known = await sources.import_feeds(
            conn,
            [(feed.url, feed.title, feed.site_url) for feed in listed.feeds],
            poll_interval=settings.feed_poll_interval,
        )
    problems = [problem.in_russian() for problem in listed.problems]
    lines = [texts.OPML_IMPORTED.format(added, known, len(problems)), *problems[:PROBLEMS_SHOWN]]
    if len(problems) > PROBLEMS_SHOWN:
        lines.append(texts.OPML_MORE_PROBLEMS.format(len(problems) - PROBLEMS_SHOWN))
    await message.answer(**as_list(*lines).as_kwargs())
