"""Extractive summaries of Russian news: `summarize(text)`, `clean(text)`, `METHODS`;
topics: `classify(text)`, `TOPICS`, `find_topic(name)`, `topic_for_category(rubric)`."""

from summarizer.cleaning import Article, clean
from summarizer.methods import METHODS
from summarizer.summarize import Summary, summarize
from summarizer.topics import TOPICS, Topic, classify, find_topic, topic_for_category

__all__ = [
    "METHODS",
    "TOPICS",
    "Article",
    "Summary",
    "Topic",
    "classify",
    "clean",
    "find_topic",
    "summarize",
    "topic_for_category",
]
