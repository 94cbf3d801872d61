"""Dedup keys: canonical URLs, a hash of the normalized text, and MinHash fingerprints whose
LSH bands find near-duplicates (the same wire story with another headline or an edited
paragraph) with one indexed query instead of a scan.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from functools import cache, lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import numpy as np

TRACKING_PARAMS = frozenset({"fbclid", "gclid", "yclid", "ysclid", "_openstat", "mc_cid", "mc_eid"})
DEFAULT_PORTS = {"http": 80, "https": 443}


def canonical_url(url: str) -> str:
    """The URL without what varies between links to one page: tracking parameters (utm_*),
    the fragment, trailing slashes, default ports, host case; remaining parameters sorted."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if parts.port and parts.port != DEFAULT_PORTS.get(scheme):
        host = f"{host}:{parts.port}"
    query = sorted(
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if not key.lower().startswith("utm_") and key.lower() not in TRACKING_PARAMS
    )
    return urlunsplit((scheme, host, parts.path.rstrip("/"), urlencode(query), ""))


_WORD = re.compile(r"\w+")


def content_hash(text: str) -> str:
    """SHA-256 of the text's words, lowercased: case, punctuation and spacing do not change
    it (and it stays fast for a 5 MB page)."""
    words = _WORD.findall(text.lower().replace("ё", "е"))
    return hashlib.sha256(" ".join(words).encode()).hexdigest()


NUM_PERM = 60
BAND_ROWS = 3  # 20 bands of 3: a pair with Jaccard 0.5 becomes a candidate with p = 0.93
SHINGLE = 3  # words per shingle
MIN_SHINGLES = 8  # shorter texts are left to the exact hash
SIMILARITY = 0.5  # estimated Jaccard of shingles from which two texts are one story
CHUNK = 16_384  # shingles permuted at once: bounds memory on a 5 MB page


@cache
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    """NUM_PERM affine permutations h -> a*h + b of 32-bit values (wrapping uint32 arithmetic;
    an odd `a` makes each one a bijection). The seed is fixed for every fingerprint ever
    stored, so they stay comparable."""
    generator = np.random.default_rng(1)
    a = generator.integers(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = generator.integers(0, 1 << 32, NUM_PERM, dtype=np.uint64).astype(np.uint32)
    return a[:, None], b[:, None]


@lru_cache(maxsize=200_000)
def _word_hash(word: str) -> int:
    return int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")


def _shingle_hashes(lemmas: Sequence[str]) -> np.ndarray:
    """32-bit hashes of the word 3-shingles, from cached word hashes mixed with numpy (wrapping
    uint64 arithmetic): no hashing of every shingle's text. Repeats are kept: a minimum does
    not change when a value comes twice, and dropping them would cost a sort."""
    words = np.fromiter(map(_word_hash, lemmas), dtype=np.uint64, count=len(lemmas))
    count = len(words) - SHINGLE + 1
    if count < 1:
        return np.empty(0, dtype=np.uint32)
    mixed = words[:count]
    for offset in range(1, SHINGLE):
        mixed = mixed * _MIX + words[offset : count + offset]
    return ((mixed >> np.uint64(32)) ^ mixed).astype(np.uint32)  # high half xor low half


_MIX = np.uint64(0x9E3779B97F4A7C15)  # an odd 64-bit constant (the golden ratio)


def fingerprint(lemmas: Sequence[str]) -> bytes | None:
    """MinHash of the text's word 3-shingles; None when the text is too short to tell."""
    shingles = _shingle_hashes(lemmas)
    if len(shingles) < MIN_SHINGLES:
        return None
    a, b = _permutations()
    signature = (a * shingles[:CHUNK] + b).min(axis=1)
    for start in range(CHUNK, len(shingles), CHUNK):
        np.minimum(signature, (a * shingles[start : start + CHUNK] + b).min(axis=1), out=signature)
    return signature.astype("<u4").tobytes()


def bands(signature: bytes | None) -> tuple[int, ...]:
    """LSH band keys of a fingerprint, as signed 64-bit integers (BIGINT on both backends)."""
    if signature is None:
        return ()
    width = BAND_ROWS * 4
    return tuple(
        int.from_bytes(
            hashlib.blake2b(
                bytes([index]) + signature[start : start + width], digest_size=8
            ).digest(),
            "little",
            signed=True,
        )
        for index, start in enumerate(range(0, len(signature), width))
    )


def similarity(first: bytes, second: bytes) -> float:
    """Estimated Jaccard similarity of the shingle sets behind two fingerprints."""
    if len(first) != len(second):
        return 0.0
    return float(np.mean(np.frombuffer(first, "<u4") == np.frombuffer(second, "<u4")))
