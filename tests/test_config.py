import pytest

from bot.config import ConfigError, Settings, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ("BOT_TOKEN", "SVODKA_ADMINS", "SVODKA_TIMEZONE", "SVODKA_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir("/")  # no stray .env file


def test_defaults():
    settings = load_settings()
    assert settings.database_url.startswith("sqlite+aiosqlite:///")
    assert settings.telegram_api == "https://api.telegram.org"
    assert settings.admins == frozenset()


@pytest.mark.parametrize(
    ("raw", "admins"),
    [("1", {1}), ("1, 2,3", {1, 2, 3}), ("", set()), (" 7 ,", {7})],
)
def test_admins_are_comma_separated_ids(monkeypatch, raw, admins):
    monkeypatch.setenv("SVODKA_ADMINS", raw)
    assert load_settings().admins == admins


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SVODKA_ADMINS", "alice", "SVODKA_ADMINS"),
        ("SVODKA_TIMEZONE", "Mars/Olympus", "SVODKA_TIMEZONE"),
    ],
)
def test_malformed_setting_is_one_clear_line(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as error:
        load_settings()
    assert message in str(error.value)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    ("token", "message"),
    [(None, "BOT_TOKEN is not set"), ("", "BOT_TOKEN is not set"), ("nope", "malformed")],
)
def test_token_required_and_checked(token, message):
    with pytest.raises(ConfigError, match=message):
        Settings(bot_token=token).require_token()


def test_token_is_secret(monkeypatch):
    monkeypatch.setenv("BOT_TOKEN", "123456:SECRET-value")
    settings = load_settings()
    assert settings.require_token() == "123456:SECRET-value"
    assert "SECRET" not in repr(settings)
    assert "SECRET" not in str(settings.model_dump())


@pytest.mark.parametrize(
    ("name", "nearest"),
    [
        ("SVODKA_DATABSE_URL", "did you mean SVODKA_DATABASE_URL?"),
        ("svodka_log_levl", "did you mean SVODKA_LOG_LEVEL?"),
        ("SVODKA_WHATEVER", "svodka config check lists them"),
    ],
)
@pytest.mark.parametrize("where", ["environment", ".env"])
def test_an_unknown_setting_stops_with_the_nearest_known_name(
    monkeypatch, tmp_path, name, nearest, where
):
    if where == ".env":
        monkeypatch.chdir(tmp_path)
        (tmp_path / ".env").write_text(f"{name}=sqlite+aiosqlite:///other.db\n")
    else:
        monkeypatch.setenv(name, "sqlite+aiosqlite:///other.db")
    with pytest.raises(ConfigError) as error:
        load_settings()
    assert str(error.value) == f"{name}: unknown setting; {nearest}"


def test_known_names_and_the_tests_own_variable_pass(monkeypatch):
    monkeypatch.setenv("SVODKA_TEST_POSTGRES_URL", "postgresql+asyncpg://x@127.0.0.1/test")
    monkeypatch.setenv("SVODKA_DB_POOL_SIZE", "3")
    monkeypatch.setenv("SVODKA_LOG_LEVEL", "debug")
    settings = load_settings()
    assert (settings.db_pool_size, settings.log_level) == (3, "DEBUG")


@pytest.mark.parametrize(
    ("role", "url", "refused"),
    [
        ("worker", "sqlite+aiosqlite:///svodka.db", True),
        ("bot", "sqlite+aiosqlite:///svodka.db", True),
        ("all", "sqlite+aiosqlite:///svodka.db", False),
        ("worker", "postgresql+asyncpg://postgres@127.0.0.1/test", False),
    ],
)
def test_several_processes_need_postgresql(role, url, refused):
    settings = Settings(database_url=url)
    if refused:
        with pytest.raises(ConfigError, match=f"--role {role} needs PostgreSQL"):
            settings.require_shared_database(role)
    else:
        settings.require_shared_database(role)
