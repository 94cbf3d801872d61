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

    return parser


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
