"""Same event or not: do two news articles tell one story?

An event is narrow (the same happening, at the same time and place, with the same people), and
the hard cases are articles on one topic about different events: two road accidents in one
region, two weather forecasts, a decision and a politician's comment on it. Three signals,
each between 0 and 1, are averaged:

- **text**: cosine of TF-IDF vectors over the content lemmas (stop words dropped) of the title
  and the text's start, with `1 + log(count)` term weights; the IDF comes from the topic model
  (`data/topic_model.npz`), and a lemma it does not know counts as the rarest, so names and
  other rare words weigh the most;
- **titles**: how much of each title the other article covers (the share of the title's IDF
  weight found among the other article's lemmas), the lower of the two directions: the
  annotators' test is that each title would fit the other's text;
- **names**: the people, places, organizations and brands both mention (pymorphy3's name,
  surname, place and organization tags, Latin words, capitalized words inside a sentence),
  over the smaller of the two sets.

Two titles that name different dates ("8 ноября", "16 ноября") are different events: the
average is halved. `same_story` says yes from `THRESHOLD`, the one number tuned on the labeled
pairs (`../shared/eval/stories_pairs_dev.tsv`); the weights are equal by design, so nothing
else was fitted to 40 pairs. A `Profile` holds what one article contributes, so an archive
computes it once per article and compares profiles (`similarity`) in microseconds.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache

from summarizer.text import analyze, stop_words

THRESHOLD = 0.5
MAX_TEXT_CHARS = 20_000  # the text's start: where a news story says what happened
DATE_CONFLICT_FACTOR = 0.5
INDEX_KEYS = 6  # rarest title lemmas and names an archive indexes a story by

_WORD = re.compile(r"\w+(?:-\w+)*")
_SENTENCE_END = frozenset(".!?\n")
_MONTHS = frozenset(
    [
        "январь",
        "февраль",
        "март",
        "апрель",
        "май",
        "июнь",
        "июль",
        "август",
        "сентябрь",
        "октябрь",
        "ноябрь",
        "декабрь",
    ]
)


@cache
def _idf() -> tuple[dict[str, float], float]:
    from summarizer.topics import default_model

    model = default_model()
    idf = dict(zip(model.vocabulary, model.idf.tolist(), strict=True))
    return idf, max(idf.values())


def _weight(lemma: str) -> float:
    idf, rarest = _idf()
    return idf.get(lemma, rarest)


@dataclass(frozen=True, slots=True)
class Profile:
    """What one article brings to a comparison, computed once by `profile`."""

    vector: dict[str, float]  # TF-IDF of content lemmas, unit length
    title: frozenset[str]  # content lemmas of the title
    title_weight: float  # their summed IDF
    names: frozenset[str]
    dates: frozenset[str]  # "8 ноябрь": day and month named in the title

    def keys(self) -> list[str]:
        """The words an index finds this article's story by: its rarest title lemmas and
        names (an article of the same event shares some of them)."""
        ranked = sorted(self.title | self.names, key=lambda word: (-_weight(word), word))
        return ranked[:INDEX_KEYS]


@dataclass(slots=True)
class _Reading:
    lemmas: list[str]
    names: set[str]
    dates: set[str]


def _read(text: str) -> _Reading:
    """Content lemmas, names and dates of `text`, one pass over its words."""
    stop = stop_words()
    reading = _Reading([], set(), set())
    previous = ""
    end = 0
    for match in _WORD.finditer(text):
        word = match.group()
        lowered = word.lower()
        analysis = analyze(lowered)
        lemma = analysis.lemma
        if lemma in _MONTHS and previous.isdigit():
            reading.dates.add(f"{previous} {lemma}")
        inside = end > 0 and not any(char in _SENTENCE_END for char in text[end : match.start()])
        previous, end = lowered, match.end()
        if lemma in stop or len(lowered) < 2:
            continue
        reading.lemmas.append(lemma)
        latin = lowered.isascii() and lowered.isalpha()
        if analysis.proper or latin or (inside and word.isupper()):
            reading.names.add(lemma)
    return reading


def profile(title: str, text: str) -> Profile:
    """The profile of an article with this title and text."""
    title_reading = _read(title)
    text_reading = _read(text[:MAX_TEXT_CHARS])
    counts = Counter(title_reading.lemmas + text_reading.lemmas)
    vector = {word: (1.0 + math.log(count)) * _weight(word) for word, count in counts.items()}
    norm = math.sqrt(sum(value * value for value in vector.values())) or 1.0
    title_words = frozenset(title_reading.lemmas)
    return Profile(
        vector={word: value / norm for word, value in vector.items()},
        title=title_words,
        title_weight=sum(map(_weight, title_words)),
        names=frozenset(title_reading.names | text_reading.names),
        dates=frozenset(title_reading.dates),
    )


def profile_of(article: str) -> Profile:
    """The profile of `title + "\\n" + text` (the first line is the title)."""
    title, _, text = article.strip().partition("\n")
    return profile(title, text)


def _coverage(title: Profile, other: Profile) -> float:
    if not title.title_weight:
        return 0.0
    found = title.title & other.vector.keys()
    return sum(map(_weight, found)) / title.title_weight


def similarity(first: Profile, second: Profile) -> float:
    """How surely two profiled articles tell one story, 0..1 (see the module's docstring)."""
    small, large = sorted((first.vector, second.vector), key=len)
    text = sum(value * large.get(word, 0.0) for word, value in small.items())
    titles = min(_coverage(first, second), _coverage(second, first))
    fewer = min(len(first.names), len(second.names))
    names = len(first.names & second.names) / fewer if fewer else 0.0
    score = (min(text, 1.0) + titles + names) / 3
    if first.dates and second.dates and not first.dates & second.dates:
        score *= DATE_CONFLICT_FACTOR
    return score


def story_similarity(first: str, second: str) -> float:
    """`similarity` of two articles given as `title + "\\n" + text`."""
    return similarity(profile_of(first), profile_of(second))


def same_story(first: str, second: str) -> bool:
    """Whether two articles (`title + "\\n" + text` each) report the same event."""
    return story_similarity(first, second) >= THRESHOLD


__all__ = [
    "THRESHOLD",
    "Profile",
    "profile",
    "profile_of",
    "same_story",
    "similarity",
    "story_similarity",
]
