"""The distribution an operator installs: a wheel that builds from the checkout (as `pip
install .` and `make install` do) and carries the application, its data and its migrations,
but no test code."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from bot.version import schema_revision

ROOT = Path(__file__).resolve().parents[1]
LOCAL = (".venv", ".git", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", "*.db*")


def test_the_wheel_holds_the_application_and_no_tests(tmp_path):
    # From a copy, as from a clean clone: no build/ left over, nothing left in the checkout.
    source = tmp_path / "svodka"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*LOCAL))
    # Without isolation: the backend of the dev extras, nothing downloaded.
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path)],
        cwd=source, check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    [wheel] = tmp_path.glob("svodka-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names if not name.startswith("svodka-")}
    assert tops == {"bot", "summarizer", "localapi"}  # localapi: the demo and fake-telegram
    assert not [name for name in names if "/tests/" in name or name.startswith("tests/")]
    assert not [name for name in names if Path(name).name.startswith(("test_", "conftest"))]
    versions = "bot/storage/migrations/versions/"
    assert any(name.startswith(f"{versions}{schema_revision()}_") for name in names)
    assert "bot/storage/migrations/env.py" in names
    assert any(name.startswith("summarizer/data/") for name in names)
    assert any(name.endswith("entry_points.txt") for name in names)
