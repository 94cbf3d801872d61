"""Dedup keys: canonical URLs, the text hash, MinHash fingerprints and their bands."""

from __future__ import annotations

import pytest

from bot.ingest import dedup
from summarizer.text import lemmas

STORY = (
    "Правительство утвердило программу развития туризма в горных районах до 2030 года. "
    "На строительство дорог, гостиниц и визит-центров направят 12 миллиардов рублей. "
    "Первые маршруты откроются уже следующим летом, сообщили в министерстве. "
    "По оценкам экспертов, поток туристов в регион вырастет вдвое за пять лет. "
    "Местные жители получат льготные кредиты на открытие гостевых домов. "
    "Программа также предусматривает обучение гидов и инструкторов."
)
EDITED = STORY.replace(
    "Местные жители получат льготные кредиты на открытие гостевых домов.",
    "Фермеры смогут продавать продукцию туристам без посредников на новых ярмарках.",
)
OTHER = (
    "Футбольный клуб объявил о подписании контракта с молодым нападающим. "
    "Игрок перешёл из академии клуба и дебютирует в ближайшем туре чемпионата. "
    "Главный тренер назвал его одним из самых перспективных футболистов страны. "
    "Сумма сделки не раскрывается, контракт рассчитан на четыре года."
)


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("https://News.Example.RU/a/1/", "https://news.example.ru/a/1"),
        ("https://news.example.ru/a/1#comments", "https://news.example.ru/a/1"),
        (
            "https://news.example.ru/a/1?utm_source=tg&utm_medium=social&id=5",
            "https://news.example.ru/a/1?id=5",
        ),
        ("https://news.example.ru/a?b=2&a=1&fbclid=x", "https://news.example.ru/a?a=1&b=2"),
        ("https://news.example.ru:443/a", "https://news.example.ru/a"),
        ("http://news.example.ru:8080/a", "http://news.example.ru:8080/a"),
        ("https://news.example.ru/", "https://news.example.ru"),
    ],
)
def test_canonical_url(url, canonical):
    assert dedup.canonical_url(url) == canonical


def test_hash_ignores_case_punctuation_and_spacing():
    first = dedup.content_hash("Туристов стало больше,  — сообщили   в министерстве.")
    assert first == dedup.content_hash("туристов стало больше\nсообщили в министерстве")
    assert first != dedup.content_hash("Туристов стало меньше, сообщили в министерстве.")


@pytest.mark.parametrize(
    ("other", "same_story"),
    [(EDITED, True), (STORY + " Подробности позже.", True), (OTHER, False)],
)
def test_near_duplicates_by_fingerprint(other, same_story):
    first = dedup.fingerprint(lemmas(STORY))
    second = dedup.fingerprint(lemmas(other))
    assert (dedup.similarity(first, second) >= dedup.SIMILARITY) is same_story
    shares_a_band = bool(set(dedup.bands(first)) & set(dedup.bands(second)))
    assert shares_a_band is same_story


def test_short_texts_have_no_fingerprint():
    assert dedup.fingerprint(lemmas("Коротко о главном.")) is None
    assert dedup.bands(None) == ()
