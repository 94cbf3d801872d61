"""ROUGE-1/2/L F1 under the Gazeta protocol, reproducing the `rouge` package 0.3.2.

Both texts are razdel tokens joined by spaces and lowercased, then split into "sentences" on
"." (every "." token ends one). ROUGE-N counts unique n-grams of the whole summary. ROUGE-L is
summary-level: for each reference sentence the words of its LCS with every hypothesis sentence
join one union set shared across reference sentences, and F uses rouge 0.3.2's beta = P / R.
"""

from __future__ import annotations

from dataclasses import dataclass

import razdel


@dataclass(frozen=True, slots=True)
class Scores:
    """F1 of ROUGE-1, ROUGE-2 and ROUGE-L, each in [0, 1]."""

    rouge1: float
    rouge2: float
    rougel: float


def prepare(text: str) -> list[str]:
    """Gazeta preprocessing, then rouge 0.3.2's split into sentences on "."."""
    joined = " ".join(token.text for token in razdel.tokenize(text)).lower()
    return [" ".join(part.split()) for part in joined.split(".") if part]


def _words(sentences: list[str]) -> list[str]:
    return [word for sentence in sentences for word in sentence.split(" ")]


def _ngrams(words: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(words[start : start + n]) for start in range(len(words) - n + 1)}


def _f1(hypothesis_count: int, reference_count: int, overlap: int) -> float:
    precision = overlap / hypothesis_count if hypothesis_count else 0.0
    recall = overlap / reference_count if reference_count else 0.0
    return 2.0 * precision * recall / (precision + recall + 1e-8)


def rouge_n(hypothesis: list[str], reference: list[str], n: int) -> float:
    hypothesis_ngrams = _ngrams(_words(hypothesis), n)
    reference_ngrams = _ngrams(_words(reference), n)
    overlap = len(hypothesis_ngrams & reference_ngrams)
    return _f1(len(hypothesis_ngrams), len(reference_ngrams), overlap)


def lcs_words(reference: list[str], hypothesis: list[str]) -> list[str]:
    """Words of one longest common subsequence, traced back exactly as rouge 0.3.2 does
    (on a tie it steps along the hypothesis), since which words it picks changes the union."""
    table = [[0] * (len(hypothesis) + 1) for _ in range(len(reference) + 1)]
    for i, reference_word in enumerate(reference, 1):
        row, previous = table[i], table[i - 1]
        for j, hypothesis_word in enumerate(hypothesis, 1):
            if reference_word == hypothesis_word:
                row[j] = previous[j - 1] + 1
            else:
                row[j] = max(previous[j], row[j - 1])
    found: list[str] = []
    i, j = len(reference), len(hypothesis)
    while i and j:
        if reference[i - 1] == hypothesis[j - 1]:
            found.append(reference[i - 1])
            i, j = i - 1, j - 1
        elif table[i - 1][j] > table[i][j - 1]:
            i -= 1
        else:
            j -= 1
    return found[::-1]


def rouge_l(hypothesis: list[str], reference: list[str]) -> float:
    union: set[str] = set()
    hypothesis_words = [sentence.split(" ") for sentence in hypothesis]
    for reference_sentence in reference:
        reference_words = reference_sentence.split(" ")
        for words in hypothesis_words:
            union.update(lcs_words(reference_words, words))
    recall = len(union) / len(set(_words(reference)))
    precision = len(union) / len(set(_words(hypothesis)))
    beta = precision / (recall + 1e-12)
    numerator = (1 + beta**2) * recall * precision
    return numerator / (recall + beta**2 * precision + 1e-12)


def score(hypothesis: str, reference: str) -> Scores:
    """ROUGE F1 scores of one hypothesis against one reference (zero if either is empty)."""
    hypothesis_sentences, reference_sentences = prepare(hypothesis), prepare(reference)
    if not hypothesis_sentences or not reference_sentences:
        return Scores(0.0, 0.0, 0.0)
    return Scores(
        rouge_n(hypothesis_sentences, reference_sentences, 1),
        rouge_n(hypothesis_sentences, reference_sentences, 2),
        rouge_l(hypothesis_sentences, reference_sentences),
    )
