"""Train and cross-validate the default method's token model (needs scikit-learn; the library
itself only reads the resulting JSON).

    python -m summarizer.training.summaries ../shared/eval/gazeta_dev.jsonl [--folds 5] [--write]

A token's label is whether the reference summary contains it (razdel tokens, lowercased, as
ROUGE compares them). The report shows ROUGE of `default` and of `lead` on each held-out fold:
the model for a fold never saw its articles. `--write` then fits on all articles and stores
the weights in summarizer/data/default_model.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from pathlib import Path

import numpy as np

from summarizer import text as nlp
from summarizer.cleaning import clean
from summarizer.eval import rouge
from summarizer.methods import default

C = 1.0  # inverse L2 strength; 0.1 and 1 scored the same in cross-validation
MODEL_PATH = Path(__file__).parents[1] / default.MODEL_FILE

Pair = tuple[str, str]


def candidates(text: str) -> list[str]:
    return list(nlp.iter_sentences(clean(text).body))


def examples(pairs: Sequence[Pair]) -> tuple[np.ndarray, np.ndarray]:
    rows, labels = [], []
    for text, reference in pairs:
        reference_tokens = {token.lower() for token in default.tokenize([reference])[0]}
        sentence_tokens = default.tokenize(candidates(text))
        for token, features in default.token_features(sentence_tokens).items():
            rows.append([features.get(name, 0.0) for name in default.FEATURES])
            labels.append(token in reference_tokens)
    return np.array(rows), np.array(labels)


def fit(pairs: Sequence[Pair]) -> default.Model:
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    features, labels = examples(pairs)
    scaler = StandardScaler().fit(features)
    regression = LogisticRegression(C=C, max_iter=5000).fit(scaler.transform(features), labels)
    # Fold the scaling into the weights so that the runtime needs no scaler.
    weights = regression.coef_[0] / scaler.scale_
    bias = float(regression.intercept_[0] - weights @ scaler.mean_)
    reference_tokens = statistics.fmean(
        len({token.lower() for token in default.tokenize([reference])[0] if default.is_word(token)})
        for _, reference in pairs
    )
    named = {name: float(weight) for name, weight in zip(default.FEATURES, weights, strict=True)}
    return default.Model(named, bias, reference_tokens)


def summary_scores(
    pairs: Sequence[Pair], choose: Callable[[list[str]], Iterable[int]]
) -> list[rouge.Scores]:
    scores = []
    for text, reference in pairs:
        sentences = candidates(text)
        chosen = sorted(choose(sentences))
        scores.append(rouge.score(" ".join(sentences[index] for index in chosen), reference))
    return scores


def mean_row(name: str, scores: Sequence[rouge.Scores]) -> str:
    r1, r2, rl = (
        100 * statistics.fmean(getattr(item, key) for item in scores)
        for key in ("rouge1", "rouge2", "rougel")
    )
    return f"| {name} | {r1:.2f} | {r2:.2f} | {rl:.2f} |"


def cross_validate(pairs: Sequence[Pair], folds: int, sentences: int = 3) -> None:
    """Print ROUGE per held-out fold and over all folds (articles dealt round robin)."""
    print("| fold | R-1 | R-2 | R-L |\n|---|---:|---:|---:|")
    all_default, all_lead = [], []
    for fold in range(folds):
        held_out = pairs[fold::folds]
        training = [pair for index, pair in enumerate(pairs) if index % folds != fold]
        model = fit(training)
        default_scores = summary_scores(
            held_out, partial(default.choose, count=sentences, model=model)
        )
        lead_scores = summary_scores(held_out, lambda s: range(min(sentences, len(s))))
        print(mean_row(f"{fold + 1}: default", default_scores))
        print(mean_row(f"{fold + 1}: lead", lead_scores))
        all_default += default_scores
        all_lead += lead_scores
    print(mean_row(f"all {folds} folds: default", all_default))
    print(mean_row(f"all {folds} folds: lead", all_lead))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("path", help='JSON lines with "text" and "summary"')
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--write", action="store_true", help=f"fit on all, write {MODEL_PATH}")
    args = parser.parse_args(argv)
    with open(args.path, encoding="utf-8") as file:
        pairs = [(row["text"], row["summary"]) for row in map(json.loads, file)]
    cross_validate(pairs, args.folds)
    if args.write:
        model = fit(pairs)
        MODEL_PATH.write_text(
            json.dumps(
                {
                    "weights": {name: round(w, 6) for name, w in model.weights.items()},
                    "bias": round(model.bias, 6),
                    "reference_tokens": round(model.reference_tokens, 2),
                },
                ensure_ascii=False,
                indent=1,
            )
            + "\n",
            encoding="utf-8",
        )
        print(f"wrote {MODEL_PATH}")


if __name__ == "__main__":
    main()
