"""Advertising marked as such: Russian law (38-FZ, art. 18.1) requires an advertising post to say
«реклама» and carry its registry token (erid), so channels write «#реклама», a line starting
«Реклама.» or «Реклама:», or «erid: …». Such articles are stored with `advert` set and hidden
from every chat that has not asked to see them (/mute off реклама)."""

from __future__ import annotations

import re

# Each a single pass with no nested or overlapping repetition: safe on hostile text.
HASHTAG = re.compile(r"#реклама(?![а-яё\w])", re.IGNORECASE)
LABEL_LINE = re.compile(r"^[ \t]*реклама[ \t]*(?:[.:]|$)", re.IGNORECASE | re.MULTILINE)
ERID = re.compile(r"(?<![a-z])erid[ \t]*:[ \t]*[0-9a-z]", re.IGNORECASE)


def is_advert(*texts: str) -> bool:
    """Whether any of the texts (title, lead, body) carries an advertising marker."""
    return any(
        pattern.search(text) is not None
        for text in texts
        for pattern in (HASHTAG, LABEL_LINE, ERID)
    )
