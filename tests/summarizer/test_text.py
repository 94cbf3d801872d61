import pytest

from summarizer.text import analyze, content_lemmas, iter_sentences, lemma, stop_words, words


@pytest.mark.parametrize(
    "text, expected",
    [
        ("К.-Ж. Токаев приехал в г. Алматы. Встреча прошла.", 2),
        ("Это т. е. пример. Второе.", 2),
        ("Цена 3.5 долл. выросла на 1,5%. Итог.", 2),
        ("Курс вырос до 92,5 руб. за доллар. В 2024 г. инфляция составила 9,5%.", 2),
        ("«Мы приедем. Обязательно», — сказал он. Потом уехал.", 3),
        ("«Мы приедем», — сказал он. Потом уехал.", 2),
        ("Пункты:\n- первый\n- второй\n1) третий", 4),
        ("No Cyrillic here. Second sentence.", 2),
    ],
)
def test_sentence_splitting(text, expected):
    assert len(list(iter_sentences(text))) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Привет, мир!", ["привет", "мир"]),
        ("В 2024 г. — рост 3,5%", ["в", "2024", "г", "рост", "3,5"]),
        ("«Газпром» и Apple", ["газпром", "и", "apple"]),
        ("", []),
    ],
)
def test_words(text, expected):
    assert words(text) == expected


@pytest.mark.parametrize(
    "word, expected",
    [
        ("туризма", "туризм"),
        ("заявил", "заявить"),
        ("ёлки", "елка"),
        ("apple", "apple"),
        ("2024", "2024"),
    ],
)
def test_lemma(word, expected):
    assert lemma(word) == expected


@pytest.mark.parametrize(
    "word, pos, proper",
    [
        ("москве", "NOUN", True),
        ("президент", "NOUN", False),
        ("заявил", "VERB", False),
        ("iphone", "", False),
    ],
)
def test_analyze(word, pos, proper):
    assert (analyze(word).pos, analyze(word).proper) == (pos, proper)


@pytest.mark.parametrize("word", ["и", "в", "он", "его", "было", "быть", "который"])
def test_stop_words(word):
    assert word in stop_words()


def test_content_lemmas_drop_stop_words():
    assert content_lemmas("Он заявил, что туризм в Алматы растет") == [
        "заявить",
        "туризм",
        "алматы",
        "расти",
    ]
