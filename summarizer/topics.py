"""Topics of news articles: the taxonomy, site rubrics mapped onto it, and the text classifier.

`classify` scores every topic with a linear model over TF-IDF of lemmas (trained on labeled news
by `summarizer.training.topics`, shipped as `data/topic_model.npz`) plus two priors: the keyword
lexicon of `data/topics.csv` and the feed's own categories mapped through `data/rubrics.csv`.
The scores go through a softmax; the topics whose probability clears the model's threshold are
returned, best first. Only numpy is needed at runtime.
"""

from __future__ import annotations

import csv
import io
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import IO

import numpy as np

from summarizer.text import lemmas

# Topic cues sit at the top of a news article: the classifier reads its first words (about
# 4,000 characters), so a 5 MB page costs no more than a short one.
MAX_TEXT_WORDS = 600
MAX_TEXT_CHARS = 20_000  # where those words are looked for
MAX_TOPICS = 3
MODEL_FILE = "topic_model.npz"


@dataclass(frozen=True)
class Topic:
    slug: str
    name: str


def _data_rows(name: str) -> list[dict[str, str]]:
    text = resources.files("summarizer").joinpath("data", name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


TOPICS: tuple[Topic, ...] = tuple(
    Topic(row["slug"], row["name"]) for row in _data_rows("topics.csv")
)


@cache
def keywords() -> dict[str, frozenset[str]]:
    """Keyword lemmas of each topic, from the taxonomy file."""
    return {row["slug"]: frozenset(row["keywords"].split()) for row in _data_rows("topics.csv")}


@cache
def _keyword_columns(topics: tuple[str, ...]) -> dict[str, tuple[int, ...]]:
    """Keyword lemma -> the positions in `topics` of the topics it is a keyword of."""
    columns: dict[str, list[int]] = {}
    for column, slug in enumerate(topics):
        for word in keywords().get(slug, ()):
            columns.setdefault(word, []).append(column)
    return {word: tuple(found) for word, found in columns.items()}


def _rubric_key(name: str) -> str:
    return " ".join(name.replace("ё", "е").replace("Ё", "Е").casefold().split())


@cache
def _rubrics() -> dict[str, str]:
    return {_rubric_key(row["rubric"]): row["slug"] for row in _data_rows("rubrics.csv")}


def topic_for_category(name: str) -> str | None:
    """Our topic for a site's rubric or feed category ("Деньги и власть" -> "economy")."""
    return _rubrics().get(_rubric_key(name))


_PREPOSITIONS = frozenset({"в", "во", "о", "об", "про"})


def _keys(text: str) -> tuple[str, ...]:
    """Ways a topic name is looked up: as written, as lemmas, as lemmas without prepositions
    ("В мире" is asked for as "мир", sport as "про спорт")."""
    words = lemmas(text)
    content = [word for word in words if word not in _PREPOSITIONS]
    return _rubric_key(text), " ".join(words), " ".join(content)


@cache
def _topic_index() -> dict[str, Topic]:
    return {key: topic for topic in TOPICS for key in (topic.slug, *_keys(topic.name))}


def find_topic(query: str) -> Topic | None:
    """The topic named by a slug, a Russian name in any case and form ("экономике") or a
    site rubric ("Хоккей")."""
    index = _topic_index()
    keys = (*_keys(query), topic_for_category(query))
    return next((index[key] for key in keys if key in index), None)


def features(text: str, title: str = "") -> list[str]:
    """Lemmas the classifier sees: the title twice (it names the topic), then the text's start."""
    return lemma_features(lemmas(title), lemmas(text[:MAX_TEXT_CHARS]))


def lemma_features(title_lemmas: Sequence[str], text_lemmas: Sequence[str]) -> list[str]:
    """`features` from the lemmas of the title and the text (`summarizer.text.lemmas`)."""
    title = _cues(title_lemmas)
    return title + title + _cues(text_lemmas[:MAX_TEXT_WORDS])


def _cues(lemmas: Sequence[str]) -> list[str]:
    # Words of letters, hyphenated ones whole ("премьер-министр"); numbers and single letters
    # say nothing of a topic.
    return [word for word in lemmas if len(word) > 1 and word.replace("-", "").isalpha()]


@dataclass(frozen=True)
class TopicModel:
    """A softmax over linear scores of TF-IDF features plus keyword and category priors."""

    topics: tuple[str, ...]
    vocabulary: dict[str, int]
    idf: np.ndarray  # (V,)
    weights: np.ndarray  # (V, K)
    bias: np.ndarray  # (K,)
    lexicon_weight: float
    category_weight: float
    threshold: float

    @classmethod
    def lexicon_only(cls, *, lexicon_weight: float = 2.0, threshold: float = 0.2) -> TopicModel:
        """The baseline: keyword counts alone (weight and threshold tuned on the dev files)."""
        topics = tuple(topic.slug for topic in TOPICS)
        return cls(
            topics=topics,
            vocabulary={},
            idf=np.zeros(0),
            weights=np.zeros((0, len(topics))),
            bias=np.zeros(len(topics)),
            lexicon_weight=lexicon_weight,
            category_weight=4.0,
            threshold=threshold,
        )

    def probabilities(
        self, text: str, *, title: str = "", categories: Iterable[str] = ()
    ) -> dict[str, float]:
        """Probability of each topic; empty when nothing in the input speaks of any topic."""
        return self.feature_probabilities(features(text, title), categories)

    def feature_probabilities(
        self, features: Iterable[str], categories: Iterable[str] = ()
    ) -> dict[str, float]:
        """`probabilities` of an input given as its features."""
        counts = Counter(features)
        text = self._text_logits(counts)
        lexicon = self._lexicon_hits(counts)
        category_topics = {topic_for_category(category) for category in categories}
        in_category = [slug in category_topics for slug in self.topics]
        if not any(text) and not any(lexicon) and not any(in_category):
            return {}
        # Eleven numbers: plain Python beats a dozen numpy calls on arrays this small.
        logits = [
            score + self.lexicon_weight * math.log1p(hits) + self.category_weight * listed
            for score, hits, listed in zip(text, lexicon, in_category, strict=True)
        ]
        top = max(logits)
        exp = [math.exp(logit - top) for logit in logits]
        total = sum(exp)
        return {slug: value / total for slug, value in zip(self.topics, exp, strict=True)}

    def classify(self, text: str, *, title: str = "", categories: Iterable[str] = ()) -> list[str]:
        """The best topic and any others above the threshold, best first, at most three."""
        return self.choose(self.probabilities(text, title=title, categories=categories))

    def choose(self, probabilities: dict[str, float]) -> list[str]:
        """The topics `classify` returns for these probabilities."""
        ranked = sorted(probabilities.items(), key=lambda item: -item[1])
        return [
            slug
            for rank, (slug, p) in enumerate(ranked[:MAX_TOPICS])
            if rank == 0 or p >= self.threshold
        ]

    def _text_logits(self, counts: Counter[str]) -> list[float]:
        rows: list[int] = []
        repeats: list[int] = []
        for token, count in counts.items():
            row = self.vocabulary.get(token)
            if row is not None:
                rows.append(row)
                repeats.append(count)
        if not rows:
            return [0.0] * len(self.topics)
        values = (1.0 + np.log(repeats)) * self.idf[rows]
        values /= np.sqrt(values @ values)
        scores: list[float] = (values @ self.weights[rows] + self.bias).tolist()
        return scores

    def _lexicon_hits(self, counts: Counter[str]) -> list[int]:
        columns = _keyword_columns(self.topics)
        hits = [0] * len(self.topics)
        for token in counts.keys() & columns.keys():
            for column in columns[token]:
                hits[column] += counts[token]
        return hits

    def save(self, path: str) -> None:
        vocabulary = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        np.savez_compressed(
            path,
            topics=np.array(self.topics),
            vocabulary=np.array(vocabulary),
            idf=self.idf.astype(np.float32),
            weights=self.weights.astype(np.float16),
            bias=self.bias.astype(np.float32),
            priors=np.array([self.lexicon_weight, self.category_weight, self.threshold]),
        )

    @classmethod
    def load(cls, file: str | IO[bytes]) -> TopicModel:
        with np.load(file, allow_pickle=False) as data:
            lexicon_weight, category_weight, threshold = data["priors"].tolist()
            return cls(
                topics=tuple(data["topics"].tolist()),
                vocabulary={word: row for row, word in enumerate(data["vocabulary"].tolist())},
                idf=data["idf"].astype(float),
                weights=data["weights"].astype(float),
                bias=data["bias"].astype(float),
                lexicon_weight=lexicon_weight,
                category_weight=category_weight,
                threshold=threshold,
            )


@cache
def default_model() -> TopicModel:
    """The shipped model, loaded once."""
    with resources.files("summarizer").joinpath("data", MODEL_FILE).open("rb") as file:
        return TopicModel.load(file)


def classify(text: str, *, title: str = "", categories: Iterable[str] = ()) -> list[str]:
    """Topic slugs of an article, best first, at most three (`[]` for text with no topic cues).

    `categories` are the source's own rubrics or feed categories, used together with the text.
    """
    return default_model().classify(text, title=title, categories=categories)


def classify_lemmas(
    title_lemmas: Sequence[str], text_lemmas: Sequence[str], *, categories: Iterable[str] = ()
) -> list[str]:
    """`classify` for a caller that has the lemmas of the title and the text already
    (`summarizer.text.lemmas`): the same topics, without reading the text again."""
    model = default_model()
    return model.choose(
        model.feature_probabilities(lemma_features(title_lemmas, text_lemmas), categories)
    )


__all__ = [
    "TOPICS",
    "Topic",
    "TopicModel",
    "classify",
    "classify_lemmas",
    "default_model",
    "features",
    "find_topic",
    "keywords",
    "lemma_features",
    "topic_for_category",
]
