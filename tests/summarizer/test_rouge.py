from dataclasses import astuple

import pytest

from summarizer.eval.rouge import lcs_words, prepare, score


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Привет, мир!", ["привет , мир !"]),
        ("Первое. Второе.", ["первое", "второе"]),
        ("Т. е. так", ["т", "е", "так"]),
        ("", []),
    ],
)
def test_prepare(text, expected):
    assert prepare(text) == expected


@pytest.mark.parametrize(
    "hypothesis, reference, expected",
    [
        # identical after razdel tokens and lowercasing
        ("Привет, мир!", "привет , мир !", (1, 1, 1)),
        # 2 of 3 words, 1 of 2 bigrams, LCS "а б"
        ("а б в", "а б г", (2 / 3, 1 / 2, 2 / 3)),
        # n-grams are unique: "а а а" has one unigram and one bigram
        ("а а а", "а", (1, 0, 1)),
        # "." splits sentences but words are joined across them for n-grams
        ("а б. в г.", "а б в г.", (1, 1, 1)),
        # the LCS union is shared across reference sentences: the repeat adds nothing to R-L;
        # bigrams run across sentences, so the reference has "а б" and "б а"
        ("а б", "а б. а б.", (1, 2 / 3, 1)),
        # R = 1, P = 1/2; rouge 0.3.2's ROUGE-L uses beta = P / R = 1/2, not the harmonic mean
        ("а б в г", "а б", (2 / 3, 1 / 2, 1.25 * 0.5 / 1.125)),
        # no overlap at all
        ("а б", "в г", (0, 0, 0)),
        # an empty side scores zero instead of raising
        ("", "а б", (0, 0, 0)),
        ("а б", "", (0, 0, 0)),
    ],
)
def test_score(hypothesis, reference, expected):
    assert astuple(score(hypothesis, reference)) == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(
    "reference, hypothesis, expected",
    [
        ("а б в г", "а в г", ["а", "в", "г"]),
        # on a tie the trace steps along the hypothesis, as rouge 0.3.2 does
        ("а б", "б а", ["б"]),
        ("а б", "", []),
    ],
)
def test_lcs_words(reference, hypothesis, expected):
    assert lcs_words(reference.split(), hypothesis.split()) == expected
