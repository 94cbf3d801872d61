"""The document every method reads, and the method interface."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

from summarizer import text as nlp


@dataclass(frozen=True)
class Document:
    """Candidate sentences of one article, in order, with the article's title (may be empty)."""

    sentences: tuple[str, ...]
    title: str = ""

    @cached_property
    def lemmas(self) -> tuple[tuple[str, ...], ...]:
        """Content lemmas (stop words dropped) of each sentence."""
        return tuple(tuple(nlp.content_lemmas(sentence)) for sentence in self.sentences)


Method = Callable[[Document, int], Sequence[int]]
"""Chooses `count` sentences (fewer if the document is shorter); returns their indices."""
