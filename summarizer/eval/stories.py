"""Scores of `same_story` on labeled pairs (the columns of `../shared/eval/stories_pairs_dev.tsv`:
`same`, `first_title`, `first_text`, `second_title`, `second_text`, tab-separated)."""

from __future__ import annotations

import csv
import random
import statistics
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from summarizer.stories import THRESHOLD, story_similarity

REQUIRED = ("same", "first_title", "first_text", "second_title", "second_text")


@dataclass(frozen=True, slots=True)
class Pair:
    first: str  # title + "\n" + text
    second: str
    same: bool


def read_pairs(path: str | Path) -> list[Pair]:
    """Labeled pairs from a TSV file; ValueError names a missing column or a bad label."""
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # a whole article per cell
    with open(path, encoding="utf-8", newline="") as file:
        reader = csv.DictReader(file, delimiter="\t")
        missing = [name for name in REQUIRED if name not in (reader.fieldnames or ())]
        if missing:
            raise ValueError(f"{path}: no column {', '.join(missing)}")
        pairs = []
        for line, row in enumerate(reader, start=2):
            if row["same"] not in ("0", "1"):
                raise ValueError(f"{path}:{line}: 'same' is {row['same']!r}, not 0 or 1")
            pairs.append(
                Pair(
                    f"{row['first_title']}\n{row['first_text']}",
                    f"{row['second_title']}\n{row['second_text']}",
                    row["same"] == "1",
                )
            )
    return pairs


@dataclass(frozen=True, slots=True)
class StoryScores:
    threshold: float
    true_positives: int
    false_positives: int
    true_negatives: int
    false_negatives: int
    ms_per_pair: float

    @property
    def total(self) -> int:
        return (
            self.true_positives + self.false_positives + self.true_negatives + self.false_negatives
        )

    @property
    def accuracy(self) -> float:
        return (self.true_positives + self.true_negatives) / self.total if self.total else 0.0

    @property
    def precision(self) -> float:
        said_same = self.true_positives + self.false_positives
        return self.true_positives / said_same if said_same else 0.0

    @property
    def recall(self) -> float:
        same = self.true_positives + self.false_negatives
        return self.true_positives / same if same else 0.0

    @property
    def f1(self) -> float:
        both = self.precision + self.recall
        return 2 * self.precision * self.recall / both if both else 0.0

    def __str__(self) -> str:
        return "\n".join(
            [
                f"pairs      {self.total} ({self.true_positives + self.false_negatives} same)",
                f"threshold  {self.threshold:.3f}",
                f"accuracy   {self.accuracy:.3f}",
                f"precision  {self.precision:.3f}",
                f"recall     {self.recall:.3f}",
                f"F1         {self.f1:.3f}",
                f"confusion  {self.true_positives} TP, {self.false_positives} FP, "
                f"{self.true_negatives} TN, {self.false_negatives} FN",
                f"ms/pair    {self.ms_per_pair:.2f}",
            ]
        )


def evaluate(pairs: Iterable[Pair], *, threshold: float = THRESHOLD) -> StoryScores:
    """Confusion counts of `story_similarity(...) >= threshold` against the labels, and the
    time per pair."""
    pairs = list(pairs)
    counts = {(True, True): 0, (True, False): 0, (False, False): 0, (False, True): 0}
    for pair in pairs:
        counts[story_similarity(pair.first, pair.second) >= threshold, pair.same] += 1
    # Timed on a second pass: the first one loads pymorphy3's dictionaries and the IDF.
    started = time.perf_counter()
    for pair in pairs:
        story_similarity(pair.first, pair.second)
    elapsed = time.perf_counter() - started
    seen = len(pairs)
    return StoryScores(
        threshold=threshold,
        true_positives=counts[True, True],
        false_positives=counts[True, False],
        true_negatives=counts[False, False],
        false_negatives=counts[False, True],
        ms_per_pair=1000 * elapsed / seen if seen else 0.0,
    )


# -- cross-validation ---------------------------------------------------------------------------

FOLDS = 5
REPEATS = 20
BETA = 0.5  # F-beta the threshold is fitted for: precision first (a false merge hides news)


def fit_threshold(scores: Sequence[float], same: Sequence[bool], *, beta: float = BETA) -> float:
    """The threshold with the best F-beta on these scores: the lowest score said to be the
    same story, the highest such threshold among equals (precision first, again)."""
    best, best_f = 1.0, -1.0
    for cut in sorted(set(scores), reverse=True):
        found = _f_beta(*_confusion([score >= cut for score in scores], same), beta=beta)
        if found > best_f:
            best, best_f = cut, found
    return best


def _confusion(said: Sequence[bool], same: Sequence[bool]) -> tuple[int, int, int, int]:
    """(TP, FP, TN, FN)."""
    pairs = list(zip(said, same, strict=True))
    return (
        sum(s and t for s, t in pairs),
        sum(s and not t for s, t in pairs),
        sum(not s and not t for s, t in pairs),
        sum(not s and t for s, t in pairs),
    )


def _f_beta(tp: int, fp: int, tn: int, fn: int, *, beta: float) -> float:
    both = (1 + beta * beta) * tp + beta * beta * fn + fp
    return (1 + beta * beta) * tp / both if both else 0.0


@dataclass(frozen=True, slots=True)
class CrossValidated:
    """Means over `repeats` stratified `folds`-fold splits of the scores on held-out folds,
    each fold judged with the threshold fitted on the other folds."""

    folds: int
    repeats: int
    accuracy: float
    precision: float
    recall: float
    f1: float
    thresholds: tuple[float, ...]  # one per fold and repeat
    fitted_on_all: float  # the threshold the same fit gives on every pair

    def __str__(self) -> str:
        low, high = min(self.thresholds), max(self.thresholds)
        return "\n".join(
            [
                f"cross-validation  {self.repeats} x {self.folds} folds, threshold fitted for "
                f"F{BETA:g} on the other folds ({low:.3f}-{high:.3f}; on all pairs "
                f"{self.fitted_on_all:.3f})",
                f"accuracy   {self.accuracy:.3f}",
                f"precision  {self.precision:.3f}",
                f"recall     {self.recall:.3f}",
                f"F1         {self.f1:.3f}",
            ]
        )


def cross_validate(
    pairs: Sequence[Pair], *, folds: int = FOLDS, repeats: int = REPEATS, seed: int = 0
) -> CrossValidated:
    """`same_story`'s threshold judged on pairs it was not fitted on: the means of accuracy,
    precision, recall and F1 over `repeats` random stratified splits into `folds` (the
    shuffles are seeded: the same numbers every run)."""
    scores = [story_similarity(pair.first, pair.second) for pair in pairs]
    same = [pair.same for pair in pairs]
    shuffle = random.Random(seed)
    results, thresholds = [], []
    for _ in range(repeats):
        said = [False] * len(pairs)
        for test in _stratified_folds(same, folds, shuffle):
            train = [n for n in range(len(pairs)) if n not in test]
            threshold = fit_threshold([scores[n] for n in train], [same[n] for n in train])
            thresholds.append(threshold)
            for n in test:
                said[n] = scores[n] >= threshold
        tp, fp, tn, fn = _confusion(said, same)
        results.append(StoryScores(0.0, tp, fp, tn, fn, 0.0))
    return CrossValidated(
        folds=folds,
        repeats=repeats,
        accuracy=statistics.fmean(result.accuracy for result in results),
        precision=statistics.fmean(result.precision for result in results),
        recall=statistics.fmean(result.recall for result in results),
        f1=statistics.fmean(result.f1 for result in results),
        thresholds=tuple(thresholds),
        fitted_on_all=fit_threshold(scores, same),
    )


def _stratified_folds(same: Sequence[bool], folds: int, shuffle: random.Random) -> list[set[int]]:
    """`folds` sets of positions, each with its share of same and different pairs."""
    split: list[set[int]] = [set() for _ in range(folds)]
    for label in (True, False):
        positions = [n for n, value in enumerate(same) if value is label]
        shuffle.shuffle(positions)
        for place, n in enumerate(positions):
            split[place % folds].add(n)
    return split
