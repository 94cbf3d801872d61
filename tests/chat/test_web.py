"""The HTTP listener (bot/web.py): /healthz, /readyz, `svodka health`, SVODKA_LISTEN."""

from __future__ import annotations

import re
import socket
from contextlib import closing

import aiohttp
import pytest
from prometheus_client import REGISTRY

from bot.cli import main
from bot.config import ConfigError, Settings
from bot.metrics import Loops
from bot.storage.database import Database
from bot.storage.migrate import upgrade
from bot.web import build_app, check_health, serving

ANY_PORT = ("127.0.0.1", 0)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def migrated(tmp_path):
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'web.db'}")
    await upgrade(db)
    yield db
    await db.close()


async def get(url: str) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as session, session.get(url) as answer:
        return answer.status, await answer.json()


async def test_ready_when_database_migrations_and_loops_are_fine(migrated):
    loops = Loops(clock=FakeClock())
    with loops.watch("delivery.send", 1.0) as ran:
        ran()
        async with serving(build_app(migrated, loops=loops), ANY_PORT) as url:
            assert await get(f"{url}/healthz") == (200, {"alive": True})
            assert await get(f"{url}/readyz") == (200, {"ready": True})


async def test_a_late_loop_makes_it_unready_and_a_stopped_one_not_alive(migrated):
    clock = FakeClock()
    loops = Loops(clock=clock)
    async with serving(build_app(migrated, loops=loops), ANY_PORT) as url:
        with loops.watch("delivery.send", 1.0):
            clock.now += 100
            status, body = await get(f"{url}/readyz")
            assert status == 503
            assert body == {
                "ready": False,
                "failed": {"loops": "delivery.send last ran 100 s ago (every 1 s)"},
            }
            assert (await get(f"{url}/healthz"))[0] == 200  # late is not dead
        assert await get(f"{url}/readyz") == (200, {"ready": True})  # ended: forgotten

        with pytest.raises(RuntimeError), loops.watch("feeds", 60.0):
            raise RuntimeError("the loop failed")
        assert await get(f"{url}/healthz") == (503, {"alive": False, "stopped": ["feeds"]})
        assert (await get(f"{url}/readyz"))[1]["failed"] == {"loops": "feeds stopped"}


async def readyz_of(url: str) -> tuple[int, dict]:
    """What /readyz answers for a database at `url`, with no loops."""
    db = Database(url)
    try:
        async with serving(build_app(db, loops=Loops()), ANY_PORT) as served:
            return await get(f"{served}/readyz")
    finally:
        await db.close()


async def test_unmigrated_database_is_not_ready(tmp_path):
    status, body = await readyz_of(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    assert status == 503
    assert list(body["failed"]) == ["migrations"]
    assert body["failed"]["migrations"].startswith("schema at None, code expects ")


async def test_unreachable_database_is_not_ready_and_its_address_stays_in_the_log(caplog):
    # Nothing listens on port 1.
    status, body = await readyz_of("postgresql+asyncpg://nobody@127.0.0.1:55001/secretdb")
    assert status == 503
    assert list(body["failed"]) == ["database"]
    assert not {"127.0.0.1", "55001", "secretdb", "nobody"} & set(re.split(r"\W+", str(body)))
    assert "55001" in caplog.text


def busy_port() -> socket.socket:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    return listener


async def test_a_busy_port_is_one_clear_error(migrated):
    with closing(busy_port()) as listener:
        port = listener.getsockname()[1]
        with pytest.raises(ConfigError, match=f"SVODKA_LISTEN: cannot listen on 127.0.0.1:{port}"):
            async with serving(build_app(migrated), ("127.0.0.1", port)):
                pass


async def test_listener_off_serves_nothing(migrated):
    async with serving(build_app(migrated), None) as url:
        assert url == ""


@pytest.mark.parametrize(
    ("value", "address"),
    [("127.0.0.1:8080", ("127.0.0.1", 8080)), ("[::1]:9000", ("::1", 9000)), ("off", None),
     ("OFF", None), ("0.0.0.0:0", ("0.0.0.0", 0))],
)  # fmt: skip
def test_listen_setting(value, address):
    assert Settings(listen=value).listen_address() == address


@pytest.mark.parametrize("value", ["8080", "localhost", "host:port", ":8080", "h:70000"])
def test_malformed_listen_is_refused(value):
    with pytest.raises(ValueError, match="expected host:port"):
        Settings(listen=value)


async def test_health_asks_the_running_process(migrated, tmp_path):
    clock = FakeClock()
    loops = Loops(clock=clock)
    with loops.watch("polling", 10):
        async with serving(build_app(migrated, loops=loops), ANY_PORT) as url:
            host, port = url.removeprefix("http://").split(":")
            settings = Settings(listen=f"{host}:{port}", database_url=str(migrated.url))
            assert await check_health(settings) == (True, f"ready: {url}/readyz")
            clock.now += 3600
            ready, line = await check_health(settings)
    assert not ready
    assert line == "not ready: loops: polling last ran 3600 s ago (every 10 s)"
    ready, line = await check_health(settings)  # nothing listens there any more
    assert not ready and line.startswith(f"not ready: no answer from {url}/readyz")


async def test_health_asks_the_process_at_the_given_url(migrated):
    """One of several processes on a host: SVODKA_LISTEN names another, --url this one."""
    async with serving(build_app(migrated, loops=Loops()), ANY_PORT) as url:
        settings = Settings(listen="127.0.0.1:1", database_url=str(migrated.url))
        for given in (url, url + "/", url + "/readyz"):
            assert await check_health(settings, url=given) == (True, f"ready: {url}/readyz")


def test_health_command_with_listener_off(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SVODKA_LISTEN", "off")
    monkeypatch.setenv("SVODKA_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'never.db'}")
    assert main(["health"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("not ready: migrations: schema at None") and out.count("\n") == 1


async def test_metrics_in_the_prometheus_format(migrated):
    from prometheus_client.parser import text_string_to_metric_families

    loops = Loops()
    with loops.watch("delivery.send", 1.0):
        async with (
            serving(build_app(migrated, loops=loops), ANY_PORT) as url,
            aiohttp.ClientSession() as session,
            session.get(f"{url}/metrics") as answer,
        ):
            assert answer.status == 200
            assert answer.content_type == "text/plain"
            text = await answer.text()
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    assert samples[("svodka_outbox_rows", (("role", "all"), ("state", "pending")))] == 0
    assert ("svodka_loop_last_run_timestamp_seconds",
            (("loop", "delivery.send"), ("role", "all"))) in samples  # fmt: skip


async def test_handled_updates_are_counted_and_timed_by_type(harness):
    labels = {"role": "all", "type": "message"}

    def counted() -> tuple[float, float]:
        return (
            REGISTRY.get_sample_value("svodka_updates_total", labels) or 0.0,
            REGISTRY.get_sample_value("svodka_update_seconds_count", labels) or 0.0,
        )

    before = counted()
    await harness.say("/help")
    after = counted()
    assert (after[0] - before[0], after[1] - before[1]) == (1, 1)
