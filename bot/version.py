"""What runs: the package version and the schema revision its migrations lead to.

Read without importing aiogram, SQLAlchemy or Alembic (`svodka --version` answers at once):
the head revision is the one no migration script names as its `down_revision`.
"""

from __future__ import annotations

import functools
import re
from importlib import metadata
from pathlib import Path

VERSIONS = Path(__file__).parent / "storage" / "migrations" / "versions"
ASSIGNMENT = re.compile(
    r"""^(revision|down_revision)\s*(?::[^=\n]*)?=\s*["']([^"'\n]*)["']""", re.M
)


def package_version() -> str:
    try:
        return metadata.version("svodka")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "0+unknown"


@functools.cache
def schema_revision(versions: Path = VERSIONS) -> str:
    """The head revision of the migration scripts in `versions`."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in versions.glob("*.py"):
        for name, value in ASSIGNMENT.findall(script.read_text(encoding="utf-8")):
            (revisions if name == "revision" else parents).add(value)
    heads = sorted(revisions - parents)
    return heads[0] if len(heads) == 1 else "+".join(heads) or "none"


def version_line() -> str:
    return f"svodka {package_version()} (schema {schema_revision()})"
