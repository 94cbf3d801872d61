"""Files between administrators and the bot: an OPML file sent to import feeds, `/feeds
export` as a document, and the /stats chart as a PNG, through the local Bot API server."""

from __future__ import annotations

import io
import struct

from PIL import Image

from bot.ingest.opml import read_opml
from bot.storage import sources
from tests.ingest.test_opml import BILLION_LAUGHS, PRIVATE_FEEDS, READER_EXPORT

PNG = b"\x89PNG\r\n\x1a\n"


async def feed_urls(harness) -> list[str]:
    async with harness.db.read() as conn:
        return [feed.url for feed in await sources.list_feeds(conn)]


async def send_file(harness, data: bytes, name: str, *, user: dict) -> list[dict]:
    chat_id = user["id"]
    before = len(harness.api.sent_messages(chat_id))
    harness.api.inject_document(data, name, mime_type="text/x-opml", user=user)
    await harness.api.wait_sent(chat_id, count=before + 1, timeout=10)
    await harness.settle()
    return harness.api.sent_messages(chat_id)[before:]


async def test_an_admin_imports_an_opml_file_and_exports_it_back(harness):
    [reply] = await send_file(harness, READER_EXPORT, "feeds.opml", user=harness.admin)
    assert reply["text"].splitlines() == [
        "Импорт OPML: добавлено лент — 2, уже были — 0, пропущено записей — 2.",
        "Evil: «javascript:alert(1)» — не ссылка http(s)",
        "Empty: нет адреса ленты (xmlUrl)",
    ]
    assert await feed_urls(harness) == [
        "https://lenta.ru/rss",
        "https://ria.ru/export/rss2/index.xml",
    ]
    [again] = await send_file(harness, READER_EXPORT, "feeds.opml", user=harness.admin)
    assert again["text"].startswith("Импорт OPML: добавлено лент — 0, уже были — 2")

    harness.api.inject_message("/feeds export", user=harness.admin)
    await harness.api.wait_for("sendDocument", timeout=10)
    [(message, data)] = harness.api.sent_files("sendDocument", harness.admin["id"])
    assert message["document"]["file_name"] == "svodka-feeds.opml"
    assert message["caption"].startswith("Ленты в формате OPML: 2.")
    assert [feed.url for feed in read_opml(data).feeds] == await feed_urls(harness)


async def test_a_hostile_file_is_refused_and_imports_nothing(harness):
    [reply] = await send_file(harness, BILLION_LAUGHS, "evil.opml", user=harness.admin)
    assert reply["text"] == (
        "Файл не принят, ничего не добавлено: в файле объявлены DTD или сущности,"
        " такие файлы не принимаю."
    )
    [reply] = await send_file(harness, b"%PDF-1.4", "report.pdf", user=harness.admin)
    assert reply["text"].startswith("Чтобы добавить ленты из файла, пришлите файл OPML")
    assert await feed_urls(harness) == []


async def test_a_file_from_someone_else_imports_nothing(harness):
    await send_file(harness, READER_EXPORT, "feeds.opml", user=harness.user)
    assert await feed_urls(harness) == []
    assert not harness.api.calls_to("getFile")


async def test_stats_sends_a_png_chart(harness):
    await harness.say("/start")
    await harness.say("/stats", user=harness.admin)
    await harness.api.wait_for("sendPhoto", timeout=30)
    [(message, data)] = harness.api.sent_files("sendPhoto", harness.admin["id"])
    assert data.startswith(PNG) and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (900, 900)
    assert 10_000 < len(data) < 1_000_000
    image = Image.open(io.BytesIO(data))
    image.verify()  # the whole file decodes
    assert message["photo"][-1]["width"] == 900


async def test_an_import_refuses_private_addresses_as_feed_add_does(harness):
    [reply] = await send_file(harness, PRIVATE_FEEDS, "feeds.opml", user=harness.admin)
    assert reply["text"].splitlines() == [
        "Импорт OPML: добавлено лент — 1, уже были — 0, пропущено записей — 3.",
        "Loopback: «http://127.0.0.1/rss» — адрес внутренней сети, его не открываю",
        "Office: «http://10.1.2.3/feed» — адрес внутренней сети, его не открываю",
        "Mapped: «http://[::ffff:192.168.0.1]/rss» — адрес внутренней сети, его не открываю",
    ]
    assert await feed_urls(harness) == ["https://93.184.216.34/rss"]
