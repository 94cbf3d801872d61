"""`summarize`: clean the text, split it into candidate sentences, let a method choose."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import islice

from summarizer import coherence, methods
from summarizer import text as nlp
from summarizer.cleaning import Article, clean

AS_SELECTED = ("lead", "default")
"""Methods whose choice is shown as is: Lead-3 is the published baseline it must reproduce;
`default` chooses whole `coherence.units` itself. Every other method's choice is made
`readable`."""
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
        indices = sorted(set(select(document, count)))
        if method not in AS_SELECTED:
            indices = readable(candidates, indices, count)
        chosen = tuple(candidates[index] for index in indices)
        if max_chars is None or len(" ".join(chosen)) <= max_chars:
            return Summary(article.title, chosen)
    return Summary(article.title, ())


def readable(candidates: Sequence[str], selected: Sequence[int], count: int) -> list[int]:
    """The method's choice made to read as text (`coherence`): its sentences first, then the
    rest in document order as the candidates that a sentence left out yields to. A text whose
    every sentence breaks a quotation keeps the method's choice."""
    preferred = sorted(set(selected))
    taken = set(preferred)
    rest = (index for index in range(len(candidates)) if index not in taken)
    return coherence.coherent_selection(candidates, [*preferred, *rest], count) or preferred
