"""The `svodka` command line. Heavy imports (aiogram, storage) stay inside the commands."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from bot.cli import archive, database, operate, summarizing, webhook
from bot.config import ROLES, ConfigError, load_settings


class _OneLineErrors(argparse.ArgumentParser):
    """A malformed command line is one line too (argparse prints the usage above it)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _build_parser() -> argparse.ArgumentParser:
    parser = _OneLineErrors(prog="svodka", description="Russian news summaries in Telegram")
    parser.add_argument(
        "--version", action="store_true", help="print the version and schema revision, exit"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    summarize = sub.add_parser("summarize", help="print the title and summary of an article")
    summarize.add_argument("file", help="a text file, or - for standard input")
    summarize.add_argument("--method", default="default", help="summarization method")
    summarize.add_argument("--sentences", type=int, default=3, help="sentences in the summary")
    summarize.set_defaults(handler=summarizing.summarize_file)

    evaluate = sub.add_parser("evaluate", help="ROUGE of summarization methods on a JSONL file")
    evaluate.add_argument("path", help='JSON lines with "text" and "summary"')
    evaluate.add_argument("--methods", nargs="+", help="methods to compare (default: all)")
    evaluate.add_argument("--sentences", type=int, default=3, help="sentences per summary")
    evaluate.set_defaults(handler=summarizing.evaluate_summaries)

    topics = sub.add_parser("evaluate-topics", help="topic classification on labeled CSV files")
    topics.add_argument("paths", nargs="+", metavar="PATH", help="CSV with a rubric or category")
    topics.add_argument(
        "--with-categories",
        action="store_true",
        help="also score the feed-category path (the label is passed as the category)",
    )
    topics.add_argument(
        "--cross-validate",
        action="store_true",
        help="also retrain and score per fold (honest figures on the training files)",
    )
    topics.set_defaults(handler=summarizing.evaluate_topics)

    stories = sub.add_parser("evaluate-stories", help="same-story detection on labeled pairs")
    stories.add_argument("path", help="TSV with same, first_title, first_text, second_title, ...")
    stories.add_argument("--threshold", type=float, help="similarity from which pairs are same")
    stories.add_argument(
        "--cv",
        action="store_true",
        help="also cross-validate: the threshold fitted on other folds, means over 20 x 5 folds",
    )
    stories.set_defaults(handler=summarizing.evaluate_stories)

    _add_archive_commands(sub)

    run = sub.add_parser("run", help="run the bot (long polling; needs BOT_TOKEN)")
    run.add_argument(
        "--role",
        choices=ROLES,
        default="all",
        help="all: everything (default); bot: answer updates only; worker: feeds and delivery only",
    )
    run.add_argument(
        "--webhook",
        action="store_true",
        help="receive updates at SVODKA_WEBHOOK_URL (on SVODKA_LISTEN) instead of long polling",
    )
    run.set_defaults(handler=operate.run)

    hook = sub.add_parser("webhook", help="Telegram's webhook setting for this bot")
    actions = hook.add_subparsers(required=True)
    actions.add_parser("info", help="where Telegram posts updates, and its errors").set_defaults(
        handler=webhook.info
    )
    actions.add_parser(
        "delete", help="stop posting updates (long polling works again)"
    ).set_defaults(handler=webhook.delete)

    health = sub.add_parser("health", help="is the running bot ready? (exit 0 or 1, one line)")
    health.add_argument(
        "--url", help="the process's listener (http://host:port), default SVODKA_LISTEN's"
    )
    health.set_defaults(handler=operate.health)

    config = sub.add_parser("config", help="settings").add_subparsers(required=True)
    config.add_parser(
        "check", help="print the settings, check the database, Bot API and listen address"
    ).set_defaults(handler=operate.config_check)

    fake = sub.add_parser(
        "fake-telegram", help="a local Bot API server with a control API, for rehearsals"
    )
    fake.add_argument("--listen", default="127.0.0.1:8081", help="host:port (default %(default)s)")
    fake.add_argument(
        "--no-limits", action="store_true", help="do not enforce Telegram's flood limits"
    )
    fake.set_defaults(handler=operate.fake_telegram)

    demo = sub.add_parser("demo", help="chat with the bot offline, in the terminal")
    demo.add_argument(
        "--script", nargs="+", metavar="MESSAGE", help="send these messages, print, exit"
    )
    demo.set_defaults(handler=operate.demo)
    return parser


def _add_archive_commands(sub) -> None:
    ingest = sub.add_parser("ingest", help="store articles from files, folders, JSONL, HTML, URLs")
    ingest.add_argument("items", nargs="+", metavar="PATH|URL|@CHANNEL")
    ingest.set_defaults(handler=lambda args: archive.run(archive.ingest, args.items))

    latest = sub.add_parser("latest", help="print the newest summaries")
    latest.add_argument("--topic", help="a topic slug or name")
    latest.add_argument(
        "-n", type=_story_count, default=5, dest="limit", help="how many stories (default 5)"
    )
    latest.add_argument("--json", action="store_true", help="one JSON object per story and line")
    latest.set_defaults(
        handler=lambda args: archive.run(archive.latest, args.topic, args.limit, args.json)
    )

    db = sub.add_parser("db", help="database maintenance").add_subparsers(required=True)
    upgrade = db.add_parser("upgrade", help="apply schema migrations (also done at start)")
    upgrade.set_defaults(handler=lambda args: archive.run(archive.db_upgrade))
    backup = db.add_parser("backup", help="a consistent copy of the SQLite archive, while it runs")
    backup.add_argument("file", metavar="FILE")
    backup.set_defaults(handler=lambda args: database.backup(load_settings(), args.file))
    restore = db.add_parser("restore", help="put a backup in place of the SQLite archive")
    restore.add_argument("file", metavar="FILE")
    restore.add_argument("--force", action="store_true", help="replace a live or existing archive")
    restore.set_defaults(
        handler=lambda args: database.restore(load_settings(), args.file, args.force)
    )
    copy = db.add_parser("copy", help="copy every table into another database (to PostgreSQL)")
    copy.add_argument("--to", required=True, metavar="URL", help="postgresql+asyncpg://...")
    copy.set_defaults(handler=lambda args: database.copy(load_settings(), args.to))

    feeds = sub.add_parser("feeds", help="manage RSS/Atom feeds").add_subparsers(required=True)
    add = feeds.add_parser("add", help="poll a feed or a public channel (@name, t.me/name)")
    add.add_argument("url")
    add.add_argument("--every", type=int, metavar="MINUTES", help="poll interval")
    add.set_defaults(
        handler=lambda args: archive.run(
            archive.feeds_add, args.url, args.every and args.every * 60
        )
    )
    remove = feeds.add_parser("remove", help="stop polling a feed")
    remove.add_argument("feed", help="the feed's id or URL, or the channel's @name")
    remove.set_defaults(handler=lambda args: archive.run(archive.feeds_remove, args.feed))
    listing = feeds.add_parser("list", help="list feeds and how each is doing")
    listing.add_argument("--page", type=int, default=1, help="page of the list (default: 1)")
    listing.set_defaults(handler=lambda args: archive.run(archive.feeds_list, args.page))
    opml_in = feeds.add_parser("import", help="add the feeds of an OPML file")
    opml_in.add_argument("file", metavar="FILE.opml")
    opml_in.set_defaults(handler=lambda args: archive.run(archive.feeds_import, args.file))
    opml_out = feeds.add_parser("export", help="write the feeds as OPML (default: stdout)")
    opml_out.add_argument("file", nargs="?", metavar="FILE")
    opml_out.set_defaults(handler=lambda args: archive.run(archive.feeds_export, args.file))


MAX_LATEST = 10_000


def _story_count(value: str) -> int:
    """-n of `svodka latest`: 1..MAX_LATEST."""
    try:
        count = int(value)
    except ValueError:
        count = 0
    if not 1 <= count <= MAX_LATEST:
        raise argparse.ArgumentTypeError(f"expected a number from 1 to {MAX_LATEST}, got {value!r}")
    return count


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.version:
        from bot.version import version_line

        print(version_line())
        return 0
    if args.command is None:
        parser.error("a command is required")
    try:
        return args.handler(args) or 0
    except ConfigError as error:
        print(f"svodka: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # one line for the operator; the traceback at SVODKA_LOG_LEVEL=DEBUG
        if os.environ.get("SVODKA_LOG_LEVEL", "").strip().upper() == "DEBUG":
            raise
        from bot.logs import one_line

        print(f"svodka: {one_line(error)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
