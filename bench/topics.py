"""Topic classification benchmark (`make bench`): the shipped model against the plain keyword
lexicon, in one run, on the same articles.

    python bench/topics.py

Articles: the labeled dev files in ../shared/eval (title + text) when present, else seeds/.
"Cold" is the first pass (pymorphy3 parses every new word), "warm" a second pass over the same
articles with the lemma cache filled, as in a long-running bot. Import and model load are timed
in a fresh interpreter.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from summarizer import text, topics  # noqa: E402
from summarizer.eval.topics import read_examples  # noqa: E402

EVAL = ROOT.parent / "shared" / "eval"
DEV_FILES = ("topics_ria_dev.csv", "topics_rss_items_dev.csv")
TARGET_LOAD_S = 0.5
TARGET_MS = 1.0  # per article, warm
LOAD_SCRIPT = """
import time
started = time.perf_counter()
from summarizer import topics
imported = time.perf_counter()
topics.default_model()
print(imported - started, time.perf_counter() - imported)
"""


def articles() -> tuple[list[tuple[str, str]], str]:
    paths = [EVAL / name for name in DEV_FILES if (EVAL / name).exists()]
    if paths:
        examples = [example for path in paths for example in read_examples(path)]
        return [(example.title, example.text) for example in examples], "dev files"
    texts = [path.read_text("utf-8") for path in sorted((ROOT / "seeds").glob("*.txt"))]
    return [("", text) for text in texts], "seeds/"


def clear_lemma_cache() -> None:
    """Empty the per-word caches of summarizer.text (not the loaded pymorphy3 dictionaries)."""
    for value in vars(text).values():
        if hasattr(value, "cache_clear") and value is not text._analyzer:
            value.cache_clear()


def per_article_ms(
    classify: Callable[..., list[str]], items: list[tuple[str, str]]
) -> tuple[float, float]:
    """Mean and median milliseconds per article over one pass."""
    times = []
    for title, body in items:
        started = time.perf_counter()
        classify(body, title=title)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.mean(times), statistics.median(times)


def main() -> int:
    import_s, load_s = map(
        float,
        subprocess.run(
            [sys.executable, "-c", LOAD_SCRIPT],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split(),
    )
    items, source = articles()
    model, lexicon = topics.default_model(), topics.TopicModel.lexicon_only()
    model_file = ROOT / "summarizer" / "data" / topics.MODEL_FILE

    rows = []
    for name, classifier in (("lexicon (baseline)", lexicon), ("model", model)):
        clear_lemma_cache()
        cold = per_article_ms(classifier.classify, items)
        warm = per_article_ms(classifier.classify, items)
        rows.append((name, *cold, *warm))

    print(f"{len(items)} articles from {source}")
    print(
        f"model file {model_file.stat().st_size / 1024:.0f} KiB, {len(model.vocabulary)} lemmas; "
        f"import summarizer.topics {import_s * 1000:.0f} ms, model load {load_s * 1000:.0f} ms"
    )
    print(f"{'classifier':<20}{'cold mean':>11}{'cold med':>10}{'warm mean':>11}{'warm med':>10}")
    for name, *values in rows:
        cells = zip(values, (11, 10, 11, 10), strict=True)
        print(f"{name:<20}" + "".join(f"{value:>{width}.2f}" for value, width in cells))
    warm_ms = rows[1][3]
    ok = import_s + load_s < TARGET_LOAD_S and warm_ms < TARGET_MS
    print(
        f"target: import + load < {TARGET_LOAD_S} s, warm < {TARGET_MS} ms per article: "
        + ("met" if ok else "NOT met")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
