"""Summarization methods, one algorithm per module, all behind one interface:
`select(document, count) -> indices of the chosen sentences`. Modules load on first use, so
sumy is imported only when a sumy method is asked for."""

from __future__ import annotations

import importlib
from functools import partial

from summarizer.methods.base import Document, Method

SUMY_METHODS = ("lexrank", "textrank", "lsa", "luhn", "edmundson", "kl", "sumbasic", "reduction")
METHODS = ("default", "lead", *SUMY_METHODS)

__all__ = ["METHODS", "SUMY_METHODS", "Document", "Method", "get"]


def get(name: str) -> Method:
    """The method called `name`; ValueError names the known ones."""
    if name not in METHODS:
        raise ValueError(f"unknown method {name!r}; known: {', '.join(METHODS)}")
    if name in SUMY_METHODS:
        from summarizer.methods import sumy_adapter

        return partial(sumy_adapter.select, algorithm=name)
    select: Method = importlib.import_module(f"summarizer.methods.{name}").select
    return select
