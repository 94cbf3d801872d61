"""The picture /stats sends: articles per day by topic over two weeks, and messages delivered
per hour by outcome over two days. Rendered with matplotlib's Agg backend in a worker process
or a thread (`render_stats_chart`), never on the event loop that answers people."""

from __future__ import annotations

import asyncio
import io
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.ingest.offload import Offload

# Eleven topics at most (summarizer/data/topics.csv), one color each: tab10 plus one.
COLORS = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
    "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#393b79",
)  # fmt: skip
OUTCOME_COLORS = {"sent": "#2ca02c", "failed": "#d62728", "dropped": "#7f7f7f"}
OUTCOME_NAMES = {"sent": "доставлено", "failed": "не удалось", "dropped": "чат недоступен"}
DAYS = 14
HOURS = 48
SIZE_INCHES = (9.0, 9.0)
DPI = 100  # 900 x 900 pixels: readable on a phone, well under Telegram's photo limits
LEGEND = {"fontsize": "small", "loc": "upper left", "bbox_to_anchor": (1.01, 1.0)}  # outside

# pyplot keeps global state; one chart at a time.
_drawing = threading.Lock()


@dataclass(frozen=True, slots=True)
class StatsSeries:
    days: list[date]  # 14 days, oldest first
    per_topic: dict[str, list[int]]  # topic name (Russian) -> articles per day
    hours: list[datetime]  # 48 hours, oldest first, in the admin's timezone
    per_outcome: dict[str, list[int]]  # sent | failed | dropped -> messages per hour


async def render_stats_chart(series: StatsSeries, offload: Offload | None = None) -> bytes:
    """The PNG of `series`, drawn in a worker process when `offload` has them (svodka run),
    else in a thread. Drawing holds the GIL for long stretches: in a thread it delayed the
    event loop by up to 140 ms (bench/operating.py), in a process by a few."""
    if offload is not None and offload.remote:
        return await offload.run(draw_stats_chart, series)
    return await asyncio.to_thread(draw_stats_chart, series)


def draw_stats_chart(series: StatsSeries) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    with _drawing:
        figure = Figure(figsize=SIZE_INCHES, dpi=DPI, layout="constrained")
        articles, deliveries = figure.subplots(2, 1)
        _draw_articles(articles, series)
        _draw_deliveries(deliveries, series)
        out = io.BytesIO()
        figure.savefig(out, format="png")
    return out.getvalue()


def _draw_articles(axes, series: StatsSeries) -> None:
    positions = range(len(series.days))
    bottom = [0] * len(series.days)
    for (name, counts), color in zip(series.per_topic.items(), COLORS, strict=False):
        axes.bar(positions, counts, bottom=bottom, color=color, label=name)
        bottom = [below + count for below, count in zip(bottom, counts, strict=True)]
    axes.set_title("Статьи за 14 дней по темам")
    axes.set_xlabel("день")
    axes.set_ylabel("статей")
    axes.set_xticks(list(positions), [day.strftime("%d.%m") for day in series.days])
    axes.tick_params(axis="x", labelrotation=45)
    if series.per_topic:
        axes.legend(**LEGEND)


def _draw_deliveries(axes, series: StatsSeries) -> None:
    positions = range(len(series.hours))
    bottom = [0] * len(series.hours)
    for outcome, counts in series.per_outcome.items():
        axes.bar(positions, counts, bottom=bottom, width=0.9,
                 color=OUTCOME_COLORS[outcome], label=OUTCOME_NAMES[outcome])  # fmt: skip
        bottom = [below + count for below, count in zip(bottom, counts, strict=True)]
    axes.set_title("Сообщения за 48 часов по итогу")
    axes.set_xlabel("час")
    axes.set_ylabel("сообщений")
    marks = list(positions)[::6]
    axes.set_xticks(marks, [series.hours[mark].strftime("%d.%m %H:00") for mark in marks])
    axes.tick_params(axis="x", labelrotation=45)
    axes.legend(**LEGEND)


def hours_back(now: datetime, count: int) -> list[datetime]:
    """The last `count` whole hours (UTC), oldest first, the current one included."""
    top = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return [top - timedelta(hours=back) for back in range(count - 1, -1, -1)]


def stats_series(
    topic_rows: Iterable[tuple[str, str, int]],
    delivery_rows: Iterable[tuple[str, str, int]],
    *,
    now: datetime,
    tz: tzinfo,
    topic_name: Callable[[str], str],
) -> StatsSeries:
    """Chart series from hourly counts ('YYYY-MM-DD HH' in UTC, key, count): articles by
    topic summed into the admin's local days, messages by outcome per hour."""
    today = now.astimezone(tz).date()
    days = [today - timedelta(days=back) for back in range(DAYS - 1, -1, -1)]
    day_index = {day: index for index, day in enumerate(days)}
    per_topic: dict[str, list[int]] = {}
    for hour, topic, count in topic_rows:
        index = day_index.get(_utc_hour(hour).astimezone(tz).date())
        if index is not None:
            per_topic.setdefault(topic, [0] * len(days))[index] += count
    by_total = sorted(per_topic.items(), key=lambda item: -sum(item[1]))[: len(COLORS)]
    hours = hours_back(now, HOURS)
    hour_index = {hour: index for index, hour in enumerate(hours)}
    per_outcome = {outcome: [0] * len(hours) for outcome in OUTCOME_COLORS}
    for hour, outcome, count in delivery_rows:
        index = hour_index.get(_utc_hour(hour))
        if index is not None and outcome in per_outcome:
            per_outcome[outcome][index] += count
    return StatsSeries(
        days=days,
        per_topic={topic_name(topic): counts for topic, counts in by_total},
        hours=[hour.astimezone(tz) for hour in hours],
        per_outcome=per_outcome,
    )


def _utc_hour(key: str) -> datetime:
    return datetime.strptime(key, "%Y-%m-%d %H").replace(tzinfo=UTC)
