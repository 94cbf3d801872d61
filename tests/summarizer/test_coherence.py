import pytest

from summarizer import METHODS, summarize
from summarizer.coherence import (
    coherent_selection,
    dangling_back_reference,
    has_unbalanced_quotes,
    starts_with_back_reference,
    units,
)
from summarizer.eval.summaries import breaks_as_text
from summarizer.text import iter_sentences


def cases(*lines: str) -> list[tuple[str, str]]:
    """razdel style: 'input|expected'."""
    return [tuple(line.split("|")) for line in lines]


@pytest.mark.parametrize(
    "sentence, expected",
    cases(
        "Он поручил развивать туризм.|yes",
        "Она не согласилась.|yes",
        "При этом цены выросли.|yes",
        "Кроме того, суд оштрафовал компанию.|yes",
        "Также пострадали двое.|yes",
        "Однако, по данным полиции, жертв нет.|yes",
        "Это первый случай в регионе.|yes",
        "По его словам, решение окончательное.|yes",
        "Об этом сообщает ТАСС.|yes",
        "— Но мы не сдадимся.|yes",
        "Онкологи предупредили о рисках.|no",
        "Этажи здания обрушились.|no",
        "Президент провел совещание.|no",
        "При пожаре никто не пострадал.|no",
        "По данным МЧС, жертв нет.|no",
        "«Он ушел», — сказал тренер.|no",
        "2020 год стал рекордным.|no",
        "А. Иванов и И. Петров подписали договор.|no",
        "Обо всем договорились заранее.|no",
        "|no",
    ),
)
def test_starts_with_back_reference(sentence, expected):
    assert starts_with_back_reference(sentence) == (expected == "yes")


@pytest.mark.parametrize(
    "text, expected",
    cases(
        "«Мы пришли», — сказал он.|balanced",
        "«Мы пришли. Мы ушли», — сказал он.|balanced",
        "Акции «Газпрома» и «ЛУКОЙЛа» выросли.|balanced",
        "Компания «Завод „Прогресс“» объявила о сделке.|balanced",
        'Компания "Газпром" объявила о сделке.|balanced',
        '"Мы готовы", - заявил он.|balanced',
        "Он сказал: “Мы готовы”.|balanced",
        "Без кавычек.|balanced",
        "Мы ушли», — сказал он.|unbalanced",
        "«Мы пришли.|unbalanced",
        '"Мы пришли.|unbalanced',
        'Мы ушли", - сказал он.|unbalanced',
        "Компания «Завод „Прогресс» объявила.|unbalanced",
        "»Мы«|unbalanced",
    ),
)
def test_has_unbalanced_quotes(text, expected):
    assert has_unbalanced_quotes(text) == (expected == "unbalanced")


@pytest.mark.parametrize(
    "text, expected",
    cases(
        # sentences on lines; units as space-separated indices, "-" for none
        "Первое.\nВторое.\nТретье.|0 1 2",
        "Первое.\n«Мы пришли.\nМы ушли», — сказал он.\nЧетвертое.|0 1,2 1,2 3",
        "Первое.\nОн ушел.\nПри этом дверь открыта.|0 0,1 0,1,2",
        "Он первый.\nВторое.|0 1",  # the title is the first sentence's antecedent
        "Первое.\nМы ушли», — сказал он.\nОн уехал.\nТретье.|0 - - 3",
        "Первое.\n«Цитата без конца.\nДальше.|0 - 2",
        "Новость.\n«Мы пришли.\nОднако мы ушли», — сказал он.|0 1,2 1,2",
        # a quoted «Это» is no reference
        "Новость.\nСказано так.\n«Это верно», — ответил он.\nИ он ушел.|0 1 2 2,3",
    ),
)
def test_units(text, expected):
    found = units(text.split("\n"))
    assert " ".join("-" if unit is None else ",".join(map(str, unit)) for unit in found) == (
        expected
    )


@pytest.mark.parametrize(
    "ranked, count, expected",
    [
        ([3], 3, [2, 3]),  # a back-reference brings its antecedent
        ([3, 0], 1, [0]),  # ... or yields to the next candidate when the budget is one
        ([1, 4], 3, [1, 4, 5]),  # a quotation comes whole
        ([4, 0, 1], 2, [4, 5]),
        ([4, 0, 1], 1, [0]),  # a two-sentence quotation does not fit one sentence
        ([6, 0], 2, [0]),  # a stray closing quote is no candidate
    ],
)
def test_coherent_selection(ranked, count, expected):
    sentences = [
        "Суд вынес приговор.",
        "Адвокат подал жалобу.",
        "Заседание длилось час.",
        "Он назвал его суровым.",
        "«Мы обжалуем решение.",
        "Это только начало», — сказал адвокат.",
        "Приговор вступил в силу».",
    ]
    assert coherent_selection(sentences, ranked, count) == expected


@pytest.mark.parametrize(
    "chosen, expected", [([0, 1], False), ([0, 2], True), ([1], False), ([0], False)]
)
def test_dangling_back_reference(chosen, expected):
    sentences = ["Суд вынес приговор.", "Адвокат подал жалобу.", "Он назвал его суровым."]
    assert dangling_back_reference(sentences, chosen) == expected


# Sentences that every method likes (names, numbers) sit inside a quotation or after a
# back-reference; plain sentences around them are the alternatives.
ARTICLE = (
    "Правительство утвердило программу развития Дальнего Востока. "
    "«Программа обойдется в 120 млрд рублей. "
    "Министр Иван Петров и губернатор Алексей Смирнов подписали соглашение о 15 заводах», — "
    "сообщила пресс-служба. "
    "Ранее власти обсуждали проект. "
    "При этом Петров пообещал 120 новых заводов и 40 млрд рублей инвестиций от Смирнова. "
    "Работы начнутся весной. "
    "Он также сообщил о 30 млрд рублей для Хабаровска и Владивостока."
)


@pytest.mark.parametrize("method", [method for method in METHODS if method != "lead"])
@pytest.mark.parametrize("count", [1, 2, 3])
def test_every_method_reads_as_text(method, count):
    chosen = summarize(ARTICLE, sentences=count, method=method).sentences
    assert chosen
    assert len(chosen) <= count
    assert breaks_as_text(ARTICLE, chosen) == (False, False)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    "text, count",
    [("«Цитата без конца.", 1), ("«Мы пришли. Мы ушли», — сказал он.", 1), ("Он ушел.", 1)],
)
def test_a_text_that_cannot_read_as_text_is_summarized_anyway(method, text, count):
    assert summarize(text, sentences=count, method=method).sentences


def test_article_would_break_without_the_rules():
    """The article above is a real test: the plain expected-F1 choice breaks it."""
    candidates = list(iter_sentences(ARTICLE))
    assert has_unbalanced_quotes(candidates[2]) and starts_with_back_reference(candidates[4])
