"""The `svodka` command line. Heavy imports (aiogram, storage) stay inside the commands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bot.config import ConfigError


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="svodka", description="Russian news summaries in Telegram"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    summarize = sub.add_parser("summarize", help="print the title and summary of an article")
    summarize.add_argument("file", help="a text file, or - for standard input")
    summarize.add_argument("--method", default="default", help="summarization method")
    summarize.add_argument("--sentences", type=int, default=3, help="sentences in the summary")
    summarize.set_defaults(handler=_cmd_summarize)

    evaluate = sub.add_parser("evaluate", help="ROUGE of summarization methods on a JSONL file")
    evaluate.add_argument("path", help='JSON lines with "text" and "summary"')
    evaluate.add_argument("--methods", nargs="+", help="methods to compare (default: all)")
    evaluate.add_argument("--sentences", type=int, default=3, help="sentences per summary")
    evaluate.set_defaults(handler=_cmd_evaluate)

    return parser


def _cmd_summarize(args: argparse.Namespace) -> int:
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
    if summary.title:
        print(summary.title, end="\n\n")
    print("\n".join(summary.sentences) if summary.sentences else "(nothing to summarize)")
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    import json

    from tqdm import tqdm

    from summarizer import METHODS
    from summarizer.evaluation import ORACLE, evaluate, format_table

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


def main(argv: Sequence[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    try:
        return args.handler(args) or 0
    except ConfigError as error:
        print(f"svodka: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
