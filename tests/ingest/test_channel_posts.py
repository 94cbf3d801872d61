from datetime import UTC, datetime

import pytest

from bot.ingest.channel_posts import Post, post_document, post_entry, post_title

WHEN = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def post(text: str, **fields) -> Post:
    values = {"url": "https://t.me/readovka/7", "channel": "Readovka", "username": "readovka"}
    return Post(published=WHEN, text=text, **(values | fields))


@pytest.mark.parametrize(
    "text, title",
    [
        ("В Зареченске открыли мост\nДвижение пустят завтра.", "В Зареченске открыли мост"),
        ("Мост открыт. Движение пустят завтра.", "Мост открыт"),
        ("Мост открыт? Движение пустят завтра.", "Мост открыт?"),
        ("слово " * 40, ("слово " * 20).strip() + "…"),
        ("Ы" * 300, "Ы" * 120 + "…"),
    ],
)
def test_title_is_the_first_line_or_sentence_cut_at_a_word(text, title):
    assert post_title(text) == title


def test_a_post_becomes_a_document_without_its_signature():
    doc = post_document(post("Мост открыт. Движение пустят завтра.\n\nПодписаться на Readovka"))
    assert (doc.text, doc.title, doc.url, doc.source_name, doc.published) == (
        "Мост открыт. Движение пустят завтра.",
        "Мост открыт",
        "https://t.me/readovka/7",
        "Readovka",
        WHEN,
    )


def test_a_forwarded_post_counts_as_its_origin():
    assert post_document(post("Мост открыт.", forwarded_from="РИА Новости")).source_name == (
        "РИА Новости"
    )


@pytest.mark.parametrize("text", ["", "  \n", "#новости 🔥\n@readovka", "https://t.me/readovka"])
def test_a_post_with_no_text_left_is_no_document(text):
    assert post_document(post(text)) is None
    assert post_entry(post(text)) is None


@pytest.mark.parametrize(
    "text, link, teaser",
    [
        ("Мост открыт, подробности по ссылке.", "https://example.ru/most", True),
        ("Мост открыт, подробности по ссылке.", None, False),
        ("Мост открыт. " * 40, "https://example.ru/most", False),
        ("Мост открыт.", "javascript:alert(1)", False),
    ],
)
def test_a_short_post_with_a_link_is_a_teaser_of_the_linked_page(text, link, teaser):
    entry = post_entry(post(text, link=link))
    assert entry.teaser is teaser
    assert entry.link == (link if teaser else None)
    assert entry.document.url == "https://t.me/readovka/7"
