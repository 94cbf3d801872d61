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
  surname, place, organization and abbreviation tags, Latin words),
  over the smaller of the two sets.

Each side brings at most its `MAX_TERMS` heaviest lemmas and `MAX_NAMES` heaviest names, so a
text made of a whole day's vocabulary cannot cover every title and name list it meets (the
hostile feed of issue 21); ordinary news has fewer, and compares as if there were no bound.

Two titles that name different dates ("8 ноября", "16 ноября") are different events, and so
are two articles whose texts both name dates, none of them in common: the average is halved.
`same_story` says yes from `THRESHOLD`, the one number tuned on the labeled pairs
(`../shared/eval/stories_pairs_dev.tsv`), precision first: cross-validated, the threshold
fitted for F0.5 on the other folds stays near 0.5 (`svodka evaluate-stories --cv`,
docs/stories.md). The weights are equal by design, so nothing else was fitted to 40 pairs. A
`Profile` holds what one article contributes, so an archive computes it once per article and
compares profiles (`similarity`) in microseconds.
"""

from __future__ import annotations

import itertools
import math
from array import array
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

from summarizer.text import analyze, lemmas, stop_words

THRESHOLD = 0.5
MAX_TEXT_CHARS = 20_000  # the text's start: where a news story says what happened
MAX_TEXT_WORDS = 3_000  # ... and its words (the lemmas of 20,000 characters, about)
DATE_CONFLICT_FACTOR = 0.5
TITLE_KEYS = 6  # title lemmas and names an archive indexes an article's story by
NAME_KEYS = 3
MIN_KEY_IDF = 4.5  # commoner words find too many stories to be worth indexing
# What one side of a comparison may bring, so that a huge vocabulary (a word salad built from a
# day's news) covers no title and no name list: more than any of the 40 dev pairs' texts have
# (at most about 160 content lemmas and 30 names), so ordinary articles compare as before.
MAX_TERMS = 200  # the heaviest lemmas of the vector
MAX_NAMES = 20  # the heaviest names

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
    title: dict[str, float]  # content lemmas of the title and their IDF
    title_weight: float  # the sum of those
    names: frozenset[str]
    dates: frozenset[str]  # "8-ноябрь": day and month named in the title
    mentioned: frozenset[str] = frozenset()  # ... named in the title or the text

    def index_keys(self) -> list[str]:
        """The words an index finds this article's story by: the title's content lemmas (the
        rarest `TITLE_KEYS`) and the names that weigh the most in the article (`NAME_KEYS`),
        except the commonest words ("год", "россия", "новый"). An article of the same event
        shares some of them."""
        title = sorted(self.title, key=lambda word: (-self.title[word], word))[:TITLE_KEYS]
        names = sorted(self.names, key=lambda word: (-self.vector.get(word, 0.0), word))
        keys = title + [name for name in names[:NAME_KEYS] if name not in self.title]
        return [key for key in keys if _weight(key) >= MIN_KEY_IDF and not _names_nothing(key)]

    def encode(self) -> bytes:
        """The profile in a compact form for an archive to store once: `decode` reads it back
        in microseconds, where rebuilding it from lemmas takes a fraction of a millisecond.
        A version line ("2"), five lines of space-separated words (the vector's lemmas, the
        title's, the names, the title's dates, all dates named), then the vector's weights as
        32-bit floats: a score moves by less than 1e-6."""
        lines = (
            self.vector,
            self.title,
            sorted(self.names),
            sorted(self.dates),
            sorted(self.mentioned),
        )
        words = "\n".join(" ".join(line) for line in lines)
        return _VERSION + words.encode() + b"\n" + array("f", self.vector.values()).tobytes()

    @classmethod
    def decode(cls, encoded: bytes) -> Profile:
        """The profile `encode` gave (one stored before the version line has no text dates)."""
        if encoded.startswith(_VERSION):
            lines = encoded.removeprefix(_VERSION).split(b"\n", 5)
        else:
            lines = encoded.split(b"\n", 4)
            lines.insert(4, b"")
        words, title, names, dates, mentioned, weights = lines
        title_weights = {word: _weight(word) for word in title.decode().split()}
        vector = dict(zip(words.decode().split(), array("f", weights), strict=True))
        named = {name: vector.get(name, 0.0) for name in names.decode().split()}
        return cls(
            vector=_unit(dict(_heaviest(vector, MAX_TERMS))) if len(vector) > MAX_TERMS else vector,
            title=title_weights,
            title_weight=sum(title_weights.values()),
            # Bounded again: a profile stored before the bounds may hold a whole day's words.
            names=frozenset(name for name, _ in _heaviest(named, MAX_NAMES)),
            dates=frozenset(dates.decode().split()),
            mentioned=frozenset(mentioned.decode().split()),
        )


# A line no profile of the first encoding starts with: its first line is vector lemmas, which
# are two characters long at least.
_VERSION = b"2\n"


@lru_cache(maxsize=200_000)
def _is_name(lemma: str) -> bool:
    """Whether a content lemma names someone or something: pymorphy3 tags it as a name,
    surname, place, organization or abbreviation, or it is a Latin word (brands, foreign
    names). Cached: every article asks about each of its words."""
    return (lemma.isascii() and lemma.isalpha()) or analyze(lemma).proper


def _names_nothing(lemma: str) -> bool:
    """An abbreviation that is no name: "млрд", "тыс", "км", "вуз". Half the economic news
    share one, so it finds too many stories to be an index key."""
    found = analyze(lemma)
    return found.proper and not found.name


def _dates(lemmas: Sequence[str]) -> set[str]:
    return {
        f"{day}-{month}"
        for day, month in itertools.pairwise(lemmas)
        if month in _MONTHS and day.isdigit()
    }


def profile(title: str, text: str) -> Profile:
    """The profile of an article with this title and text."""
    return profile_from_lemmas(lemmas(title), lemmas(text[:MAX_TEXT_CHARS]))


def profile_from_lemmas(title_lemmas: Sequence[str], text_lemmas: Sequence[str]) -> Profile:
    """`profile` from the lemmas of the title and the text (`summarizer.text.lemmas`; stop
    words may be left out already), for a caller that has them; the text is read up to
    `MAX_TEXT_WORDS` words."""
    stop = stop_words()
    title_words = [lemma for lemma in title_lemmas if lemma not in stop and len(lemma) > 1]
    counts = Counter(title_words)
    counts.update(
        lemma for lemma in text_lemmas[:MAX_TEXT_WORDS] if lemma not in stop and len(lemma) > 1
    )
    idf, rarest = _idf()
    weights = {
        word: (1.0 + math.log(count)) * idf.get(word, rarest) for word, count in counts.items()
    }
    vector = _unit(dict(_heaviest(weights, MAX_TERMS)))
    title_weights = {word: idf.get(word, rarest) for word in title_words}
    names = {word: weights[word] for word in counts if _is_name(word)}
    return Profile(
        vector=vector,
        title=title_weights,
        title_weight=sum(title_weights.values()),
        names=frozenset(word for word, _ in _heaviest(names, MAX_NAMES)),
        dates=frozenset(_dates(title_lemmas)),
        mentioned=frozenset(_dates(title_lemmas) | _dates(text_lemmas[:MAX_TEXT_WORDS])),
    )


def _unit(vector: dict[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(value * value for value in vector.values())) or 1.0
    return {word: value / norm for word, value in vector.items()}


def _heaviest(weights: dict[str, float], most: int) -> list[tuple[str, float]]:
    """The `most` heaviest items of `weights` (ties broken by the word, so a profile does not
    depend on the order of its text)."""
    if len(weights) <= most:
        return list(weights.items())
    return sorted(weights.items(), key=lambda item: (-item[1], item[0]))[:most]


def profile_of(article: str) -> Profile:
    """The profile of `title + "\\n" + text` (the first line is the title)."""
    title, _, text = article.strip().partition("\n")
    return profile(title, text)


def _coverage(title: Profile, other: Profile) -> float:
    if not title.title_weight:
        return 0.0
    found = title.title.keys() & other.vector.keys()
    return sum(title.title[word] for word in found) / title.title_weight


def similarity(first: Profile, second: Profile) -> float:
    """How surely two profiled articles tell one story, 0..1 (see the module's docstring)."""
    shared = first.vector.keys() & second.vector.keys()
    text = sum(first.vector[word] * second.vector[word] for word in shared)
    titles = min(_coverage(first, second), _coverage(second, first))
    fewer = min(len(first.names), len(second.names))
    names = len(first.names & second.names) / fewer if fewer else 0.0
    score = (min(text, 1.0) + titles + names) / 3
    if _apart(first.dates, second.dates) or _apart(first.mentioned, second.mentioned):
        score *= DATE_CONFLICT_FACTOR
    return score


def _apart(first: frozenset[str], second: frozenset[str]) -> bool:
    """Both name dates, and none in common."""
    return bool(first and second and not first & second)


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
    "profile_from_lemmas",
    "profile_of",
    "same_story",
    "similarity",
    "story_similarity",
]
