from pathlib import Path

import pytest

from summarizer import Article, clean
from summarizer.cleaning import (
    is_headline,
    is_photo_credit,
    is_share_line,
    is_view_counter,
    normalize,
    related_heading,
    title_below_counter,
)

ROOT = Path(__file__).resolve().parents[2]
SEED = "000_b548b0995df282f2.txt"


@pytest.mark.parametrize(
    "line, expected",
    [
        ("• 3658", True),
        ("3658", True),
        ("· 12 345", True),
        ("1 024 просмотра", True),
        ("В 2020 году", False),
        ("• Пункт списка", False),
    ],
)
def test_view_counter(line, expected):
    assert is_view_counter(line) is expected


@pytest.mark.parametrize(
    "line, expected",
    [
        ("Фото Жанары Каримовой", True),
        ("Фото: ТАСС", True),
        ("Фото: Reuters / Иван Петров", True),
        ("© РИА Новости", True),
        ("Фотография: пресс-служба Акорды", True),
        ("Фото сделано у входа в здание суда.", False),
        ("Фотографии с Марса опубликовало NASA", False),
    ],
)
def test_photo_credit(line, expected):
    assert is_photo_credit(line) is expected


@pytest.mark.parametrize(
    "line, expected",
    [
        ("Поделиться", True),
        ("Подписывайтесь на наш Telegram-канал", True),
        ("ВКонтакте Telegram WhatsApp", True),
        ("Нашли ошибку? Выделите ее и нажмите Ctrl+Enter", True),
        ("Telegram заблокировал каналы мошенников", False),
    ],
)
def test_share_line(line, expected):
    assert is_share_line(line) is expected


@pytest.mark.parametrize(
    "line, expected",
    [
        ("Еще по теме:", "block"),
        ("Свежее из этой рубрики", "block"),
        ("Читайте также: Токаев поручил развивать туризм", "line"),
        ("По теме совещания высказались все", None),
        ("Читайте также наш обзор, если вам интересно", None),
        ("Президент выступил", None),
    ],
)
def test_related_heading(line, expected):
    assert related_heading(line) == expected


@pytest.mark.parametrize(
    "line, expected",
    [
        ("Алматы необходимо развивать креативную экономику, считает Токаев", True),
        ("Что будет с рублем?", True),
        ("Курс рубля вырос.", False),
        ("Главное за день:", False),
        ("", False),
        ("Длинная строка " * 30, False),
    ],
)
def test_headline(line, expected):
    assert is_headline(line) is expected


@pytest.mark.parametrize(
    "page, expected",
    [
        ("Подзаголовок|• 3658|Заголовок|Текст.", "Заголовок|Подзаголовок|Текст."),
        ("Заголовок|• 3658|Текст.", "Заголовок|• 3658|Текст."),
        ("Заголовок|Подзаголовок|• 3658", "Заголовок|Подзаголовок|• 3658"),
        ("Текст.|• 3658|Заголовок", "Текст.|• 3658|Заголовок"),
    ],
)
def test_title_below_counter(page, expected):
    assert "|".join(title_below_counter(page.split("|"))) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("a\r\nb", "a\nb"),
        ("раз\u00a0 два", "раз два"),
        ("по\u00adпуляр\u200bный", "популярный"),
        ("  отступ  ", "отступ"),
    ],
)
def test_normalize(text, expected):
    assert normalize(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", Article("", "", "")),
        ("Одно предложение.", Article("", "Одно предложение.", "Одно предложение.")),
        ("Строка без точки", Article("", "Строка без точки", "Строка без точки")),
        (
            "Заголовок\nПервая фраза. Вторая фраза.",
            Article("Заголовок", "Первая фраза.", "Первая фраза. Вторая фраза."),
        ),
        (
            "Заголовок\nПодзаголовок\n\nТекст.\nЕще по теме:\nСсылка один\nСсылка два",
            Article("Заголовок", "Подзаголовок", "Текст."),
        ),
        (
            "Заголовок\nФото: ТАСС\nТекст.\nЧитайте также: Другая новость\nКонец текста.",
            Article("Заголовок", "Текст.", "Текст.\nКонец текста."),
        ),
        ("Заголовок\n• 12\nТекст.\nПоделиться", Article("Заголовок", "Текст.", "Текст.")),
    ],
)
def test_clean(text, expected):
    assert clean(text) == expected


def _seed_text() -> str:
    for folder in (ROOT / "seeds", ROOT.parent / "shared" / "seeds"):
        if (folder / SEED).exists():
            return (folder / SEED).read_text(encoding="utf-8")
    pytest.skip(f"seed article {SEED} is absent")


@pytest.mark.parametrize(
    "name, title",
    [
        ("001_izbiratelnye-okruga.txt", "Депутаты Заречной области утвердили новую схему"),
        ("004_smartfon-roga-kopyta.txt", "Компания «Рога & Копыта» представила <b>новый</b>"),
    ],
)
def test_sample_titles(name, title):
    assert clean((ROOT / "seeds" / name).read_text(encoding="utf-8")).title.startswith(title)


def test_seed_title_and_lead():
    article = clean(_seed_text())
    assert article.title == "Алматы необходимо развивать креативную экономику, считает Токаев"
    assert article.lead == "Социально-экономические показатели за 2020 год он назвал нестабильными"


@pytest.mark.parametrize("furniture", ["Фото", "• 3658", "Еще по теме", "Свежее из этой рубрики"])
def test_seed_body_has_no_furniture(furniture):
    body = clean(_seed_text()).body
    assert body.startswith("Президент Касым-Жомарт Токаев на совещании")
    assert furniture not in body


@pytest.mark.parametrize(
    "line, expected",
    [
        ("Подписаться на Mash", True),
        ("👉 Подпишись | Прислать новость", True),
        ("Подписывайтесь на @readovka", True),
        ("Прислать новость: @news_bot", True),
        ("Подписание договора состоится в мае", False),
        ("Подписаться " + "очень " * 40, False),
    ],
)
def test_signature_line(line, expected):
    from summarizer.cleaning import is_signature_line

    assert is_signature_line(line) is expected


@pytest.mark.parametrize(
    "line, expected",
    [("@readovka", True), ("⚡️ @mash_news 👈", True), ("@abc", False), ("@ мэр", False)],
)
def test_channel_handle(line, expected):
    from summarizer.cleaning import is_channel_handle

    assert is_channel_handle(line) is expected


@pytest.mark.parametrize(
    "line, expected",
    [
        ("t.me/readovka", True),
        ("https://t.me/Readovka/", True),
        ("👉 https://telegram.me/s/readovka?before=5", True),
        ("https://t.me/mash", False),
        ("https://t.me/readovka/1234", False),
        ("readovka.news", False),
    ],
)
def test_self_link(line, expected):
    from summarizer.cleaning import is_self_link

    assert is_self_link(line, "readovka") is expected


@pytest.mark.parametrize(
    "line, expected",
    [
        ("Текст. #новости 🔥", "Текст."),
        ("Итоги дня #Москва, #спорт", "Итоги дня"),
        ("🇷🇺 ❗️", ""),
        ("Номер #1 в списке — это он", "Номер #1 в списке — это он"),
        ("Цена 100 ₽", "Цена 100 ₽"),  # a currency sign (Sc) is no decoration
    ],
)
def test_without_trailing_tags(line, expected):
    from summarizer.cleaning import without_trailing_tags

    assert without_trailing_tags(line) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Мост открыт.\n\nПодписаться на Mash\n@mash", "Мост открыт."),
        ("Мост открыт. #новости ⚡️\nhttps://t.me/readovka", "Мост открыт."),
        ("Подписаться на канал\nМост открыт.", "Подписаться на канал\nМост открыт."),
        ("#новости 🔥\n@readovka", ""),
        ("Первая строка\nвторая строка", "Первая строка\nвторая строка"),
    ],
)
def test_clean_post(text, expected):
    from summarizer.cleaning import clean_post

    assert clean_post(text, "readovka") == expected
