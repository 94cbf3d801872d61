"""The default method (temporary: Lead-N until the tuned scorer lands)."""

from __future__ import annotations

from summarizer.methods.base import Document


def select(document: Document, count: int) -> range:
    return range(min(count, len(document.sentences)))
