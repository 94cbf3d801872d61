"""Extractive summaries of Russian news: `summarize(text)`, `clean(text)`, `METHODS`."""

from summarizer.cleaning import Article, clean
from summarizer.methods import METHODS
from summarizer.summarize import Summary, summarize

__all__ = ["METHODS", "Article", "Summary", "clean", "summarize"]
