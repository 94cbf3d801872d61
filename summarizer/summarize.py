"""`summarize`: clean the text, split it into candidate sentences, let a method choose."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import islice

from summarizer import methods
from summarizer import text as nlp
from summarizer.cleaning import Article, clean

MAX_CANDIDATES = 200
"""News puts its substance first; later sentences of a huge text only cost time and memory."""


@dataclass(frozen=True, slots=True)
class Summary:
    """Chosen sentences in document order; `str()` joins them."""

    title: str
    sentences: tuple[str, ...]

    def __str__(self) -> str:
        return " ".join(self.sentences)


def summarize(
    text: str | Article,
    *,
    sentences: int = 3,
    method: str = "default",
    max_chars: int | None = None,
) -> Summary:
    """Summarize `text` (scraped text, or an article `clean` already made of it) in at most
    `sentences` sentences and, if given, `max_chars` characters (whole sentences only: fewer
    sentences rather than a cut one)."""
    if sentences < 0:
        raise ValueError(f"sentences must be >= 0, got {sentences}")
    select = methods.get(method)
    article = text if isinstance(text, Article) else clean(text)
    candidates = tuple(islice(nlp.iter_sentences(article.body), MAX_CANDIDATES))
    document = methods.Document(candidates, title=article.title)
    for count in range(min(sentences, len(candidates)), 0, -1):
        chosen = tuple(candidates[index] for index in sorted(set(select(document, count))))
        if max_chars is None or len(" ".join(chosen)) <= max_chars:
            return Summary(article.title, chosen)
    return Summary(article.title, ())


def summarize_nested(
    text: str | Article, sizes: Sequence[int], *, method: str = "default"
) -> dict[int, Summary]:
    """Summaries of several lengths from one selection: the method chooses the largest size,
    and each smaller summary is its first `size` choices, in document order. This holds for
    methods that rank sentences (their first k of n are their choice for k): `default` does
    (all 200 articles of gazeta_dev.jsonl, for 3 of 5)."""
    select = methods.get(method)
    article = text if isinstance(text, Article) else clean(text)
    candidates = tuple(islice(nlp.iter_sentences(article.body), MAX_CANDIDATES))
    if not candidates:
        return {size: Summary(article.title, ()) for size in sizes}
    document = methods.Document(candidates, title=article.title)
    ranked = list(dict.fromkeys(select(document, min(max(sizes), len(candidates)))))
    return {
        size: Summary(article.title, tuple(candidates[i] for i in sorted(ranked[:size])))
        for size in sizes
    }
