"""Evaluation of summarization methods on (text, reference) pairs: mean ROUGE F1 x100, the
median time per article and how often a summary breaks as text (unbalanced quotes, a sentence
opening with a back-reference without the one before it), plus a greedy oracle that knows the
reference (the ceiling)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import razdel

from summarizer import coherence
from summarizer import text as nlp
from summarizer.cleaning import clean
from summarizer.eval import rouge
from summarizer.summarize import summarize

ORACLE = "oracle"


@dataclass(frozen=True, slots=True)
class Result:
    method: str
    rouge1: float
    rouge2: float
    rougel: float
    median_ms: float
    unbalanced_quotes: float  # % of summaries
    dangling_references: float  # % of summaries


def oracle_indices(
    candidates: Sequence[str], reference: str, count: int | None = None
) -> list[int]:
    """Greedy oracle: add the sentence that most raises the mean of ROUGE-1/2/L F1, stop when
    none does or `count` are chosen. Returns the chosen indices in document order."""
    chosen: list[int] = []
    best = 0.0
    while count is None or len(chosen) < count:
        gains = []
        for index in range(len(candidates)):
            if index not in chosen:
                trial = sorted([*chosen, index])
                summary = " ".join(candidates[position] for position in trial)
                gains.append((_mean(rouge.score(summary, reference)), -index, trial))
        if not gains or max(gains)[0] <= best:
            break
        best, _, chosen = max(gains)
    return chosen


def _mean(scores: rouge.Scores) -> float:
    return (scores.rouge1 + scores.rouge2 + scores.rougel) / 3


def _oracle_summary(text: str, reference: str) -> tuple[str, ...]:
    """Unlimited in length, like the oracle of the Gazeta reference numbers: the ceiling."""
    candidates = list(nlp.iter_sentences(clean(text).body))
    return tuple(candidates[index] for index in oracle_indices(candidates, reference))


def positions(candidates: Sequence[str], chosen: Sequence[str]) -> list[int]:
    """Indices of the chosen sentences (in document order) among the candidates."""
    found: list[int] = []
    start = 0
    for sentence in chosen:
        start = candidates.index(sentence, start)
        found.append(start)
        start += 1
    return found


def breaks_as_text(text: str, chosen: Sequence[str]) -> tuple[bool, bool]:
    """Does the summary `chosen` of `text` have unbalanced quotes; a dangling back-reference?"""
    candidates = list(nlp.iter_sentences(clean(text).body))
    return (
        coherence.has_unbalanced_quotes(" ".join(chosen)),
        coherence.dangling_back_reference(candidates, positions(candidates, chosen)),
    )


def evaluate(
    pairs: Sequence[tuple[str, str]],
    methods: Sequence[str],
    *,
    sentences: int = 3,
    progress: Callable[[Iterable[tuple[str, str]]], Iterable[tuple[str, str]]] = iter,
) -> list[Result]:
    """One Result per method (ORACLE allowed) over all (text, reference) pairs. The texts'
    words are analyzed once before timing: pymorphy3's cache is shared by all methods, so
    otherwise whichever method runs first would pay for everyone."""
    for text, _ in pairs:
        for token in razdel.tokenize(text):
            nlp.analyze(token.text.lower())
    results = []
    for method in methods:
        scores, times, breaks = [], [], []
        for text, reference in progress(pairs):
            started = time.perf_counter()
            if method == ORACLE:
                chosen = _oracle_summary(text, reference)
            else:
                chosen = summarize(text, sentences=sentences, method=method).sentences
            times.append(time.perf_counter() - started)
            scores.append(rouge.score(" ".join(chosen), reference))
            breaks.append(breaks_as_text(text, chosen))
        results.append(
            Result(
                method,
                100 * statistics.fmean(item.rouge1 for item in scores),
                100 * statistics.fmean(item.rouge2 for item in scores),
                100 * statistics.fmean(item.rougel for item in scores),
                1000 * statistics.median(times),
                100 * statistics.fmean(quotes for quotes, _ in breaks),
                100 * statistics.fmean(dangling for _, dangling in breaks),
            )
        )
    return results


def format_table(results: Iterable[Result]) -> str:
    """A Markdown table: method, R-1, R-2, R-L, median ms per article, % of summaries with
    unbalanced quotes and with a dangling back-reference."""
    lines = [
        "| method | R-1 | R-2 | R-L | ms/article | unbalanced quotes % | dangling back-ref. % |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r.method} | {r.rouge1:.1f} | {r.rouge2:.1f} | {r.rougel:.1f} | {r.median_ms:.1f}"
        f" | {r.unbalanced_quotes:.1f} | {r.dangling_references:.1f} |"
        for r in results
    ]
    return "\n".join(lines)
