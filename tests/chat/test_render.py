"""Articles as messages: escaping, links, hashtags, local time, and splitting under 4096."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from aiogram.utils.formatting import Bold

from bot.render import MESSAGE_LIMIT, render_article, render_articles, split_messages, zone_label
from bot.storage.articles import Addition, ArticleView

MOSCOW = ZoneInfo("Europe/Moscow")


def view(article_id: int = 1, *, title: str = "Заголовок", summary: str = "Выжимка.", **fields):
    defaults = {
        "url": None, "lead": "", "topics": ["economy"], "source_name": None,
        "published_at": datetime(2026, 3, 1, 9, 30, tzinfo=UTC), "ingested_at": datetime.now(UTC),
    }  # fmt: skip
    return ArticleView(id=article_id, title=title, summary=summary, **{**defaults, **fields})


def test_title_is_bold_and_linked_text_is_escaped():
    article = view(title="<b>Рост</b> & падение", url="https://example.com/a?b=1&c=2")
    text, entities = render_article(article, MOSCOW).render()
    assert text.startswith("<b>Рост</b> & падение\n")
    kinds = {entity.type: entity for entity in entities}
    assert kinds["text_link"].url == "https://example.com/a?b=1&c=2"
    assert kinds["bold"].offset == 0 and kinds["bold"].length == len("<b>Рост</b> & падение")
    html = render_article(article, MOSCOW).as_html()
    assert "&lt;b&gt;Рост&lt;/b&gt; &amp; падение" in html


@pytest.mark.parametrize(
    ("topics", "tags"),
    [(["economy"], "#экономика"), (["world", "sport"], "#в_мире #спорт"), ([], None)],
)
def test_topics_become_russian_hashtags(topics, tags):
    text, _ = render_article(view(topics=topics), MOSCOW).render()
    lines = text.splitlines()
    assert (tags in lines) if tags else not any(line.startswith("#") for line in lines)


def test_source_and_time_in_the_chats_timezone():
    article = view(source_name="ТАСС")
    assert render_article(article, MOSCOW).render()[0].endswith("ТАСС · 01.03.2026 12:30")
    assert render_article(article, ZoneInfo("Asia/Almaty")).render()[0].endswith("14:30")


def test_summary_sentences_can_be_limited():
    article = view(summary="Один. Два. Три.", summary_sentences=("Один.", "Два.", "Три."))
    text, _ = render_article(article, MOSCOW, summary_sentences=2).render()
    assert "Один. Два." in text and "Три." not in text


@pytest.mark.parametrize(
    ("sentences", "count", "shown"),
    [
        (
            ("«Мы пришли.", "Мы ушли», — сказал он.", "Три."),
            1,
            "«Мы пришли. Мы ушли», — сказал он.",
        ),
        (("Один.", "«Мы пришли.", "Мы ушли», — сказал он."), 2, "Один."),
        (("Один.", "«Мы пришли.", "Мы ушли», — сказал он."), 3, "Один. «Мы пришли. Мы ушли»"),
    ],
)
def test_fewer_summary_sentences_keep_a_quotation_whole(sentences, count, shown):
    article = view(summary=" ".join(sentences), summary_sentences=sentences)
    text, _ = render_article(article, MOSCOW, summary_sentences=count).render()
    assert text.splitlines()[1].startswith(shown)
    assert text.count("«") == text.count("»")


@pytest.mark.parametrize(("outlet", "shown"), [("ТАСС", "ТАСС"), ("", "Другой источник")])
def test_what_another_outlet_adds_follows_the_summary(outlet, shown):
    article = view(addition=Addition(outlet, "Ущерб составил 15 млн рублей."))
    lines = render_article(article, MOSCOW).render()[0].splitlines()
    assert lines[1:3] == ["Выжимка.", f"{shown} добавляет: Ущерб составил 15 млн рублей."]


def test_many_articles_split_between_articles_only():
    articles = [view(index, title=f"Статья {index}", summary="Длинное предложение. " * 40)
                for index in range(30)]  # fmt: skip
    messages = render_articles(articles, MOSCOW, header=Bold("Свежее"))
    assert len(messages) > 1
    assert all(len(message) <= MESSAGE_LIMIT for message in messages)
    joined = [message.render()[0] for message in messages]
    assert sum(text.count("Статья ") for text in joined) == 30
    for text in joined:  # every message holds whole articles: each title has its footer
        assert text.count("Статья ") == text.count("01.03.2026")


def test_one_huge_article_is_cut_to_fit_one_message():
    huge = view(title="Т" * 5000, summary="С" * 10_000)
    [message] = render_articles([huge], MOSCOW)
    assert len(message) <= MESSAGE_LIMIT
    assert message.render()[0].count("…") == 2


def test_split_keeps_a_header_with_the_first_part():
    parts = split_messages([Bold("а" * 3000), Bold("б" * 3000)], header=Bold("Шапка"))
    assert [part.render()[0][:5] for part in parts] == ["Шапка", "ббббб"]


@pytest.mark.parametrize(
    ("stored", "shown"),
    [("Etc/GMT-3", "UTC+3"), ("Etc/GMT+5", "UTC-5"), ("Asia/Almaty", "Asia/Almaty")],
)
def test_zone_label(stored, shown):
    assert zone_label(stored) == shown


def test_a_story_names_five_sources_linked_and_counts_the_rest():
    from bot.storage.articles import SourceLink

    outlets = ["РИА Новости", "ТАСС", "Readovka", "Mash", "РБК", "Коммерсантъ", "Ведомости"]
    sources = tuple(
        SourceLink(f"https://{n}.example/a", f"Заголовок {n}", name)
        for n, name in enumerate(outlets)
    )
    text, entities = render_article(view(sources=sources), MOSCOW).render()
    assert "7 источников: РИА Новости, ТАСС, Readovka, Mash, РБК и ещё 2\n01.03.2026" in text
    links = [entity.url for entity in entities if entity.type == "text_link"]
    assert links == [f"https://{n}.example/a" for n in range(5)]
    text, _ = render_article(view(sources=sources[:4]), MOSCOW).render()
    assert "4 источника: РИА Новости, ТАСС, Readovka, Mash\n" in text


@pytest.mark.parametrize(
    ("count", "words"),
    [(1, "1 источник"), (3, "3 источника"), (5, "5 источников"), (11, "11 источников"),
     (21, "21 источник"), (22, "22 источника"), (112, "112 источников")],
)  # fmt: skip
def test_sources_are_counted_in_russian(count, words):
    from bot.render import sources_count

    assert sources_count(count) == words
