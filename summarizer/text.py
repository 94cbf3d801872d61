"""Russian text primitives: sentences and words with razdel, lemmas with pymorphy3 (cached)."""

from __future__ import annotations

from functools import cache, lru_cache

import razdel


def sentences(text: str) -> list[str]:
    """Sentences of `text` in order, as razdel splits them."""
    return [sentence.text for sentence in razdel.sentenize(text)]


def words(text: str) -> list[str]:
    """Lowercased word tokens (letters or digits), punctuation dropped."""
    return [token.text.lower() for token in razdel.tokenize(text) if token.text[0].isalnum()]


@cache
def _analyzer():
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


@lru_cache(maxsize=200_000)
def lemma(word: str) -> str:
    """Normal form of one lowercased word ("туризма" -> "туризм"); non-Cyrillic words as is."""
    if not any("а" <= char <= "я" or char == "ё" for char in word):
        return word
    return _analyzer().parse(word)[0].normal_form.replace("ё", "е")


def lemmas(text: str) -> list[str]:
    """Lemmas of the words of `text`, in order."""
    return [lemma(word) for word in words(text)]
