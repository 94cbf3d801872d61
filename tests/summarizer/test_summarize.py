import pytest

from summarizer import METHODS, Summary, clean, summarize
from summarizer.text import iter_sentences

NEWS = (
    "Президент К.-Ж. Токаев провел совещание в г. Алматы. "
    "Он поручил развивать туризм, т. е. внутренние поездки. "
    "Расходы составят 3,5 млрд тенге. "
    "«Мы не будем изобретать велосипед», — сказал он. "
    "Программу утвердят до 1 января."
)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    "text, sentences, expected",
    [
        ("", 3, ()),
        ("   \n\n ", 3, ()),
        ("Одно предложение.", 3, ("Одно предложение.",)),
        ("Первое. Второе.", 3, ("Первое.", "Второе.")),
        ("Первое. Второе. Третье.", 0, ()),
        ("Only Latin text. Nothing else here.", 5, ("Only Latin text.", "Nothing else here.")),
        ("Рост составил 12,5%. Спад 3%.", 3, ("Рост составил 12,5%.", "Спад 3%.")),
    ],
)
def test_short_inputs(method, text, sentences, expected):
    assert summarize(text, sentences=sentences, method=method).sentences == expected


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("count", [1, 2, 3])
def test_sentences_come_whole_and_in_order(method, count):
    candidates = list(iter_sentences(NEWS))
    chosen = summarize(NEWS, sentences=count, method=method).sentences
    assert len(chosen) == count
    positions = [candidates.index(sentence) for sentence in chosen]
    assert positions == sorted(positions)


@pytest.mark.parametrize("method", METHODS)
def test_deterministic(method):
    assert summarize(NEWS, method=method) == summarize(NEWS, method=method)


@pytest.mark.parametrize("max_chars", [0, 10, 60, 120, 200, 10_000])
def test_max_chars_never_cuts_a_sentence(max_chars):
    candidates = list(iter_sentences(NEWS))
    summary = summarize(NEWS, sentences=3, max_chars=max_chars)
    assert len(str(summary)) <= max_chars
    assert all(sentence in candidates for sentence in summary.sentences)


def test_max_chars_keeps_what_fits():
    assert len(summarize(NEWS, sentences=3, max_chars=120).sentences) >= 1


@pytest.mark.parametrize(
    "summary, expected",
    [
        (Summary("", ()), ""),
        (Summary("T", ("Раз.",)), "Раз."),
        (Summary("T", ("Раз.", "Два.")), "Раз. Два."),
    ],
)
def test_summary_str(summary, expected):
    assert str(summary) == expected


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"method": "nope"}, "unknown method 'nope'"),
        ({"sentences": -1}, "sentences must be >= 0"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        summarize(NEWS, **kwargs)


def test_title_comes_from_the_header():
    assert summarize("Заголовок\n" + NEWS).title == "Заголовок"


def test_a_cleaned_article_is_summarized_as_its_text():
    page = "Заголовок\n• 3658\n" + NEWS + "\nЧитайте также: другое"
    assert summarize(clean(page)) == summarize(page)
