"""Summarizer benchmark: quality and speed of `default` against the `lead` and `lexrank`
baselines, in one run.

1. ROUGE and median ms per article on ../shared/eval/gazeta_dev.jsonl (skipped if absent).
2. A 5 MB article: seconds and peak RSS per method, each in a fresh subprocess.
3. `import summarizer` plus the first call: seconds and peak RSS in a fresh subprocess.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT.parent / "shared" / "eval" / "gazeta_dev.jsonl"
SEED = ROOT / "seeds" / "000_b548b0995df282f2.txt"
METHODS = ("default", "lexrank", "lead")
BIG_TEXT_BYTES = 5_000_000

# Runs in a fresh interpreter: time from before `import summarizer` (or, for the 5 MB case,
# from the call after a warm-up call) and the process's peak RSS, as JSON on stdout.
PROBE = """
import json, re, sys, time
started = time.perf_counter()
import summarizer
text = open(sys.argv[1], encoding="utf-8").read()
if sys.argv[3] == "call":
    summarizer.summarize("Прогрев.", method=sys.argv[2])
    started = time.perf_counter()
summary = summarizer.summarize(text, method=sys.argv[2])
seconds = time.perf_counter() - started
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the (big) parent process.
status = open("/proc/self/status").read()
rss_mb = int(re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1)) / 1024
print(json.dumps({"seconds": seconds, "rss_mb": rss_mb, "sentences": len(summary.sentences)}))
"""


def probe(path: Path, method: str, timed: str) -> dict:
    command = [sys.executable, "-c", PROBE, str(path), method, timed]
    return json.loads(subprocess.run(command, capture_output=True, check=True, text=True).stdout)


def sample_texts() -> list[str]:
    if DEV.exists():
        with DEV.open(encoding="utf-8") as file:
            return [json.loads(line)["text"] for line in file]
    if SEED.exists():
        return [SEED.read_text(encoding="utf-8")]
    sys.exit(f"no sample text: neither {DEV} nor {SEED} exists")


def quality_table() -> None:
    from summarizer.eval.summaries import evaluate, format_table

    if not DEV.exists():
        print(f"ROUGE: skipped, {DEV} is absent\n")
        return
    with DEV.open(encoding="utf-8") as file:
        pairs = [(row["text"], row["summary"]) for row in map(json.loads, file)]
    print(f"ROUGE on {DEV.name} ({len(pairs)} articles, 3 sentences); default should lead")
    print(format_table(evaluate(pairs, METHODS)), end="\n\n")


def resource_table(big_text: Path, sample: Path) -> None:
    print("| method | 5 MB article, s | its peak RSS, MB | import + first call, s | its RSS, MB |")
    print("|---|---:|---:|---:|---:|")
    for method in METHODS:
        big = probe(big_text, method, "call")
        cold = probe(sample, method, "import")
        print(
            f"| {method} | {big['seconds']:.2f} | {big['rss_mb']:.0f} "
            f"| {cold['seconds']:.2f} | {cold['rss_mb']:.0f} |"
        )
    print("targets for default: 5 MB < 5 s; import + first call < 1.5 s and < 150 MB")


def main() -> None:
    texts = sample_texts()
    quality_table()
    with tempfile.TemporaryDirectory() as folder:
        big_text, sample = Path(folder) / "big.txt", Path(folder) / "sample.txt"
        paragraphs = "\n\n".join(texts)
        repeats = BIG_TEXT_BYTES // len(paragraphs.encode()) + 1
        encoded = "\n\n".join([paragraphs] * repeats).encode()[:BIG_TEXT_BYTES]
        big_text.write_text(encoded.decode(errors="ignore"), encoding="utf-8")
        sample.write_text(texts[0], encoding="utf-8")
        resource_table(big_text, sample)


if __name__ == "__main__":
    main()
