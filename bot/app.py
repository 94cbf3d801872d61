"""The bot application: Bot and Dispatcher, their middlewares and routers, and the background
services (feed poller, delivery) that live as long as polling does.

Long-lived objects travel as Dispatcher workflow data (`db`, `settings`); a transaction per
update comes from bot.middlewares.DatabaseMiddleware.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import hmac
import logging
import signal
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from aiogram import Bot, Dispatcher, methods
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.middlewares.base import BaseRequestMiddleware
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramConflictError
from aiogram.methods.base import Response
from aiogram.types import BotCommand, BotCommandScopeAllGroupChats, BotCommandScopeDefault
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web

from bot import metrics, texts
from bot.answers import AnswerScope, RetryAnswers
from bot.config import TELEGRAM_API, Settings
from bot.handlers import routers
from bot.ingest.stories import assign_unassigned
from bot.middlewares import (
    ChatAdminMiddleware,
    CountAnswers,
    DatabaseMiddleware,
    DedupMiddleware,
    ThrottleMiddleware,
    UpdatesInFlight,
)
from bot.storage.database import Database
from bot.storage.migrate import upgrade
from bot.supervisor import (
    LoopGaveUp,
    first_cause,
    give_up_when_silent,
    one_line,
    supervise,
    wait_for_database,
)
from bot.web import build_app, serving

if TYPE_CHECKING:
    from bot.ingest.offload import Offload

logger = logging.getLogger(__name__)

# A background service: (db, bot, settings, stop, offload), where `offload` runs the ingest
# stack's CPU-heavy steps off the event loop that answers people.
Service = Callable[[Database, Bot, Settings, asyncio.Event, "Offload"], Coroutine[Any, Any, None]]
SERVICE_STOP_MARGIN = 5.0  # seconds past SVODKA_SHUTDOWN_GRACE to hand work back, then cancel
FEED_CHECK_INTERVAL = 60.0  # seconds between checks for a first feed (added with /feed add)


def build_bot(token: str, settings: Settings) -> Bot:
    """A Bot talking to SVODKA_TELEGRAM_API (Telegram's own, or any server speaking its API)."""
    session = AiohttpSession()
    if settings.telegram_api.rstrip("/") != TELEGRAM_API:
        session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api))
    default = DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True)
    return Bot(token, session=session, default=default)


def build_dispatcher(
    db: Database,
    settings: Settings,
    *,
    services: Iterable[Service] | None = None,
    offload: Offload | None = None,
) -> Dispatcher:
    """Everything wired; `services` default to the feed poller and delivery; `offload` (by
    default in the event loop's own process) runs ingest's CPU-heavy steps."""
    from bot.ingest.offload import INLINE

    # no dialogs: no FSM per update
    dp = Dispatcher(disable_fsm=True, db=db, settings=settings, offload=offload or INLINE)
    dp["services"] = default_services() if services is None else list(services)
    dp["failure"] = Failure()
    dp.update.outer_middleware(DedupMiddleware(shared=None if db.is_sqlite else db))
    throttle = ThrottleMiddleware(
        settings.throttle_rate, settings.throttle_burst, max_pending=settings.throttle_pending
    )
    dp["throttle"] = throttle
    dp.update.outer_middleware(throttle)
    dp["updates_in_flight"] = UpdatesInFlight()
    dp.update.outer_middleware(dp["updates_in_flight"])  # after pacing: the handling alone
    dp.update.outer_middleware(AnswerScope())  # its answers retried, its changes committed first
    chat_admin, transaction = ChatAdminMiddleware(), DatabaseMiddleware()
    for observer in (dp.message, dp.callback_query):
        observer.middleware(chat_admin)  # before the transaction: a refusal opens none
    for observer in (dp.message, dp.callback_query, dp.my_chat_member):
        observer.middleware(transaction)
    dp.include_routers(*routers())
    dp.startup.register(_on_startup)
    dp.shutdown.register(_on_shutdown)
    return dp


# The Bot API methods of every update or delivery, whose answers aiogram parses into
# Response[...] classes that pydantic builds on first use and caches only weakly.
HOT_METHODS = (
    methods.GetUpdates,
    methods.SendMessage,
    methods.AnswerCallbackQuery,
    methods.EditMessageText,
    methods.EditMessageReplyMarkup,
    methods.GetChatMember,
    methods.GetMe,
)


def settle_memory() -> None:
    """Move what startup built (modules, routers, models) out of the garbage collector's view.

    A full collection walks every live object; with aiogram loaded that paused the bot for
    about 150 ms, delaying every update in flight, and freed the Response[...] classes,
    which then cost 5 ms each to build again (both seen with bench/bot.py). Objects created
    after this are collected as usual.
    """
    response_types()
    gc.collect()
    gc.freeze()


@functools.cache
def response_types() -> tuple[type, ...]:
    """Response[...] of HOT_METHODS, held for the process's life (pydantic holds them weakly)."""
    # A generic parametrized at run time, which a type checker cannot follow.
    return tuple(Response[method.__returning__] for method in HOT_METHODS)  # type: ignore[name-defined]


def default_services() -> list[Service]:
    return [poll_feeds, deliver]


async def poll_feeds(
    db: Database, bot: Bot, settings: Settings, stop: asyncio.Event, offload: Offload
) -> None:
    """The feed poller. Its ingest stack (numpy, scipy, trafilatura: about 50 MB) is imported
    only once there is a feed to poll; a bot fed by `svodka ingest` alone never loads it."""

    async def until_a_feed(ran: Callable[[], None]) -> None:
        while not await _has_feeds(db):
            ran()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), FEED_CHECK_INTERVAL)
            if stop.is_set():
                return

    await supervise("feeds", FEED_CHECK_INTERVAL, until_a_feed, stop, settings)
    if stop.is_set():
        return
    from bot.ingest.poller import poll_feeds_forever

    await poll_feeds_forever(db, settings, stop, offload)


async def _has_feeds(db: Database) -> bool:
    from bot.storage import sources

    async with db.read() as conn:
        return bool(await sources.list_feeds(conn))


async def deliver(
    db: Database, bot: Bot, settings: Settings, stop: asyncio.Event, offload: Offload
) -> None:
    from bot.delivery.worker import run_delivery

    await run_delivery(db, bot, settings, stop)


async def set_commands(bot: Bot) -> None:
    """The command menu, in Russian: everything in private chats, the usual subset in groups."""
    commands = [BotCommand(command=name, description=about) for name, about in texts.COMMANDS]
    await bot.set_my_commands(commands, scope=BotCommandScopeDefault())
    in_groups = [command for command in commands if command.command in texts.GROUP_COMMANDS]
    await bot.set_my_commands(in_groups, scope=BotCommandScopeAllGroupChats())


async def _on_startup(
    bot: Bot,
    dispatcher: Dispatcher,
    db: Database,
    settings: Settings,
    services: list[Service],
    offload: Offload,
    throttle: ThrottleMiddleware,
    failure: Failure,
) -> None:
    bot.session.middleware(CountAnswers(throttle))
    bot.session.middleware(RetryAnswers(settings.reply_deadline))  # inner: counted once
    await set_commands(bot)
    dispatcher["running_services"] = RunningServices.start(
        services, db, bot, settings, offload, failure
    )


async def _on_shutdown(dispatcher: Dispatcher, settings: Settings) -> None:
    """Updates stopped coming. Let the updates being handled finish, and ask the services to
    finish their current step (sends in flight get SVODKA_SHUTDOWN_GRACE seconds, then their
    claims are handed back), both within the grace; then cancel any service that does not.
    The bot's session closes after this, so nothing is cut off that had the grace to finish."""
    running: RunningServices = dispatcher["running_services"]
    running.stop_signal.set()
    in_flight: UpdatesInFlight = dispatcher["updates_in_flight"]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + settings.shutdown_grace
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(in_flight.idle(), settings.shutdown_grace)
    if in_flight.count:
        logger.warning("stopping with %d updates still being handled", in_flight.count)
    await running.stop(within=max(0.0, deadline - loop.time()) + SERVICE_STOP_MARGIN)


class ServiceFailed(Exception):
    """A background service ended by an error (a loop gave up, or a bug): the process ends
    with a non-zero status, for systemd to start it again, rather than run on without it."""


class ServiceEnded(Exception):
    """A background service returned while the process was not stopping."""


@dataclass(slots=True)
class Failure:
    """The first background service of the process that ended by an error (or ended at all
    before the process was asked to stop)."""

    happened: asyncio.Event = field(default_factory=asyncio.Event)
    error: BaseException | None = None

    def record(self, task: asyncio.Task, stop: asyncio.Event) -> None:
        if task.cancelled():
            return
        error = task.exception()
        if error is None and not stop.is_set():
            error = ServiceEnded(f"{task.get_name()} returned before the process was stopped")
        if error is None:
            return
        if isinstance(first_cause(error), LoopGaveUp | ServiceEnded):
            logger.critical("service %s stopped: %s", task.get_name(), one_line(error))
        else:  # a bug: its traceback is the report
            logger.error("service %s stopped", task.get_name(), exc_info=error)
        if self.error is None:
            self.error = error
        self.happened.set()

    def check(self) -> None:
        """Raise ServiceFailed if a service failed."""
        if self.error is not None:
            raise ServiceFailed(f"a background service stopped: {one_line(self.error)}")


@dataclass(slots=True)
class RunningServices:
    """The background services of a process, started as tasks."""

    stop_signal: asyncio.Event
    tasks: list[asyncio.Task]

    @classmethod
    def start(
        cls,
        services: Iterable[Service],
        db: Database,
        bot: Bot,
        settings: Settings,
        offload,
        failure: Failure,
    ) -> RunningServices:
        stop = asyncio.Event()
        tasks = []
        for service in services:
            task = asyncio.create_task(
                service(db, bot, settings, stop, offload), name=service.__name__
            )
            task.add_done_callback(functools.partial(failure.record, stop=stop))
            tasks.append(task)
        return cls(stop, tasks)

    async def stop(self, *, within: float) -> None:
        """Ask the services to finish their current step, then cancel any that has not
        within `within` seconds."""
        self.stop_signal.set()
        if not self.tasks:
            return
        _, pending = await asyncio.wait(self.tasks, timeout=within)
        for task in pending:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


class AfterCall(BaseRequestMiddleware):
    """Calls `then()` after each successful Bot API call of one kind (a heartbeat of polling)."""

    def __init__(self, method: type[methods.TelegramMethod], then: Callable[[], None]) -> None:
        self.method = method
        self.then = then

    async def __call__(self, make_request, bot, method):
        response = await make_request(bot, method)
        if isinstance(method, self.method):
            self.then()
        return response


class AnotherPoller(Exception):
    """Telegram answered getUpdates with 409 Conflict: another process receives the updates."""


class StopOnConflict(BaseRequestMiddleware):
    """Ends long polling at the first 409 Conflict from getUpdates instead of retrying it
    forever: two processes polling one token take updates from each other."""

    def __init__(self, dp: Dispatcher) -> None:
        self.dp = dp
        self.conflict: TelegramConflictError | None = None

    async def __call__(self, make_request, bot, method):
        try:
            return await make_request(bot, method)
        except TelegramConflictError as error:
            if not isinstance(method, methods.GetUpdates):
                raise
            self.conflict = error
            asyncio.get_running_loop().create_task(self.dp.stop_polling())
            await asyncio.Event().wait()  # polling is being stopped: this request never ends


async def run_bot(
    settings: Settings,
    *,
    role: str = "all",
    webhook: bool = False,
    bot: Bot | None = None,
    db: Database | None = None,
    services: Iterable[Service] | None = None,
    handle_signals: bool = True,
    polling_timeout: int = 10,
) -> None:
    """Run one process of the bot until stopped, serving /healthz, /readyz and /metrics on
    SVODKA_LISTEN. `role`: "all" long-polls and runs the background services (the feed poller
    and delivery, unless `services` says otherwise), "bot" only long-polls, "worker" only runs
    the services. With `webhook`, updates arrive at SVODKA_WEBHOOK_URL instead of by long
    polling. Migrations are applied first; the database, the bot's session and the ingest
    workers are closed at the end (a given `db` stays open: its owner closes it).
    Raises AnotherPoller if another process long-polls the same token, DatabaseUnreachable if
    the database does not answer within SVODKA_LOOP_GIVE_UP of the start, ServiceFailed when
    a background service stops (its loop gave up)."""
    from bot.ingest.offload import ProcessOffload

    metrics.set_role(role)
    metrics.build_info()
    if services is None:
        services = [] if role == "bot" else default_services()
    owned_db = db is None
    db = db or Database(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
    )
    bot = bot or build_bot(settings.require_token(), settings)
    offload = ProcessOffload(settings.ingest_workers)
    try:
        await wait_for_database(db, settings.loop_give_up)
        await upgrade(db)
        await assign_unassigned(db)
        dp = build_dispatcher(db, settings, services=services, offload=offload)
        app = build_app(db)
        if webhook and role != "worker":
            add_webhook(app, dp, bot, settings)
        settle_memory()
        async with serving(app, settings.listen_address()):
            if role == "worker":
                await _work(dp, bot, handle_signals=handle_signals)
            elif webhook:
                await set_webhook(bot, dp, settings)
                await _until_signal(handle_signals, dp["failure"].happened)
            else:
                await _poll(dp, bot, handle_signals=handle_signals, polling_timeout=polling_timeout)
        dp["failure"].check()
    finally:
        await offload.shutdown()
        await bot.session.close()
        if owned_db:
            await db.close()


async def _poll(dp: Dispatcher, bot: Bot, *, handle_signals: bool, polling_timeout: int) -> None:
    conflict = StopOnConflict(dp)
    bot.session.middleware(conflict)
    failure: Failure = dp["failure"]
    stop_on_failure = asyncio.create_task(_stop_polling_after(failure.happened, dp))
    with metrics.LOOPS.watch("polling", polling_timeout) as polled:
        bot.session.middleware(AfterCall(methods.GetUpdates, polled))
        # aiogram retries a failed getUpdates forever: past SVODKA_LOOP_GIVE_UP the process ends.
        watchdog = asyncio.create_task(
            give_up_when_silent("polling", dp["settings"].loop_give_up), name="polling"
        )
        watchdog.add_done_callback(functools.partial(failure.record, stop=asyncio.Event()))
        try:
            await dp.start_polling(
                bot,
                handle_signals=handle_signals,
                polling_timeout=polling_timeout,
                allowed_updates=dp.resolve_used_update_types(),
            )
        finally:
            stop_on_failure.cancel()
            watchdog.cancel()
    if conflict.conflict is not None:
        raise AnotherPoller(
            "another process is receiving this bot's updates (Telegram answered 409 Conflict): "
            "run one long-polling svodka per token, or several bot instances with --webhook"
        )


async def _stop_polling_after(failed: asyncio.Event, dp: Dispatcher) -> None:
    await failed.wait()
    await dp.stop_polling()


async def _work(dp: Dispatcher, bot: Bot, *, handle_signals: bool) -> None:
    """The background services without any updates, until SIGTERM or SIGINT (or until the
    task is cancelled, when `handle_signals` is off), or until one of them fails."""
    running = RunningServices.start(
        dp["services"], dp["db"], bot, dp["settings"], dp["offload"], dp["failure"]
    )
    try:
        await _until_signal(handle_signals, dp["failure"].happened)
    finally:
        await running.stop(within=dp["settings"].shutdown_grace + SERVICE_STOP_MARGIN)


async def _until_signal(handle_signals: bool, failed: asyncio.Event) -> None:
    """Until SIGTERM or SIGINT (when `handle_signals`), or until a service `failed`."""
    stop = asyncio.Event()
    if handle_signals:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
    waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(failed.wait())]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()


class SecretWebhook(SimpleRequestHandler):
    """aiogram's webhook handler, answering 403 (not 401) to a request without the secret."""

    async def handle(self, request: web.Request) -> web.Response:
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not self.verify_secret(given, self.bot):
            return web.Response(status=403, text="Forbidden")
        return await super().handle(request)

    def verify_secret(self, telegram_secret_token: str, bot: Bot) -> bool:
        """Compared as bytes: aiogram's str comparison raises on non-ASCII (a 500 and a
        traceback per request); aiohttp keeps undecodable header bytes as surrogates."""
        given = telegram_secret_token.encode("utf-8", "surrogateescape")
        return hmac.compare_digest(given, (self.secret_token or "").encode())


def add_webhook(app: web.Application, dp: Dispatcher, bot: Bot, settings: Settings) -> None:
    """Updates posted to the path of SVODKA_WEBHOOK_URL go to the dispatcher; its startup and
    shutdown (the services) follow the application's."""
    url, secret = settings.require_webhook()
    # Shutdown hooks run in this order: the services stop (sends in flight finish) before the
    # handler closes the bot's session.
    setup_application(app, dp, bot=bot)
    SecretWebhook(dispatcher=dp, bot=bot, secret_token=secret).register(
        app, path=urlsplit(url).path or "/"
    )


async def set_webhook(bot: Bot, dp: Dispatcher, settings: Settings) -> None:
    """Point Telegram at this deployment's webhook. Never deleted at shutdown: the other
    instances behind the same URL keep serving it (`svodka webhook delete` does that)."""
    url, secret = settings.require_webhook()
    await bot.set_webhook(
        url,
        secret_token=secret,
        allowed_updates=dp.resolve_used_update_types(),
        max_connections=settings.webhook_max_connections,
    )
    logger.info("webhook set: Telegram posts updates to %s", url)
