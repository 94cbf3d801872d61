"""The `svodka` command line. Heavy imports (aiogram, storage) stay inside the commands."""

from __future__ import annotations

import argparse
import csv
import os
import sys
from collections.abc import Sequence

from bot.config import ROLES, ConfigError


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
    summarize.set_defaults(handler=_cmd_summarize)

    evaluate = sub.add_parser("evaluate", help="ROUGE of summarization methods on a JSONL file")
    evaluate.add_argument("path", help='JSON lines with "text" and "summary"')
    evaluate.add_argument("--methods", nargs="+", help="methods to compare (default: all)")
    evaluate.add_argument("--sentences", type=int, default=3, help="sentences per summary")
    evaluate.set_defaults(handler=_cmd_evaluate)

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
    topics.set_defaults(handler=_cmd_evaluate_topics)

    stories = sub.add_parser("evaluate-stories", help="same-story detection on labeled pairs")
    stories.add_argument("path", help="TSV with same, first_title, first_text, second_title, ...")
    stories.add_argument("--threshold", type=float, help="similarity from which pairs are same")
    stories.add_argument(
        "--cv",
        action="store_true",
        help="also cross-validate: the threshold fitted on other folds, means over 20 x 5 folds",
    )
    stories.set_defaults(handler=_cmd_evaluate_stories)

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
    run.set_defaults(handler=_cmd_run)

    webhook = sub.add_parser("webhook", help="Telegram's webhook setting for this bot")
    actions = webhook.add_subparsers(required=True)
    actions.add_parser("info", help="where Telegram posts updates, and its errors").set_defaults(
        handler=lambda args: _webhook("info")
    )
    actions.add_parser(
        "delete", help="stop posting updates (long polling works again)"
    ).set_defaults(handler=lambda args: _webhook("delete"))

    health = sub.add_parser("health", help="is the running bot ready? (exit 0 or 1, one line)")
    health.add_argument(
        "--url", help="the process's listener (http://host:port), default SVODKA_LISTEN's"
    )
    health.set_defaults(handler=_cmd_health)

    config = sub.add_parser("config", help="settings").add_subparsers(required=True)
    config.add_parser(
        "check", help="print the settings, check the database, Bot API and listen address"
    ).set_defaults(handler=_cmd_config_check)

    fake = sub.add_parser(
        "fake-telegram", help="a local Bot API server with a control API, for rehearsals"
    )
    fake.add_argument("--listen", default="127.0.0.1:8081", help="host:port (default %(default)s)")
    fake.add_argument(
        "--no-limits", action="store_true", help="do not enforce Telegram's flood limits"
    )
    fake.set_defaults(handler=_cmd_fake_telegram)

    demo = sub.add_parser("demo", help="chat with the bot offline, in the terminal")
    demo.add_argument(
        "--script", nargs="+", metavar="MESSAGE", help="send these messages, print, exit"
    )
    demo.set_defaults(handler=_cmd_demo)
    return parser


def _add_archive_commands(sub) -> None:
    ingest = sub.add_parser("ingest", help="store articles from files, folders, JSONL, HTML, URLs")
    ingest.add_argument("items", nargs="+", metavar="PATH|URL|@CHANNEL")
    ingest.set_defaults(handler=lambda args: _archive("ingest", args.items))

    latest = sub.add_parser("latest", help="print the newest summaries")
    latest.add_argument("--topic", help="a topic slug or name")
    latest.add_argument(
        "-n", type=_story_count, default=5, dest="limit", help="how many stories (default 5)"
    )
    latest.add_argument("--json", action="store_true", help="one JSON object per story and line")
    latest.set_defaults(handler=lambda args: _archive("latest", args.topic, args.limit, args.json))

    db = sub.add_parser("db", help="database maintenance").add_subparsers(required=True)
    upgrade = db.add_parser("upgrade", help="apply schema migrations (also done at start)")
    upgrade.set_defaults(handler=lambda args: _archive("db_upgrade"))
    backup = db.add_parser("backup", help="a consistent copy of the SQLite archive, while it runs")
    backup.add_argument("file", metavar="FILE")
    backup.set_defaults(handler=lambda args: _db("backup", args.file))
    restore = db.add_parser("restore", help="put a backup in place of the SQLite archive")
    restore.add_argument("file", metavar="FILE")
    restore.add_argument("--force", action="store_true", help="replace a live or existing archive")
    restore.set_defaults(handler=lambda args: _db("restore", args.file, args.force))
    copy = db.add_parser("copy", help="copy every table into another database (to PostgreSQL)")
    copy.add_argument("--to", required=True, metavar="URL", help="postgresql+asyncpg://...")
    copy.set_defaults(handler=lambda args: _db("copy", args.to))

    feeds = sub.add_parser("feeds", help="manage RSS/Atom feeds").add_subparsers(required=True)
    add = feeds.add_parser("add", help="poll a feed or a public channel (@name, t.me/name)")
    add.add_argument("url")
    add.add_argument("--every", type=int, metavar="MINUTES", help="poll interval")
    add.set_defaults(
        handler=lambda args: _archive("feeds_add", args.url, args.every and args.every * 60)
    )
    remove = feeds.add_parser("remove", help="stop polling a feed")
    remove.add_argument("feed", help="the feed's id or URL, or the channel's @name")
    remove.set_defaults(handler=lambda args: _archive("feeds_remove", args.feed))
    listing = feeds.add_parser("list", help="list feeds and how each is doing")
    listing.add_argument("--page", type=int, default=1, help="page of the list (default: 1)")
    listing.set_defaults(handler=lambda args: _archive("feeds_list", args.page))
    opml_in = feeds.add_parser("import", help="add the feeds of an OPML file")
    opml_in.add_argument("file", metavar="FILE.opml")
    opml_in.set_defaults(handler=lambda args: _archive("feeds_import", args.file))
    opml_out = feeds.add_parser("export", help="write the feeds as OPML (default: stdout)")
    opml_out.add_argument("file", nargs="?", metavar="FILE")
    opml_out.set_defaults(handler=lambda args: _archive("feeds_export", args.file))


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


def _archive(command: str, *params: object) -> int:
    """Run one of the archive's async commands (bot/ingest/commands.py)."""
    import asyncio

    from bot.config import load_settings
    from bot.ingest import commands

    settings = load_settings()
    return asyncio.run(getattr(commands, command)(settings, *params))


def _db(command: str, *params: object) -> int:
    """`svodka db backup | restore | copy` (bot/dbcommands.py)."""
    from bot import dbcommands
    from bot.config import load_settings

    return getattr(dbcommands, command)(load_settings(), *params)


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
    from bot.untrusted import printable

    if summary.title:
        print(printable(summary.title), end="\n\n")
    print(
        printable("\n".join(summary.sentences)) if summary.sentences else "(nothing to summarize)"
    )
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
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


def _cmd_run(args: argparse.Namespace) -> int:
    from bot.config import load_settings

    settings = load_settings()
    settings.require_shared_database(args.role)
    token = settings.require_token()  # before importing aiogram: a missing token fails fast
    from bot.logs import configure_logging, secret_parts

    hidden = [*secret_parts(token)]
    if args.webhook:
        hidden.append(settings.require_webhook()[1])
    configure_logging(
        secrets=hidden,
        json_lines=settings.log_format == "json",
        level=settings.log_level,
        role=args.role,
    )
    from bot.runlock import sole_run

    with sole_run(settings.database_url):  # a second run on one SQLite file stops here
        return _run_until_stopped(settings, args.role, args.webhook)


def _webhook(command: str) -> int:
    import asyncio

    from bot.config import load_settings
    from bot.webhook import webhook_command

    settings = load_settings()
    token = settings.require_token()
    return asyncio.run(webhook_command(command, settings, token))


def _run_until_stopped(settings, role: str, webhook: bool) -> int:
    import asyncio
    import logging

    from aiogram.exceptions import AiogramError

    from bot.app import AnotherPoller, ServiceFailed, run_bot
    from bot.supervisor import DatabaseUnreachable

    try:
        with asyncio.Runner(loop_factory=_fast_loop()) as runner:
            runner.run(run_bot(settings, role=role, webhook=webhook))
    except (AnotherPoller, DatabaseUnreachable, ServiceFailed) as error:
        logging.getLogger("svodka").critical("cannot run: %s", error)
        return 1
    except AiogramError as error:  # Telegram (or what stands at SVODKA_TELEGRAM_API) refused
        said = " ".join(str(error).split())[:500]  # one line, the answer's start included
        logging.getLogger("svodka").critical("cannot run: %s: %s", type(error).__name__, said)
        return 1
    except Exception:  # a bug: the traceback goes through the log (and loses the token)
        logging.getLogger("svodka").critical("svodka run failed", exc_info=True)
        return 1
    return 0


def _cmd_health(args: argparse.Namespace) -> int:
    import asyncio

    from bot.config import load_settings
    from bot.web import check_health

    ready, line = asyncio.run(check_health(load_settings(), url=args.url))
    print(line)
    return 0 if ready else 1


def _cmd_config_check(args: argparse.Namespace) -> int:
    from bot.config import load_settings
    from bot.configcheck import config_check

    return config_check(load_settings())


def _cmd_fake_telegram(args: argparse.Namespace) -> int:
    import asyncio

    from bot.config import parse_listen
    from localapi.control import serve

    try:
        host, port = parse_listen(args.listen)
    except ValueError as error:
        raise ConfigError(f"--listen: {error}") from None

    def ready(url: str) -> None:
        print(f"fake Telegram at {url}: set SVODKA_TELEGRAM_API={url}", flush=True)
        print(f"control API at {url}/control/ (docs/fake-telegram.md)", flush=True)

    try:
        asyncio.run(serve(host, port, limits=not args.no_limits, ready=ready))
    except OSError as error:
        raise ConfigError(f"--listen: cannot listen on {args.listen} ({error.strerror})") from None
    return 0


def _fast_loop():
    """uvloop's event loop when installed (about half the CPU per update), else asyncio's."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def _cmd_demo(args: argparse.Namespace) -> int:
    import asyncio

    from bot.demo import run_demo

    return asyncio.run(run_demo(args.script))


def _cmd_evaluate_topics(args: argparse.Namespace) -> int:
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


def _cmd_evaluate_stories(args: argparse.Namespace) -> int:
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
