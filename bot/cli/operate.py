"""`svodka run | health | config check | fake-telegram | demo`: running the bot and
looking at it."""

from __future__ import annotations

import argparse

from bot.config import ConfigError, load_settings


def run(args: argparse.Namespace) -> int:
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


def health(args: argparse.Namespace) -> int:
    import asyncio

    from bot.web import check_health

    ready, line = asyncio.run(check_health(load_settings(), url=args.url))
    print(line)
    return 0 if ready else 1


def config_check(args: argparse.Namespace) -> int:
    from bot.configcheck import config_check

    return config_check(load_settings())


def fake_telegram(args: argparse.Namespace) -> int:
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


def demo(args: argparse.Namespace) -> int:
    import asyncio

    from bot.demo import run_demo

    return asyncio.run(run_demo(args.script))
