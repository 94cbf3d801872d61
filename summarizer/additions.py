"""A story told by several outlets: the one sentence another outlet adds to the first summary.

A sentence is added only if it carries facts the summary (and its title) does not: a number,
or a name of a person, place or organization (pymorphy3's name tags, Latin words), compared
as lemmas; and only if it is no repetition: most of its content words are new. It must also
read on its own, since it is shown without the sentences around it: balanced quotes and no
back-reference at its start (`coherence`). Of the qualifying sentences the one with the most
new facts wins, the earliest among equals.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from summarizer import coherence
from summarizer import text as nlp

MIN_NEW_SHARE = 0.5
"""Share of a sentence's content lemmas the summary lacks, below which it repeats it."""
MAX_CHARS = 300
"""A longer sentence would outweigh the summary it completes."""


def facts(lemmas: Iterable[str]) -> set[str]:
    """The numbers and names among `lemmas`."""
    return {item for item in lemmas if item[0].isdigit() or _is_name(item)}


def _is_name(lemma: str) -> bool:
    analysis = nlp.analyze(lemma)
    return analysis.name or (analysis.pos == "" and lemma.isalpha())  # Latin: Tesla, SpaceX


def new_facts(sentence: str, known: set[str]) -> set[str]:
    """The facts of `sentence` not among the `known` lemmas; empty if it repeats them."""
    own = set(nlp.content_lemmas(sentence))
    if not own or len(own - known) < MIN_NEW_SHARE * len(own):
        return set()
    return facts(own - known)


def addition(summary: Sequence[str], title: str, others: Iterable[str]) -> str | None:
    """The sentence of `others` (other outlets' summary sentences, in order of preference)
    that adds the most new facts to `summary` and `title`, or None if none adds any."""
    known = set(nlp.lemmas(" ".join([title, *summary])))
    best, most = None, 0
    for sentence in others:
        if not _reads_alone(sentence):
            continue
        found = len(new_facts(sentence, known))
        if found > most:
            best, most = sentence, found
    return best


def _reads_alone(sentence: str) -> bool:
    return (
        len(sentence) <= MAX_CHARS
        and not coherence.has_unbalanced_quotes(sentence)
        and not coherence.starts_with_back_reference(sentence)
    )
