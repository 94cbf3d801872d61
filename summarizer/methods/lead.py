"""Lead-N: the first sentences. News puts the essentials first, so this is a strong baseline."""

from __future__ import annotations

from summarizer.methods.base import Document


def select(document: Document, count: int) -> range:
    return range(min(count, len(document.sentences)))
