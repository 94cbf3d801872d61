"""The README's promises stay true: every setting is documented, the two commands are first."""

from pathlib import Path

import pytest

from bot.config import Settings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _env_name(field: str) -> str:
    alias = Settings.model_fields[field].validation_alias
    return alias if isinstance(alias, str) else f"SVODKA_{field.upper()}"


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_every_setting_is_in_the_configuration_table(field):
    assert f"| `{_env_name(field)}` |" in README


@pytest.mark.parametrize("command", ["make demo", "make test"])
def test_two_commands_come_first(command):
    assert command in README[: README.index("## Configuration")]
