"""Evaluation of topic assignment on news labeled with the site's rubric or feed category.

Gold labels are mapped to the topics that count as right (`GOLD_TOPICS`); articles whose label
maps to nothing (a region rubric, "Рецепты", an empty rubric) are skipped. Per topic t:
TP = t predicted and right; FP = t predicted and not right; FN = t is the label's first topic and
no right topic was predicted. The hit rate counts articles with a right topic among the
predicted ones; top-1 accuracy those whose first topic is right.
"""

from __future__ import annotations

import csv
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from summarizer.topics import TOPICS, TopicModel

# The mapping of the held-out check, plus the dev files' same-named rubrics (Наука, Туризм...).
GOLD_TOPICS: dict[str, tuple[str, ...]] = {
    "спорт": ("sport",),
    "экономика": ("economy",),
    "наука и техника": ("science", "technology"),
    "культура": ("culture",),
    "путешествия": ("tourism",),
    "мир": ("world",),
    "в мире": ("world",),
    "силовые структуры": ("incidents",),
    "происшествия": ("incidents",),
    "забота о себе": ("health",),
    "технологии": ("technology",),
    "политика": ("politics",),
    "общество": ("society", "politics"),
    "entertainment": ("culture",),
    "наука": ("science",),
    "туризм": ("tourism",),
    "здоровье": ("health",),
}


@dataclass(frozen=True)
class Example:
    title: str
    text: str
    label: str

    @property
    def gold(self) -> tuple[str, ...]:
        """Topics that count as right for this article; empty when its label is not mapped."""
        return GOLD_TOPICS.get(" ".join(self.label.casefold().split()), ())


def read_examples(path: str | Path) -> list[Example]:
    """Articles of a labeled CSV: `title,text,rubric` (a site) or `title,description,category`."""
    with open(path, encoding="utf-8", newline="") as file:
        reader = csv.DictReader(file)
        columns = set(reader.fieldnames or ())
        if {"title", "text", "rubric"} <= columns:
            text_column, label_column = "text", "rubric"
        elif {"title", "description", "category"} <= columns:
            text_column, label_column = "description", "category"
        else:
            raise ValueError(
                f"{path}: expected columns title,text,rubric or title,description,category; "
                f"found {', '.join(sorted(columns)) or 'none'}"
            )
        return [Example(row["title"], row[text_column], row[label_column]) for row in reader]


@dataclass
class TopicReport:
    articles: int = 0
    skipped: int = 0
    hits: int = 0
    top1: int = 0
    labels: int = 0
    true_positives: Counter[str] = field(default_factory=Counter)
    false_positives: Counter[str] = field(default_factory=Counter)
    false_negatives: Counter[str] = field(default_factory=Counter)
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)

    def add(self, example: Example, predicted: list[str]) -> None:
        gold = example.gold
        if not gold:
            self.skipped += 1
            return
        self.articles += 1
        self.labels += len(predicted)
        hit = any(topic in gold for topic in predicted)
        self.hits += hit
        self.top1 += bool(predicted) and predicted[0] in gold
        for topic in predicted:
            (self.true_positives if topic in gold else self.false_positives)[topic] += 1
        if not hit:
            self.false_negatives[gold[0]] += 1
        self.confusion[example.label, predicted[0] if predicted else "-"] += 1

    def rate(self, count: int) -> float:
        return count / self.articles if self.articles else 0.0

    def precision_recall_f1(self, topic: str) -> tuple[float, float, float]:
        tp = self.true_positives[topic]
        predicted = tp + self.false_positives[topic]
        relevant = tp + self.false_negatives[topic]
        precision = tp / predicted if predicted else 0.0
        recall = tp / relevant if relevant else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return precision, recall, f1


def score(pairs: Iterable[tuple[Example, list[str]]]) -> TopicReport:
    report = TopicReport()
    for example, predicted in pairs:
        report.add(example, predicted)
    return report


def evaluate(examples: Iterable[Example], predict: Callable[[Example], list[str]]) -> TopicReport:
    return score((example, predict(example)) for example in examples)


def summary_line(report: TopicReport) -> str:
    return (
        f"hit rate {report.rate(report.hits):.1%}  top-1 {report.rate(report.top1):.1%}  "
        f"labels/article {report.rate(report.labels):.2f}  "
        f"({report.articles} articles, {report.skipped} without a mapped label)"
    )


def format_report(report: TopicReport) -> str:
    """Per-topic table, the summary line and the confusion of labels with first topics."""
    lines = [f"{'topic':<12}{'P':>7}{'R':>7}{'F1':>7}{'gold':>6}{'pred':>6}"]
    for topic in TOPICS:
        precision, recall, f1 = report.precision_recall_f1(topic.slug)
        tp = report.true_positives[topic.slug]
        gold = tp + report.false_negatives[topic.slug]
        predicted = tp + report.false_positives[topic.slug]
        lines.append(
            f"{topic.slug:<12}{precision:>7.1%}{recall:>7.1%}{f1:>7.1%}{gold:>6}{predicted:>6}"
        )
    lines += ["", summary_line(report), "", _format_confusion(report)]
    return "\n".join(lines)


def _format_confusion(report: TopicReport) -> str:
    slugs = [topic.slug for topic in TOPICS] + ["-"]
    columns = [slug[:5] for slug in slugs]
    labels = sorted({label for label, _ in report.confusion}, key=str.casefold)
    corner = "label \\ first topic"
    width = max([len(corner), *map(len, labels)])
    lines = [f"{corner:<{width}}" + "".join(f"{column:>6}" for column in columns)]
    for label in labels:
        counts = (report.confusion[label, slug] for slug in slugs)
        lines.append(f"{label:<{width}}" + "".join(f"{n or '.':>6}" for n in counts))
    return "\n".join(lines)


def evaluate_files(paths: Iterable[str | Path], *, with_categories: bool = False) -> str:
    """The report of the shipped classifier on each labeled file, then on all of them.

    The classifier sees the title and text only. Each file also gets a line for the plain
    keyword lexicon (the baseline) and, with `with_categories`, one for the path that passes the
    label as the feed category (it checks the rubric mapping, not the model). The shipped model
    was trained on the dev files, so on them the honest figures come from cross-validation
    (`summarizer.training.topics.cross_validation_report`: models retrained per fold).
    """
    from summarizer.topics import default_model

    model, lexicon = default_model(), TopicModel.lexicon_only()
    sections, everything = [], []
    for path in paths:
        examples = read_examples(path)
        everything += examples
        started = time.perf_counter()
        report = evaluate(examples, _predictor(model))
        elapsed = (time.perf_counter() - started) / max(len(examples), 1)
        sections += [
            f"== {path}: title + text, {elapsed * 1000:.2f} ms per article\n"
            f"{format_report(report)}",
            f"lexicon baseline: {summary_line(evaluate(examples, _predictor(lexicon)))}",
        ]
        if with_categories:
            report = evaluate(examples, _predictor(model, with_label=True))
            sections.append(f"with the label as feed category: {summary_line(report)}")
    if len(sections) > 2 + with_categories:
        report = evaluate(everything, _predictor(model))
        sections.append(f"== all files: title + text\n{format_report(report)}")
    sections.append(
        "note: the shipped model was trained on ../shared/eval/topics_*_dev.csv; on those files"
        " the figures above are its training fit, --cross-validate gives the honest ones"
    )
    return "\n\n".join(sections)


def _predictor(model: TopicModel, *, with_label: bool = False) -> Callable[[Example], list[str]]:
    def predict(example: Example) -> list[str]:
        categories = (example.label,) if with_label else ()
        return model.classify(example.text, title=example.title, categories=categories)

    return predict
