"""Stories end to end: the labeled pairs' articles ingested together as JSONL with `svodka
ingest`, read back with `svodka latest --json`, and each pair judged by whether its two
articles came back in one story (pair agreement: the share of pairs where that matches the
label), beside `same_story` on the same pairs.

    python bench/story_agreement.py [PAIRS.tsv]   # default ../shared/eval/stories_pairs_dev.tsv

Each article is published on one day (the pairs are same-day news) in the file's order, its
outlet the host of its URL; a fresh SQLite archive in a temporary folder each run.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # the project's bot package, not bench/bot.py
DEV_PAIRS = ROOT.parent / "shared" / "eval" / "stories_pairs_dev.tsv"
DAY = datetime(2025, 4, 10, 6, tzinfo=UTC)


def read_rows(path: Path) -> list[dict[str, str]]:
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file, delimiter="\t"))


def articles_of(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """Each distinct article (by URL) once, as a JSONL record."""
    found: dict[str, dict[str, str]] = {}
    for row in rows:
        for side in ("first", "second"):
            url = row[f"{side}_url"]
            found.setdefault(
                url,
                {
                    "url": url,
                    "title": row[f"{side}_title"],
                    "text": row[f"{side}_text"],
                    "source": urlsplit(url).hostname or "unknown",
                },
            )
    for minute, record in enumerate(found.values()):
        record["published"] = (DAY + timedelta(minutes=5 * minute)).isoformat()
    return list(found.values())


def svodka(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def stories_by_url(lines: str) -> dict[str, int]:
    from bot.ingest.dedup import canonical_url

    found = {}
    for line in lines.splitlines():
        told = json.loads(line)
        for source in told["sources"]:
            if source.get("url"):
                found[canonical_url(source["url"])] = told["story"]
    return found


def main() -> int:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEV_PAIRS
    if not path.exists():
        print(f"{path} is absent: nothing to measure", file=sys.stderr)
        return 0
    from bot.ingest.dedup import canonical_url
    from summarizer.eval.stories import evaluate, read_pairs

    rows = read_rows(path)
    with tempfile.TemporaryDirectory() as folder:
        feed = Path(folder) / "pairs.jsonl"
        records = articles_of(rows)
        feed.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
        env = {
            **os.environ,
            "SVODKA_DATABASE_URL": f"sqlite+aiosqlite:///{folder}/archive.db",
            "BOT_TOKEN": "1:bench",
        }
        svodka("ingest", str(feed), env=env)
        story = stories_by_url(svodka("latest", "--json", "-n", "10000", env=env))
    agree = [
        (row["same"] == "1")
        == (
            story.get(canonical_url(row["first_url"]), -1)
            == story.get(canonical_url(row["second_url"]), -2)
        )
        for row in rows
    ]
    missing = sum(canonical_url(r["url"]) not in story for r in records)
    pairwise = evaluate(read_pairs(path))
    print("| pairs | articles (not read back) | pair agreement | same_story accuracy |")
    print("|---|---|---|---|")
    print(
        f"| {len(rows)} | {len(records)} ({missing}) | {sum(agree) / len(agree):.3f} "
        f"| {pairwise.accuracy:.3f} |"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
