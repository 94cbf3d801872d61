"""Summaries that read as text: whole quotations and no dangling back-references.

A quotation may span several sentences (razdel keeps «Мы пришли. Мы ушли», — сказал он as two),
and a sentence may lean on the one before it («Он», «При этом», «Кроме того»). Each candidate
sentence therefore comes as a *unit*: the sentences of its quotation, plus, when the unit starts
with a back-reference, the unit of the sentence before it. A selection takes whole units within
the sentence budget, or yields to the next candidate; a sentence whose quotation never closes
(or closes a quotation opened outside the text) is no candidate at all.

Quote marks come in three families, counted apart: «», typographic „“ and “”, and straight ""
(whose direction is read from the character before it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

MAX_QUOTATION = 6
"""Sentences a quotation may span; a quote still open after that is a stray mark."""

BACK_REFERENCES = frozenset(
    {
        *("он", "она", "оно", "они", "его", "ее", "её", "их", "ему", "ей", "им", "ими"),
        *("это", "этот", "эта", "эти", "этого", "этой", "этим", "этом", "эту", "этих"),
        *("также", "однако", "поэтому", "впрочем", "затем", "тогда", "зато", "но", "а", "и"),
        *("там", "здесь", "тут", "следовательно", "причем", "притом", "правда"),
    }
)
"""First words that refer to what came before."""

BACK_REFERENCE_PHRASES = frozenset(
    {
        *("при этом", "кроме того", "кроме этого", "помимо этого", "помимо того", "к тому же"),
        *("тем не менее", "вместе с тем", "в то же время", "в свою очередь", "между тем"),
        *("таким образом", "после этого", "в связи с этим", "в результате", "до этого"),
        *("по его словам", "по ее словам", "по её словам", "по их словам", "по его мнению"),
        *("по ее мнению", "по её мнению", "по их мнению", "у него", "у нее", "у них"),
        *("с ним", "с ней", "с ними", "для этого", "из-за этого", "на этом", "в этом"),
        *("об этом", "в этой связи", "по этому поводу", "среди них", "из них"),
    }
)
"""Opening phrases (lowercased words joined by spaces) that refer to what came before."""

_PHRASE_WORDS = max(len(phrase.split()) for phrase in BACK_REFERENCE_PHRASES)
_LEADING = " \t\u00a0—–-•"  # dashes of a dialogue or list line before the first word


def _first_words(sentence: str, count: int) -> list[str]:
    words = []
    for raw in sentence.lstrip(_LEADING).split(maxsplit=count)[:count]:
        word = raw.strip(",.:;!?…()").lower()
        if not word or not word[0].isalpha() or (len(word) == 1 and raw.endswith(".")):
            break  # "А. Иванов": an initial, not the conjunction
        words.append(word)
        if raw[-1:] in ",:;":
            break  # "Однако," ends the opening phrase
    return words


def starts_with_back_reference(sentence: str) -> bool:
    """Does `sentence` open with a word or phrase that refers to the sentence before?"""
    words = _first_words(sentence, _PHRASE_WORDS)
    if not words:
        return False
    if words[0] in BACK_REFERENCES:
        return True
    return any(
        " ".join(words[:size]) in BACK_REFERENCE_PHRASES for size in range(2, len(words) + 1)
    )


# Quote families: guillemets, typographic (German „“ and English “” both close on “ or ”),
# straight. Each mark opens, closes, or (straight) depends on the character before it.
_OPEN = {"«": 0, "„": 1, "“": 1}
_CLOSE = {"»": 0, "“": 1, "”": 1}
_FAMILIES = 3
_STRAIGHT = '"'
_MARK = re.compile('[«»„“”"]')
# Per family: quotations a sentence closes without opening them, and those it leaves open.
Balance = tuple[tuple[int, ...], tuple[int, ...]]


def quote_balance(text: str) -> Balance:
    """Per family: quotations `text` closes that it did not open, and those it leaves open."""
    unopened = [0] * _FAMILIES
    open_ = [0] * _FAMILIES
    for mark in _MARK.finditer(text):
        char, start = mark.group(), mark.start()
        if char == _STRAIGHT:
            family = 2
            previous = text[start - 1] if start else " "
            opens = previous.isspace() or previous in "([{«„“-—–/"
        else:
            family = _OPEN.get(char, _CLOSE.get(char, 0))
            # “ closes an open typographic quotation and opens one otherwise
            opens = char in _OPEN and not (char in _CLOSE and open_[family])
        if opens:
            open_[family] += 1
        elif open_[family]:
            open_[family] -= 1
        else:
            unopened[family] += 1
    return tuple(unopened), tuple(open_)


def has_unbalanced_quotes(text: str) -> bool:
    """Does `text` close a quotation it never opened, or open one it never closes?"""
    unopened, open_ = quote_balance(text)
    return any(unopened) or any(open_)


def quotation_spans(sentences: Sequence[str]) -> list[tuple[int, int] | None]:
    """For each sentence, the range [start, end) of the sentences its quotation spans (itself
    alone if it has none), or None if its quotation does not close within MAX_QUOTATION
    sentences or closes one opened before the text."""
    balances = [quote_balance(sentence) for sentence in sentences]
    spans: list[tuple[int, int] | None] = [None] * len(sentences)
    start = 0
    while start < len(sentences):
        end = _quotation_end(balances, start)
        if end is None:
            start += 1  # a stray mark: this sentence is no candidate, the next may start afresh
            continue
        spans[start:end] = [(start, end)] * (end - start)
        start = end
    return spans


def _quotation_end(balances: Sequence[Balance], start: int) -> int | None:
    """End of the quotation that `start` opens, if it closes in time and closes nothing else."""
    depth = [0] * _FAMILIES
    for index in range(start, min(start + MAX_QUOTATION, len(balances))):
        unopened, open_ = balances[index]
        for family in range(_FAMILIES):
            depth[family] -= unopened[family]
            if depth[family] < 0:
                return None
            depth[family] += open_[family]
        if not any(depth):
            return index + 1
    return None


def units(sentences: Sequence[str]) -> list[tuple[int, ...] | None]:
    """For each sentence, the indices it cannot go without (itself included, in order), or None
    if it cannot be shown as text at all."""
    spans = quotation_spans(sentences)
    result: list[tuple[int, ...] | None] = []
    for span in spans:
        if span is None:
            result.append(None)
            continue
        start, end = span
        needed = list(range(start, end))
        if start > 0 and starts_with_back_reference(sentences[start]):
            before = result[start - 1]  # already computed: units only reach backwards
            if before is None:
                result.append(None)
                continue
            needed = [*before, *needed]
        result.append(tuple(needed))
    return result


def coherent_selection(sentences: Sequence[str], ranked: Iterable[int], count: int) -> list[int]:
    """Take candidates in `ranked` order, each with its unit, while the units fit in `count`
    sentences; a unit that does not fit yields to the next candidate. Sorted indices."""
    needs = units(sentences)
    chosen: set[int] = set()
    for index in ranked:
        if len(chosen) >= count:
            break
        unit = needs[index]
        if unit is not None and len(chosen.union(unit)) <= count:
            chosen.update(unit)
    return sorted(chosen)


def dangling_back_reference(sentences: Sequence[str], chosen: Iterable[int]) -> bool:
    """Does a chosen sentence (not the first of the text) start with a back-reference while the
    sentence before it is left out?"""
    picked = set(chosen)
    return any(
        index > 0 and index - 1 not in picked and starts_with_back_reference(sentences[index])
        for index in picked
    )


def readable_prefix(sentences: Sequence[str], count: int) -> tuple[str, ...]:
    """The first `count` sentences of a summary, fewer if the last of them leaves a quotation
    open; more if even the first does (its quotation whole); `count` if nothing helps."""
    sizes = [*range(min(count, len(sentences)), 0, -1), *range(count + 1, len(sentences) + 1)]
    for size in sizes:
        if not has_unbalanced_quotes(" ".join(sentences[:size])):
            return tuple(sentences[:size])
    return tuple(sentences[:count])
