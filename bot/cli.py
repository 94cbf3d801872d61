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
