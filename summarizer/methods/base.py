"""The document every method reads, and the method interface."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Document:
    """Candidate sentences of one article, in order, with the article's title (may be empty)."""

    sentences: tuple[str, ...]
    title: str = ""


Method = Callable[[Document, int], Sequence[int]]
"""Chooses `count` sentences (fewer if the document is shorter); returns their indices."""
