"""Local sources: text files in the scraped-page shape, JSONL, and saved HTML pages; folders
are read recursively. Every item comes out labelled, as a Document or a SourceError, so one bad
file or line never stops the batch."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from bot.ingest.document import (
    Document,
    SourceError,
    decode,
    html_to_text,
    is_binary,
    looks_like_html,
    meta_charset,
    parse_datetime,
)

JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
TEXT_SUFFIXES = frozenset({".txt", ".text"})
KNOWN_SUFFIXES = JSONL_SUFFIXES | HTML_SUFFIXES | TEXT_SUFFIXES
MAX_FILE_BYTES = 50 * 1024 * 1024

Loaded = tuple[str, Document | SourceError]


def expand(paths: Iterable[Path]) -> list[Path]:
    """Files named, and the known kinds of files inside folders named (sorted)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                sorted(
                    child
                    for child in path.rglob("*")
                    if child.is_file()
                    and child.suffix.lower() in KNOWN_SUFFIXES
                    and not child.name.startswith(".")
                )
            )
        else:
            files.append(path)
    return files


def read_file(path: Path) -> Iterator[Loaded]:
    """The documents in one file, each labelled with where it came from."""
    try:
        raw = _read_bytes(path)
        suffix = path.suffix.lower()
        if suffix in JSONL_SUFFIXES:
            yield from _jsonl_documents(path, decode(raw))
        elif suffix in HTML_SUFFIXES:
            from bot.ingest.web import extract_html

            yield str(path), extract_html(decode(raw, meta_charset(raw)))
        else:
            yield str(path), Document(text=_text_of(decode(raw)))
    except SourceError as error:
        yield str(path), error


def _read_bytes(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise SourceError(f"file larger than {MAX_FILE_BYTES // 2**20} MB")
        raw = path.read_bytes()
    except OSError as error:
        raise SourceError(error.strerror or str(error)) from None
    if not raw.strip():
        raise SourceError("empty file")
    if is_binary(raw):
        raise SourceError("binary file, not text")
    return raw


def _text_of(text: str) -> str:
    return html_to_text(text) if looks_like_html(text) else text


def _jsonl_documents(path: Path, text: str) -> Iterator[Loaded]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        label = f"{path}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            yield label, SourceError(f"not JSON ({error.msg})")
            continue
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            yield label, SourceError('no "text" string in this line')
            continue
        url = _string(record, "url")
        yield (
            label,
            Document(
                text=_text_of(record["text"]),
                title=_string(record, "title"),
                url=url if url and url.startswith(("http://", "https://")) else None,
                published=parse_datetime(record.get("published")),
                source_name=_string(record, "source"),
            ),
        )


def _string(record: dict, key: str) -> str | None:
    value = record.get(key)
    return value if isinstance(value, str) and value.strip() else None
