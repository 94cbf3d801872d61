"""The HTTP listener of `svodka run` (SVODKA_LISTEN): /healthz, /readyz and /metrics.

The application is built in one place (`build_app`) and served in one place (`serving`), so
other endpoints (the webhook of `svodka run --webhook`) are added to the same app before it
is served:

    app = build_app(db)
    app.router.add_post("/webhook", handler)
    async with serving(app, settings.listen_address()):
        ...
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
from aiohttp import web
from sqlalchemy import text

from bot import metrics
from bot.config import ConfigError, Settings
from bot.logs import one_line
from bot.metrics import LOOPS, Loops
from bot.storage.database import Database

logger = logging.getLogger(__name__)

DB_KEY = web.AppKey("db", Database)
LOOPS_KEY = web.AppKey("loops", Loops)
BUSY_KEY = web.AppKey("busy", set)  # connections whose request is being handled
CHECK_TIMEOUT = 5.0  # seconds: a database slower than this to answer counts as down
# The listener faces whoever can reach it (the webhook faces the internet). A connection that
# sends no complete request headers within IDLE_TIMEOUT, first or between requests, is closed
# (aiohttp arms its keep-alive timer when a connection opens); a request whose body and answer
# take over REQUEST_TIMEOUT is cut off with 408; past MAX_CONNECTIONS at once, the oldest idle
# connection makes way for the newcomer, so idle ones cannot take every file descriptor.
IDLE_TIMEOUT = 15.0
REQUEST_TIMEOUT = 30.0
MAX_CONNECTIONS = 256


def build_app(db: Database, *, loops: Loops = LOOPS) -> web.Application:
    app = web.Application(middlewares=[_bounded])
    app[DB_KEY] = db
    app[BUSY_KEY] = set()
    app[LOOPS_KEY] = loops
    app.router.add_get("/healthz", _healthz)
    app.router.add_get("/readyz", _readyz)
    app.router.add_get("/metrics", _metrics)
    return app


@asynccontextmanager
async def serving(app: web.Application, address: tuple[str, int] | None) -> AsyncIterator[str]:
    """Serve `app` on `address` (host, port; port 0 picks a free one) until the block ends;
    yields the URL it listens on ("" when `address` is None: the listener is off)."""
    if address is None:
        yield ""
        return
    runner = web.AppRunner(
        app,
        access_log=None,
        handler_cancellation=True,
        shutdown_timeout=1,
        keepalive_timeout=IDLE_TIMEOUT,
    )
    await runner.setup()
    assert runner.server is not None  # made by setup()
    _cap_connections(runner.server, app.get(BUSY_KEY, set()), MAX_CONNECTIONS)
    try:
        host, port = address
        try:
            await web.TCPSite(runner, host, port).start()
        except OSError as error:
            raise ConfigError(
                f"SVODKA_LISTEN: cannot listen on {host}:{port} ({error.strerror or error});"
                " set another host:port, or off"
            ) from None
        bound_host, bound_port = runner.addresses[0][:2]
        url = f"http://{_url_host(bound_host)}:{bound_port}"
        logger.info("listening on %s (/healthz, /readyz, /metrics)", url)
        yield url
    finally:
        await runner.cleanup()


@web.middleware
async def _bounded(request: web.Request, handler) -> web.StreamResponse:
    busy = request.app[BUSY_KEY]
    busy.add(request.protocol)
    try:
        async with asyncio.timeout(REQUEST_TIMEOUT) as deadline:
            return await handler(request)
    except TimeoutError:
        if not deadline.expired():
            raise
        return web.Response(status=408, text="Request Timeout")
    finally:
        busy.discard(request.protocol)


def _cap_connections(server: web.Server, busy: set, limit: int) -> None:
    """At most `limit` open connections: each one past it closes the oldest idle connection
    (or itself, when all are busy). aiohttp has no such option; its Server is told of every
    new connection through `connection_made`, wrapped here."""
    admit = server.connection_made

    def connection_made(handler, transport) -> None:
        admit(handler, transport)
        live = [conn for conn in server.connections if conn.transport is not None]
        if len(live) <= limit:
            return
        idle = (conn for conn in live if conn is not handler and conn not in busy)
        next(idle, handler).force_close()

    server.connection_made = connection_made  # type: ignore[method-assign]


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


async def _healthz(request: web.Request) -> web.Response:
    """Alive while every loop of the process still runs (a late one is /readyz's business)."""
    stopped = request.app[LOOPS_KEY].stopped()
    if stopped:
        return web.json_response({"alive": False, "stopped": stopped}, status=503)
    return web.json_response({"alive": True})


async def _readyz(request: web.Request) -> web.Response:
    failed = await readiness(request.app[DB_KEY], request.app[LOOPS_KEY])
    if failed:
        return web.json_response({"ready": False, "failed": failed}, status=503)
    return web.json_response({"ready": True})


async def _metrics(request: web.Request) -> web.Response:
    """The Prometheus text format; figures kept in the database are read at each scrape."""
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    try:
        async with asyncio.timeout(CHECK_TIMEOUT):
            await metrics.read_database(request.app[DB_KEY])
    except Exception:  # the counters of this process are still worth a scrape
        logger.warning("metrics: the database did not answer", exc_info=True)
    body = generate_latest()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


async def readiness(db: Database, loops: Loops | None = None) -> dict[str, str]:
    """The checks that failed, by name (database, migrations, loops); empty when ready."""
    failed: dict[str, str] = {}
    try:
        async with asyncio.timeout(CHECK_TIMEOUT):
            current = await _schema_revision(db)
    except Exception as error:  # any failure to answer is the finding, whatever its kind
        # The detail names hosts, ports, databases and roles: for the log, not for whoever
        # can reach /readyz.
        logger.warning("readiness: the database did not answer: %s", one_line(error))
        failed["database"] = f"no answer ({type(error).__name__})"
    else:
        if current != head_revision():
            failed["migrations"] = f"schema at {current}, code expects {head_revision()}"
    if loops is not None and (problems := loops.problems()):
        failed["loops"] = "; ".join(problems)
    return failed


async def _schema_revision(db: Database) -> str | None:
    async with db.read() as conn:
        try:
            return await conn.scalar(text("SELECT version_num FROM alembic_version"))
        except Exception as error:
            if "alembic_version" in str(error):  # a database never migrated
                return None
            raise


@functools.cache
def head_revision() -> str:
    from alembic.script import ScriptDirectory

    from bot.storage.migrate import alembic_config

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None  # the package ships its migrations
    return head


async def check_health(settings: Settings, *, url: str | None = None) -> tuple[bool, str]:
    """`svodka health`: ask the running process's /readyz when the listener is on (it alone
    knows its loops), at `url` when given (one of several processes on a host); with
    SVODKA_LISTEN=off, check the database and migrations here."""
    address = settings.listen_address()
    if url is not None:
        url = url.rstrip("/").removesuffix("/readyz") + "/readyz"
    elif address is None:
        db = Database(settings.database_url)
        try:
            failed = await readiness(db)
        finally:
            await db.close()
        return _verdict(failed, "database and migrations (SVODKA_LISTEN=off)")
    else:
        host, port = address
        host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)  # "every address": here
        url = f"http://{_url_host(host)}:{port}/readyz"
    timeout = aiohttp.ClientTimeout(total=CHECK_TIMEOUT + 2)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session, session.get(url) as answer:
            body = await answer.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, ValueError) as error:
        return False, f"not ready: no answer from {url} ({one_line(error)}); is svodka run up?"
    if not isinstance(body, dict) or not isinstance(body.get("failed", {}), dict):
        return False, f"not ready: {url} answered {answer.status}, not as svodka does"
    if body.get("ready") is True:
        return _verdict({}, url)
    return _verdict(body.get("failed") or {"answer": f"HTTP {answer.status}"}, url)


def _verdict(failed: dict[str, str], what: str) -> tuple[bool, str]:
    if failed:
        return False, "not ready: " + "; ".join(f"{name}: {why}" for name, why in failed.items())
    return True, f"ready: {what}"
