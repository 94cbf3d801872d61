"""Training of the topic model (needs scikit-learn; the runtime does not).

    python -m summarizer.training.topics [--eval-dir ../shared/eval] [--out PATH] [--tune]

Reads the labeled dev files (kept outside the repository), prints k-fold cross-validation over
both files and train-on-one/test-on-the-other figures, then fits on everything and writes the
model (`summarizer/data/topic_model.npz` by default). `--tune` prints the grid the defaults
below were chosen from: best cross-validated hit rate at no more than 1.5 labels per article.
"""

from __future__ import annotations

import argparse
import itertools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from summarizer.eval.topics import (
    Example,
    TopicReport,
    format_report,
    read_examples,
    score,
    summary_line,
)
from summarizer.topics import MODEL_FILE, TOPICS, TopicModel, features, keywords, topic_for_category

DEV_FILES = ("topics_ria_dev.csv", "topics_rss_items_dev.csv")
DEFAULT_EVAL_DIR = Path(__file__).resolve().parents[3] / "shared" / "eval"
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "data" / MODEL_FILE
FOLDS = 5
SEED = 13
MAX_LABELS_PER_ARTICLE = 1.5
# A lemma whose largest weight is below this moves no probability visibly; dropping such
# lemmas halves the file.
MIN_WEIGHT = 0.02
MAX_SAMPLE_WEIGHT = 5.0


@dataclass(frozen=True)
class Settings:
    regularization: float = 10.0  # LogisticRegression's C
    lexicon_weight: float = 0.5
    threshold: float = 0.15
    category_weight: float = 4.0
    keyword_weight: float = 1.0


DEFAULTS = Settings()


# Rubrics outside the gold mapping whose articles still teach their topic cleanly; broad ones
# ("Россия", "Из жизни") mix every topic and only blur the model.
EXTRA_TRAINING_RUBRICS = frozenset(
    {
        "Бывший СССР",
        "Деньги и власть",
        "Публичный счет",
        "Деньги",
        "Автобизнес",
        "Хоккей",
        "Футбол",
        "Биатлон",
        "Единоборства",
        "Криминал",
        "Ценности",
        "Стиль",
    }
)


def training_topic(example: Example) -> str | None:
    """The topic an example teaches: its gold topic, else that of a clean extra rubric."""
    if example.gold:
        return example.gold[0]
    return topic_for_category(example.label) if example.label in EXTRA_TRAINING_RUBRICS else None


def fit(examples: Sequence[Example], settings: Settings = DEFAULTS) -> TopicModel:
    """A model trained on the examples plus every lexicon keyword as a one-word document.

    The keyword documents teach topics that are rare in the labeled files (health, tourism) the
    lexicon's vocabulary; real articles are weighted so that every topic counts the same.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    labeled = [(example, topic) for example in examples if (topic := training_topic(example))]
    documents = [features(example.text, example.title) for example, _ in labeled]
    labels = [topic for _, topic in labeled]
    sample_weights = _balanced_weights(labels)
    for slug, words in keywords().items():
        documents += [[word] for word in sorted(words)]
        labels += [slug] * len(words)
        sample_weights += [settings.keyword_weight] * len(words)

    vectorizer = TfidfVectorizer(analyzer=list, sublinear_tf=True)
    matrix = vectorizer.fit_transform(documents)
    classifier = LogisticRegression(C=settings.regularization, max_iter=5000)
    classifier.fit(matrix, labels, sample_weight=sample_weights)

    order = [list(classifier.classes_).index(topic.slug) for topic in TOPICS]
    weights = classifier.coef_[order].T
    keep = np.abs(weights).max(axis=1) >= MIN_WEIGHT
    vocabulary = vectorizer.get_feature_names_out()[keep]
    return TopicModel(
        topics=tuple(topic.slug for topic in TOPICS),
        vocabulary={word: row for row, word in enumerate(vocabulary.tolist())},
        idf=vectorizer.idf_[keep],
        weights=weights[keep],
        bias=classifier.intercept_[order],
        lexicon_weight=settings.lexicon_weight,
        category_weight=settings.category_weight,
        threshold=settings.threshold,
    )


def _balanced_weights(labels: list[str]) -> list[float]:
    """Weights that give every topic the same total, capped so one odd article stays small."""
    counts = Counter(labels)
    return [min(len(labels) / (len(counts) * counts[label]), MAX_SAMPLE_WEIGHT) for label in labels]


def predict_text(model: TopicModel, example: Example) -> list[str]:
    """Text only: the gold label never reaches the classifier."""
    return model.classify(example.text, title=example.title)


def cross_validated_probabilities(
    examples: Sequence[Example], settings: Settings
) -> list[dict[str, float]]:
    """Out-of-fold topic probabilities of every example (folds stratified by label)."""
    from sklearn.model_selection import StratifiedKFold

    labels = [example.label for example in examples]
    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=SEED)
    probabilities: list[dict[str, float]] = [{} for _ in examples]
    # Labels rarer than the fold count only warn; they still land in some test fold.
    for train, test in folds.split(np.zeros(len(labels)), labels):
        model = fit([examples[i] for i in train], settings)
        for i in test:
            probabilities[i] = model.probabilities(examples[i].text, title=examples[i].title)
    return probabilities


def choose(probabilities: dict[str, float], threshold: float) -> list[str]:
    ranked = sorted(probabilities.items(), key=lambda item: -item[1])[:3]
    return [slug for rank, (slug, p) in enumerate(ranked) if rank == 0 or p >= threshold]


def cross_validate(examples: Sequence[Example], settings: Settings) -> TopicReport:
    probabilities = cross_validated_probabilities(examples, settings)
    return score(
        (example, choose(p, settings.threshold))
        for example, p in zip(examples, probabilities, strict=True)
    )


def tune(examples: Sequence[Example]) -> Settings:
    """Grid search; prints every point and returns the best within the labels budget."""
    best: tuple[float, float, Settings] | None = None
    for regularization, lexicon_weight in itertools.product(
        (3.0, 10.0, 30.0), (0.0, 0.5, 1.0, 2.0)
    ):
        settings = replace(DEFAULTS, regularization=regularization, lexicon_weight=lexicon_weight)
        probabilities = cross_validated_probabilities(examples, settings)
        for threshold in (0.15, 0.2, 0.25, 0.3, 0.35, 0.4):
            report = score(
                (example, choose(p, threshold))
                for example, p in zip(examples, probabilities, strict=True)
            )
            point = replace(settings, threshold=threshold)
            print(
                f"C={regularization:<5} lexicon={lexicon_weight:<4} threshold={threshold:<5}",
                summary_line(report),
            )
            key = (report.rate(report.hits), report.rate(report.top1))
            if report.rate(report.labels) <= MAX_LABELS_PER_ARTICLE and (
                best is None or key > best[:2]
            ):
                best = (*key, point)
    assert best is not None
    print("best:", best[2])
    return best[2]


def cross_validation_report(paths: Sequence[str | Path]) -> str:
    """The classifier retrained per fold over the labeled files together: the honest figures
    for the files the shipped model was trained on."""
    examples = [example for path in paths for example in read_examples(path)]
    report = cross_validate(examples, DEFAULTS)
    return f"== {FOLDS}-fold cross-validation over all files: title + text\n{format_report(report)}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m summarizer.training.topics")
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL_DIR)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--tune", action="store_true", help="print the grid search first")
    args = parser.parse_args(argv)

    per_file = {name: read_examples(args.eval_dir / name) for name in DEV_FILES}
    everything = [example for examples in per_file.values() for example in examples]
    settings = tune(everything) if args.tune else DEFAULTS

    print(f"== {FOLDS}-fold cross-validation over {' + '.join(DEV_FILES)} (text only)")
    print(format_report(cross_validate(everything, settings)))
    for train_name, test_name in itertools.permutations(DEV_FILES):
        model = fit(per_file[train_name], settings)
        report = score((e, predict_text(model, e)) for e in per_file[test_name])
        print(f"\n== trained on {train_name}, tested on {test_name}")
        print(summary_line(report))

    model = fit(everything, settings)
    model.save(args.out)
    print(
        f"\nwrote {args.out} ({args.out.stat().st_size / 1024:.0f} KiB, "
        f"{len(model.vocabulary)} lemmas, {settings})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
