"""Evaluation of summarization methods on (text, reference) pairs: mean ROUGE F1 x100 and the
median time per article, plus a greedy oracle that knows the reference (the ceiling)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import razdel

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


def _oracle_summary(text: str, reference: str) -> str:
    """Unlimited in length, like the oracle of the Gazeta reference numbers: the ceiling."""
    candidates = list(nlp.iter_sentences(clean(text).body))
    return " ".join(candidates[index] for index in oracle_indices(candidates, reference))


def evaluate(
    pairs: Sequence[tuple[str, str]],
    methods: Sequence[str],
    *,
    sentences: int = 3,
    progress: Callable[[Iterable], Iterable] = iter,
) -> list[Result]:
    """One Result per method (ORACLE allowed) over all (text, reference) pairs. The texts'
    words are analyzed once before timing: pymorphy3's cache is shared by all methods, so
    otherwise whichever method runs first would pay for everyone."""
    for text, _ in pairs:
        for token in razdel.tokenize(text):
            nlp.analyze(token.text.lower())
    results = []
    for method in methods:
        scores, times = [], []
        for text, reference in progress(pairs):
            started = time.perf_counter()
            if method == ORACLE:
                summary = _oracle_summary(text, reference)
            else:
                summary = str(summarize(text, sentences=sentences, method=method))
            times.append(time.perf_counter() - started)
            scores.append(rouge.score(summary, reference))
        results.append(
            Result(
                method,
                100 * statistics.fmean(item.rouge1 for item in scores),
                100 * statistics.fmean(item.rouge2 for item in scores),
                100 * statistics.fmean(item.rougel for item in scores),
                1000 * statistics.median(times),
            )
        )
    return results


def format_table(results: Iterable[Result]) -> str:
    """A Markdown table: method, R-1, R-2, R-L, median ms per article."""
    lines = ["| method | R-1 | R-2 | R-L | ms/article |", "|---|---:|---:|---:|---:|"]
    lines += [
        f"| {r.method} | {r.rouge1:.1f} | {r.rouge2:.1f} | {r.rougel:.1f} | {r.median_ms:.1f} |"
        for r in results
    ]
    return "\n".join(lines)
