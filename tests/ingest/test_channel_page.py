from datetime import UTC, datetime

import pytest

from bot.ingest.channel_page import NoPreview, parse_page
from tests.ingest.channel_pages import CLOSED, EVAL, message, page

needs_captures = pytest.mark.skipif(
    not EVAL.is_dir(), reason=f"captured channel pages not found at {EVAL}"
)


def capture(name: str) -> bytes:
    return (EVAL / name).read_bytes()


@needs_captures
def test_a_captured_2023_page_gives_its_messages_with_text_oldest_first():
    read = parse_page(capture("full.html"), "topwar_official", newest=50)
    assert read.title == "Военное обозрение"
    assert read.ids == [
        70989,
        70990,
        70992,
        70995,
        70996,
        70997,
        70998,
        70999,
        71000,
        71006,
        71007,
        71008,
    ]
    assert read.older
    first = read.posts[0]
    assert first.url == f"https://t.me/topwar_official/{read.ids[0]}"
    assert first.channel == "Военное обозрение" and first.username == "topwar_official"
    assert all(post.published and post.published.tzinfo for post in read.posts)
    # The re-indented capture's line breaks inside sentences are spaces, not new lines.
    assert all("  " not in post.text for post in read.posts)
    assert sum(post.forwarded_from is not None for post in read.posts) >= 4


@needs_captures
def test_a_captured_text_message_keeps_its_line_breaks_and_date():
    [post] = parse_page(capture("message_text.html"), "topwar_official", newest=5).posts
    lines = post.text.split("\n")
    assert lines[0] == "Неопознанный летающий объект замечен в 160 – 200 км от Петербурга"
    assert lines[1] == "" and lines[3] == ""
    assert lines[2].startswith("По данным «Фонтанки», такую информацию министерство обороны")
    assert post.published == datetime(2023, 2, 28, 8, 48, 1, tzinfo=UTC)


@needs_captures
@pytest.mark.parametrize(
    "file, forwarded, link",
    [
        ("message_media_forwarded_from.html", "Пул N3", None),
        (
            "message_link_preview.html",
            None,
            "https://vnnews.ru/georgiy-zotov-okkupaciya-volosatym-kr/",
        ),
    ],
)
def test_captured_forwards_and_link_previews(file, forwarded, link):
    [post] = parse_page(capture(file), "oper_goblin", newest=5).posts
    assert (post.forwarded_from, post.link) == (forwarded, link)


@needs_captures
@pytest.mark.parametrize("file", ["message_sticker.html", "message_poll.html"])
def test_captured_messages_without_text_are_skipped(file):
    assert parse_page(capture(file), "x_channel", newest=5).posts == []


def test_a_reply_keeps_only_its_own_text():
    raw = page("news_ch", "Новости", [message("news_ch", 5, "Ответ.", reply_to="Вопрос.")])
    [post] = parse_page(raw.encode(), "news_ch", newest=5).posts
    assert post.text == "Ответ."


def test_service_messages_and_textless_ones_are_skipped_and_an_album_counts_once():
    raw = page(
        "news_ch",
        "Новости",
        [
            message("news_ch", 1, "Канал создан", service=True),
            message("news_ch", 2, None, album=True),
            message("news_ch", 4, "Альбом с подписью.", album=True),
            message("news_ch", 4, "Альбом с подписью.", album=True),
            message("news_ch", 6, "Строка один\nстрока два"),
        ],
    )
    read = parse_page(raw.encode(), "news_ch", newest=5)
    assert read.ids == [4, 6] and read.seen == range(1, 7) and not read.older
    assert [post.text for post in read.posts] == ["Альбом с подписью.", "Строка один\nстрока два"]


def test_at_most_the_newest_messages_are_read():
    raw = page("news_ch", "Н", [message("news_ch", i, f"Пост {i}.") for i in range(1, 10_001)])
    assert parse_page(raw.encode(), "news_ch", newest=50).ids == list(range(9951, 10_001))


@pytest.mark.parametrize("raw", [CLOSED, "", "<html><body><p>nothing</p></body></html>"])
def test_a_page_without_message_history_is_no_preview(raw):
    with pytest.raises(NoPreview, match="нет открытого предпросмотра"):
        parse_page(raw.encode(), "news_ch", newest=5)


def test_an_empty_public_channel_has_no_posts():
    assert parse_page(page("news_ch", "Пусто", []).encode(), "news_ch", newest=5).posts == []
