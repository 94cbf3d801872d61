"""The default method: choose the sentences that maximize the expected ROUGE-1 F1.

A small logistic model (trained by `summarizer.training.summaries`, weights in
data/default_model.json) estimates for every distinct token of the article the probability that a
reference summary uses it, from where and how often the token occurs, its part of speech and whether
it is a name. A set of sentences is then worth 2 * E[overlap] / (|its tokens| + |reference tokens|),
the F1 it is expected to score; sentences are added greedily while that grows the most. The
expectation favors early, central, name- and number-bearing sentences, and the denominator keeps
summaries short and free of repetition (a repeated token adds no overlap)."""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

from summarizer import coherence
from summarizer import text as nlp
from summarizer.methods.base import Document

MODEL_FILE = "data/default_model.json"
BEAM = 10  # sets of sentences kept per size: 30 scored the same in cross-validation
PARTS_OF_SPEECH: tuple[str, ...] = ("NOUN", "VERB", "INFN", "ADJF", "ADJS", "PRTF", "PRTS")
PARTS_OF_SPEECH += ("GRND", "NUMR", "ADVB", "NPRO", "PREP", "CONJ", "PRCL")
PUNCTUATION = (",", "«", "»", "—", "-", "(", ")", ":", '"')
FEATURES = (
    *("punctuation", "stop_word", "digit", "latin", "log_count", "log_lemma_count"),
    *("log_first_sentence", "in_first_sentence", "in_first_three", "first_sentence_share"),
    *("log_lemma_first_sentence", "lemma_in_first_sentence", "sentence_share"),
    *("capitalized_share", "length", "proper", "is_lemma", "quoted_share", "mean_position"),
    *(f"pos_{pos}" for pos in PARTS_OF_SPEECH),
    *(f"token_{token}" for token in PUNCTUATION),
)


@dataclass(frozen=True, slots=True)
class Model:
    weights: dict[str, float]  # feature name -> weight, on raw (unscaled) feature values
    bias: float
    reference_tokens: float  # expected number of distinct tokens in a reference summary

    def probability(self, features: dict[str, float]) -> float:
        logit = self.bias + sum(self.weights.get(name, 0.0) * x for name, x in features.items())
        return 1.0 / (1.0 + math.exp(-max(logit, -500.0)))  # exp(501) would overflow


@cache
def trained_model() -> Model:
    data = json.loads(resources.files("summarizer").joinpath(MODEL_FILE).read_text("utf-8"))
    return Model(data["weights"], data["bias"], data["reference_tokens"])


# Words (with inner hyphens, dots and commas: "Касым-Жомарт", "3,5") and punctuation marks:
# razdel's tokens, the units ROUGE compares, for all but a few in a thousand ("Газета.Ru"),
# at a sixteenth of razdel's cost.
_TOKEN = re.compile(r"\w+(?:[-.,'’]\w+)*|\.\.\.|[^\w\s]")


def tokenize(sentences: Sequence[str]) -> list[list[str]]:
    """Tokens of each sentence, case kept."""
    return [_TOKEN.findall(sentence) for sentence in sentences]


def token_features(raw: Sequence[Sequence[str]]) -> dict[str, dict[str, float]]:
    """Features of every distinct lowercased token, from its occurrences in the sentences
    (given as their tokens)."""
    count: Counter[str] = Counter()
    capitalized: Counter[str] = Counter()
    first_sentence: dict[str, int] = {}
    sentences_with: Counter[str] = Counter()
    quoted: Counter[str] = Counter()
    position_sum: Counter[str] = Counter()
    for index, tokens in enumerate(raw):
        lowered = [token.lower() for token in tokens]
        count.update(lowered)
        depth = 0
        for token in lowered:
            depth += (token == "«") - (token == "»")
            if depth > 0:
                quoted[token] += 1
            position_sum[token] += index
        # capitalized inside a sentence: a name, not just a sentence start
        capitalized.update(token.lower() for token in tokens[1:] if token[:1].isupper())
        for token in set(lowered):
            first_sentence.setdefault(token, index)
            sentences_with[token] += 1
    analyses = {token: nlp.analyze(token) for token in count}
    lemma_count: Counter[str] = Counter()
    lemma_first: dict[str, int] = {}
    for token, analysis in analyses.items():
        lemma_count[analysis.lemma] += count[token]
        lemma_first[analysis.lemma] = min(
            first_sentence[token], lemma_first.get(analysis.lemma, first_sentence[token])
        )
    total = len(raw)
    stop_words = nlp.stop_words()
    features = {}
    for token, analysis in analyses.items():
        first = first_sentence[token]
        lemma_first_sentence = lemma_first[analysis.lemma]
        row = features[token] = {
            "punctuation": float(not token[0].isalnum()),
            "stop_word": float(token in stop_words),
            "digit": float(token[0].isdigit()),
            "latin": float(token[0].isascii() and token[0].isalpha()),
            "log_count": math.log1p(count[token]),
            "log_lemma_count": math.log1p(lemma_count[analysis.lemma]),
            "log_first_sentence": math.log1p(first),
            "in_first_sentence": float(first == 0),
            "in_first_three": float(first <= 2),
            "first_sentence_share": first / total,
            "log_lemma_first_sentence": math.log1p(lemma_first_sentence),
            "lemma_in_first_sentence": float(lemma_first_sentence == 0),
            "sentence_share": sentences_with[token] / total,
            "capitalized_share": capitalized[token] / count[token],
            "length": min(len(token), 15) / 15,
            "proper": float(analysis.proper),
            "is_lemma": float(token == analysis.lemma),
            "quoted_share": quoted[token] / count[token],
            "mean_position": position_sum[token] / count[token] / total,
        }
        if analysis.pos in PARTS_OF_SPEECH:
            row[f"pos_{analysis.pos}"] = 1.0
        if token in PUNCTUATION:
            row[f"token_{token}"] = 1.0
    return features


def is_word(token: str) -> bool:
    """ROUGE splits summaries on ".", so a token of dots is never compared."""
    return token.strip(".") != ""


def is_unfinished(sentence: str) -> bool:
    """A text cut off mid-sentence (a paywall, a length limit) ends in an unfinished one."""
    return not sentence.rstrip().endswith((".", "!", "?", "…", "»", '"', ")"))


# A state grown from the beam: (expected F1, chosen sentences, their tokens before the last
# unit, the tokens that unit adds, the probability mass of all of them).
Grown = tuple[float, frozenset[int], frozenset[str], set[str], float]


def choose(sentences: Sequence[str], count: int, model: Model) -> list[int]:
    """Up to `count` sentences (as many as fit) that maximize the expected F1, each with the
    sentences it cannot go without (`coherence.units`: its quotation, its antecedent). A beam
    search over sets of units: units of two or three sentences make plain greedy choice miss
    the best sets. An unfinished last sentence is taken only when nothing else is left; a
    text where no unit fits is summarized sentence by sentence, as it is."""
    raw = tokenize(sentences)
    features = token_features(raw)
    probability = {token: model.probability(row) for token, row in features.items()}
    token_sets = [{token.lower() for token in tokens if is_word(token)} for tokens in raw]
    needs = coherence.units(sentences)
    units = sorted({unit for unit in needs if unit is not None and len(unit) <= count})
    if not units:  # nothing reads as text within `count`: the text is broken, summarize it anyway
        units = [(index,) for index in range(len(sentences))]
    last = len(sentences) - 1
    if len(units) > count and is_unfinished(sentences[last]):
        units = [unit for unit in units if last not in unit] or units
    unit_tokens = {unit: set().union(*(token_sets[index] for index in unit)) for unit in units}
    # (expected F1, chosen sentences, their tokens, the probability mass of those)
    beam: list[tuple[float, frozenset[int], frozenset[str], float]] = [
        (0.0, frozenset(), frozenset(), 0.0)
    ]
    best = beam[0]
    while beam:
        grown: dict[frozenset[int], Grown] = {}
        for _, chosen, covered, mass in beam:
            for unit in units:
                selection = chosen.union(unit)
                if len(selection) > count or len(selection) == len(chosen) or selection in grown:
                    continue
                new = unit_tokens[unit] - covered
                gain = sum(probability[token] for token in new)
                value = (mass + gain) / (len(covered) + len(new) + model.reference_tokens)
                grown[selection] = (value, selection, covered, new, mass + gain)
        # a stable sort: among equals, the earlier state and unit (deterministic)
        kept = sorted(grown.values(), key=lambda item: -item[0])[:BEAM]
        beam = [(value, chosen, covered | new, mass) for value, chosen, covered, new, mass in kept]
        best = beam[0] if beam else best
    return sorted(best[1])


def select(document: Document, count: int) -> list[int]:
    return choose(document.sentences, count, trained_model())
