"""sumy's algorithms over Russian text: razdel tokens, pymorphy3 lemmas as stems, our stop words.

sumy's own Russian tokenizer needs NLTK data (not downloadable offline) and it ships no Russian
stop words, so sumy gets duck-typed replacements: a tokenizer with `to_sentences`/`to_words`
and a stemmer that is any callable from word to stem. sumy is imported only from here.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

from summarizer import text as nlp
from summarizer.methods.base import Document

if TYPE_CHECKING:  # sumy is imported only when one of its methods is asked for
    from sumy.models.dom import ObjectDocumentModel
    from sumy.summarizers._summarizer import AbstractSummarizer

ALGORITHMS = {
    "lexrank": "sumy.summarizers.lex_rank:LexRankSummarizer",
    "textrank": "sumy.summarizers.text_rank:TextRankSummarizer",
    "lsa": "sumy.summarizers.lsa:LsaSummarizer",
    "luhn": "sumy.summarizers.luhn:LuhnSummarizer",
    "edmundson": "sumy.summarizers.edmundson:EdmundsonSummarizer",
    "kl": "sumy.summarizers.kl:KLSummarizer",
    "sumbasic": "sumy.summarizers.sum_basic:SumBasicSummarizer",
    "reduction": "sumy.summarizers.reduction:ReductionSummarizer",
}

# Edmundson's cue method: lemmas that mark a sentence carrying news (bonus) or background,
# hedging and asides (stigma). Its title and location methods skip null words (stop words).
BONUS_WORDS = (
    *("заявить", "сообщить", "объявить", "решить", "принять", "утвердить", "подписать"),
    *("впервые", "президент", "правительство", "глава", "министр", "суд", "закон"),
    *("млрд", "млн", "рубль", "процент"),
)
STIGMA_WORDS = (
    *("также", "кроме", "например", "впрочем", "напомнить", "ранее", "возможно"),
    *("вероятно", "видимо", "кстати", "однако", "мнение", "якобы"),
)


class RazdelTokenizer:
    """sumy's tokenizer protocol over razdel."""

    @staticmethod
    def to_sentences(paragraph: str) -> list[str]:
        return list(nlp.iter_sentences(paragraph))

    @staticmethod
    def to_words(sentence: str) -> list[str]:
        return nlp.words(sentence)


def _summarizer(algorithm: str) -> AbstractSummarizer:
    module_name, class_name = ALGORITHMS[algorithm].split(":")
    summarizer = getattr(importlib.import_module(module_name), class_name)(nlp.lemma)
    summarizer.stop_words = nlp.stop_words()
    if algorithm == "edmundson":
        summarizer.bonus_words = BONUS_WORDS
        summarizer.stigma_words = STIGMA_WORDS
        summarizer.null_words = nlp.stop_words()
    return summarizer


def _sumy_document(document: Document) -> ObjectDocumentModel:
    from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence

    tokenizer = RazdelTokenizer()
    sentences = [Sentence(sentence, tokenizer) for sentence in document.sentences]
    if document.title:
        sentences.insert(0, Sentence(document.title, tokenizer, is_heading=True))
    return ObjectDocumentModel([Paragraph(sentences)])


def _indices(sentences: tuple[str, ...], chosen: Iterator[str]) -> list[int]:
    """Positions of sumy's chosen sentences (given in document order, compared by text)."""
    indices: list[int] = []
    position = 0
    for text in chosen:
        while sentences[position].strip() != text:
            position += 1
        indices.append(position)
        position += 1
    return indices


def select(document: Document, count: int, *, algorithm: str) -> list[int]:
    if count <= 0 or not document.sentences:
        return []
    import numpy

    # LexRank's power iteration divides 0 by 0 when no two sentences share a word: a harmless
    # tie (every sentence is equally central), not worth a warning per call.
    with numpy.errstate(invalid="ignore", divide="ignore"):
        chosen = _summarizer(algorithm)(_sumy_document(document), count)
    return _indices(document.sentences, (str(sentence) for sentence in chosen))
