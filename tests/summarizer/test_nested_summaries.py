"""Summaries of several lengths from one selection (what ingest stores for «Длина»)."""

from pathlib import Path

import pytest

from summarizer import summarize
from summarizer.summarize import summarize_nested

SEEDS = sorted((Path(__file__).resolve().parents[2] / "seeds").glob("*.txt"))


@pytest.mark.parametrize("path", SEEDS[:8], ids=lambda path: path.name)
def test_the_nested_summary_of_three_is_the_summary_and_lies_within_the_one_of_five(path):
    text = path.read_text(encoding="utf-8")
    nested = summarize_nested(text, (1, 3, 5))
    assert nested[3] == summarize(text, sentences=3)
    assert set(nested[1].sentences) <= set(nested[3].sentences) <= set(nested[5].sentences)


def test_an_empty_text_has_empty_summaries():
    assert {size: s.sentences for size, s in summarize_nested("", (3, 5)).items()} == {
        3: (),
        5: (),
    }
