"""The table every bench prints: measure, value with its unit, target, and the verdict."""

from __future__ import annotations

Row = tuple[str, float, str, str, bool | None]  # name, value, unit, target, met (None: no target)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def print_targets(rows: list[Row]) -> None:
    unit_width = max(len(unit) for _, _, unit, _, _ in rows)
    print(f"| {'measure':<40} | {'value':>10} {'':<{unit_width}} | {'target':<6} |        |")
    print(f"|{'-' * 42}|{'-' * (13 + unit_width)}|{'-' * 8}|{'-' * 8}|")
    for name, value, unit, target, met in rows:
        verdict = "" if met is None else ("ok" if met else "MISSED")
        print(f"| {name:<40} | {value:>10.2f} {unit:<{unit_width}} | {target:<6} | {verdict:<6} |")
