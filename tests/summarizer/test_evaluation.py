import pytest

from summarizer.eval.summaries import (
    ORACLE,
    Result,
    breaks_as_text,
    evaluate,
    format_table,
    oracle_indices,
)

CANDIDATES = ["Кошка спит на диване.", "Собака громко лает во дворе.", "Идет сильный дождь."]


@pytest.mark.parametrize(
    "reference, count, expected",
    [
        ("Собака громко лает во дворе.", None, [1]),
        ("Кошка спит. Идет сильный дождь.", None, [0, 2]),
        ("Кошка спит. Идет сильный дождь.", 1, [2]),
        ("Ничего общего.", None, []),
    ],
)
def test_oracle_indices(reference, count, expected):
    assert oracle_indices(CANDIDATES, reference, count) == expected


def test_evaluate_scores_each_method():
    pairs = [(" ".join(CANDIDATES), CANDIDATES[0])]
    lead, oracle = evaluate(pairs, ["lead", ORACLE], sentences=1)
    assert (lead.method, oracle.method) == ("lead", ORACLE)
    assert lead.rouge1 == pytest.approx(100, abs=1e-4)
    assert oracle.rouge1 == pytest.approx(100, abs=1e-4)
    assert lead.median_ms >= 0


def test_format_table():
    table = format_table([Result("lead", 27.73, 10.53, 22.83, 0.44, 21.0, 0.5)])
    assert table.splitlines() == [
        "| method | R-1 | R-2 | R-L | ms/article | unbalanced quotes % | dangling back-ref. % |",
        "|---|---:|---:|---:|---:|---:|---:|",
        "| lead | 27.7 | 10.5 | 22.8 | 0.4 | 21.0 | 0.5 |",
    ]


@pytest.mark.parametrize(
    "summary, expected",
    [
        (["«Мы пришли."], (True, False)),
        (["Он ушел."], (False, True)),
        (["Суд закрыт.", "Он ушел."], (False, False)),
        (["«Мы пришли.", "Мы ушли», — сказал он."], (False, False)),
    ],
)
def test_breaks_as_text(summary, expected):
    text = "Суд закрыт. Он ушел. «Мы пришли. Мы ушли», — сказал он."
    assert breaks_as_text(text, summary) == expected


def test_evaluate_counts_summaries_that_break():
    text = "Суд закрыт. «Мы пришли. Мы ушли», — сказал он."
    (oracle,) = evaluate([(text, "Мы ушли, сказал он.")], [ORACLE])
    assert (oracle.unbalanced_quotes, oracle.dangling_references) == (100.0, 0.0)
