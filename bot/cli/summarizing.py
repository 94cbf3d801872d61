"""`svodka summarize | evaluate | evaluate-topics | evaluate-stories`: the summarizer on files."""

from __future__ import annotations

import argparse
import csv
import sys


def summarize_file(args: argparse.Namespace) -> int:
    from summarizer import summarize

    try:
        if args.file == "-":
            text = sys.stdin.read()
        else:
            with open(args.file, encoding="utf-8") as file:
                text = file.read()
        summary = summarize(text, sentences=args.sentences, method=args.method)
    except (OSError, UnicodeDecodeError, ValueError) as error:
        print(f"svodka: {error}", file=sys.stderr)
        return 2
    from bot.untrusted import printable

    if summary.title:
        print(printable(summary.title), end="\n\n")
    print(
        printable("\n".join(summary.sentences)) if summary.sentences else "(nothing to summarize)"
    )
    return 0


def evaluate_summaries(args: argparse.Namespace) -> int:
    import json

    from tqdm import tqdm

    from summarizer import METHODS
    from summarizer.eval.summaries import ORACLE, evaluate, format_table

    methods = args.methods or [*METHODS, ORACLE]
    unknown = sorted(set(methods) - {*METHODS, ORACLE})
    if unknown:
        known = ", ".join([*METHODS, ORACLE])
        print(f"svodka: unknown methods {unknown}; known: {known}", file=sys.stderr)
        return 2
    try:
        with open(args.path, encoding="utf-8") as file:
            rows = [json.loads(line) for line in file if line.strip()]
        pairs = [(row["text"], row["summary"]) for row in rows]
    except (OSError, ValueError, KeyError, TypeError) as error:
        print(f"svodka: cannot read {args.path}: {error!r}", file=sys.stderr)
        return 2
    bar = tqdm(total=len(pairs) * len(methods), unit="article", file=sys.stderr)

    def progress(items):
        for item in items:
            yield item
            bar.update()

    with bar:
        results = evaluate(pairs, methods, sentences=args.sentences, progress=progress)
    print(format_table(results))
    return 0


def evaluate_topics(args: argparse.Namespace) -> int:
    from summarizer.eval.topics import evaluate_files

    try:
        report = evaluate_files(args.paths, with_categories=args.with_categories)
        if args.cross_validate:
            from summarizer.training.topics import cross_validation_report

            report += "\n\n" + cross_validation_report(args.paths)
    except (OSError, UnicodeDecodeError, ValueError, csv.Error) as error:
        print(f"svodka: {error}", file=sys.stderr)
        return 2
    print(report)
    return 0


def evaluate_stories(args: argparse.Namespace) -> int:
    from summarizer.eval.stories import evaluate, read_pairs
    from summarizer.stories import THRESHOLD

    try:
        pairs = read_pairs(args.path)
    except (OSError, UnicodeDecodeError, ValueError, csv.Error) as error:
        print(f"svodka: {error}", file=sys.stderr)
        return 2
    threshold = THRESHOLD if args.threshold is None else args.threshold
    print(evaluate(pairs, threshold=threshold))
    if args.cv:
        from summarizer.eval.stories import cross_validate

        print(cross_validate(pairs))
    return 0
