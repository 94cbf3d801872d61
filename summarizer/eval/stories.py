"""Scores of `same_story` on labeled pairs (the columns of `../shared/eval/stories_pairs_dev.tsv`:
`same`, `first_title`, `first_text`, `second_title`, `second_text`, tab-separated)."""

from __future__ import annotations

import csv
import sys
import time
from collections.abc import Iterable
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
