"""Web pages: the main text of an HTML page, extracted with trafilatura."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.ingest.document import Document, SourceError, parse_datetime, plain_text
from bot.ingest.offload import time_budget

if TYPE_CHECKING:
    from bot.ingest.fetch import Response

PAGE_BUDGET = 20.0  # seconds to decode a page and extract its article


def extract_page(response: Response) -> Document:
    """The article of a fetched page, within PAGE_BUDGET (SourceError if it is not in time)."""
    with time_budget(PAGE_BUDGET):
        return extract_html(response.text, response.url)


def extract_html(page: str, url: str | None = None) -> Document:
    """The article in an HTML page: title, main text, publication date."""
    import trafilatura
    from trafilatura.metadata import Document as Extracted

    extracted = trafilatura.bare_extraction(page, url=url, with_metadata=True)
    if not isinstance(extracted, Extracted) or not (extracted.text and extracted.text.strip()):
        raise SourceError("no article text found in the page")
    title = plain_text(extracted.title or "") or None
    return Document(
        text=extracted.text,
        title=title,
        url=url,
        published=parse_datetime(extracted.date),
        source_name=extracted.sitename or None,
        categories=tuple(extracted.categories or ()),
    )
