"""The README's promises stay true: every setting is documented, the two commands are first,
the README fits on a screen, and its links lead somewhere."""

import re
from pathlib import Path

import pytest

from bot.config import Settings

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
CONFIGURATION = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
LINK = re.compile(r"\]\(([^)#\s]+)")


def _env_name(field: str) -> str:
    alias = Settings.model_fields[field].validation_alias
    return alias if isinstance(alias, str) else f"SVODKA_{field.upper()}"


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_every_setting_is_in_the_configuration_table(field):
    assert f"| `{_env_name(field)}` |" in CONFIGURATION


@pytest.mark.parametrize("command", ["make demo", "make test"])
def test_two_commands_come_first(command):
    assert command in README[: README.index("## Configuration")]


def test_the_readme_fits_on_a_screen():
    assert len(README.splitlines()) <= 200


@pytest.mark.parametrize(
    "document", ["README.md", *sorted(p.name for p in (ROOT / "docs").glob("*.md"))]
)
def test_relative_links_lead_to_files(document):
    path = ROOT / document if document == "README.md" else ROOT / "docs" / document
    for target in LINK.findall(path.read_text(encoding="utf-8")):
        if "://" not in target:
            assert (path.parent / target).exists(), f"{document}: {target}"
