import pytest

from summarizer.additions import addition, new_facts
from summarizer.text import lemmas

TITLE = "В Заречном загорелся склад стройматериалов площадью 2 тыс. кв. м"
SUMMARY = (
    "В промышленной зоне Заречного ночью в среду загорелся складской комплекс.",
    "К тушению привлекли более 80 пожарных и пожарный поезд.",
)


@pytest.mark.parametrize(
    "sentence, expected",
    [
        # a new number, name or place
        ("Открытое горение ликвидировали к 07:30.", "07 30"),
        ("Ущерб оценили в 15 млн рублей.", "15"),
        ("Начальник отряда Игорь Зуев назвал причиной проводку.", "зуев игорь"),
        ("Огонь перекинулся на склад в Озерске.", "озерск"),
        ("Склад арендовала компания Stroymarket.", "stroymarket"),
        # facts already told, or no facts at all
        ("Пожар площадью 2 тыс. кв. м тушили более 80 пожарных.", ""),
        ("В Заречном загорелся склад.", ""),
        ("Пожарные работали всю ночь.", ""),
        # a repetition that happens to add a number: most of its words are the summary's
        ("В промышленной зоне Заречного в среду загорелся складской комплекс № 3.", ""),
    ],
)
def test_new_facts(sentence, expected):
    found = new_facts(sentence, set(lemmas(" ".join([TITLE, *SUMMARY]))))
    assert " ".join(sorted(found)) == expected


@pytest.mark.parametrize(
    "others, expected",
    [
        ([], None),
        (["Пожарные работали всю ночь."], None),
        (["Горение ликвидировали к 07:30.", "Ущерб - 15 млн рублей, сообщил Игорь Зуев."], 1),
        (["Горение ликвидировали к 07:30.", "Ущерб составил 15 млн рублей."], 0),  # earliest
        (["Он сообщил, что ущерб составил 15 млн рублей."], None),  # a back-reference
        (["«Ущерб составил 15 млн рублей.", "Это много», - сказал Зуев."], None),  # a half quote
        (["Ущерб составил 15 млн рублей. " * 20], None),  # longer than the summary it completes
    ],
)
def test_addition_picks_the_sentence_with_the_most_new_facts(others, expected):
    found = addition(SUMMARY, TITLE, others)
    assert found == (None if expected is None else others[expected])
