"""The /stats chart's series (bot/charts.py): hourly counts in UTC into the admin's days and
hours."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from bot.charts import COLORS, stats_series

NOW = datetime(2026, 11, 30, 21, 30, tzinfo=UTC)  # 00:30 on December 1 in Moscow


def test_hours_fall_into_the_admins_days_and_the_last_48_hours():
    topics = [
        ("2026-11-30 20", "sport", 2),  # 23:00 Moscow, November 30
        ("2026-11-30 21", "sport", 3),  # 00:00 Moscow, December 1
        ("2026-11-17 20", "economy", 5),  # 17.11 23:00 Moscow: a day before the 14
        ("2026-11-16 20", "economy", 7),  # older: left out
    ]
    sends = [
        ("2026-11-30 21", "sent", 10),
        ("2026-11-30 21", "failed", 1),
        ("2026-11-28 22", "dropped", 4),  # the first of the 48 hours
        ("2026-11-28 21", "sent", 99),  # older: left out
    ]
    series = stats_series(
        topics, sends, now=NOW, tz=ZoneInfo("Europe/Moscow"), topic_name=str.upper
    )
    assert series.days[0] == date(2026, 11, 18) and series.days[-1] == date(2026, 12, 1)
    assert len(series.days) == 14
    assert series.per_topic == {"SPORT": [0] * 12 + [2, 3]}
    assert len(series.hours) == 48
    assert series.hours[-1].hour == 0 and series.hours[0].hour == 1  # Moscow hours
    assert series.per_outcome["sent"][-1] == 10 and sum(series.per_outcome["sent"]) == 10
    assert series.per_outcome["failed"][-1] == 1
    assert series.per_outcome["dropped"] == [4] + [0] * 47


def test_at_most_eleven_topics_largest_first():
    rows = [("2026-11-30 12", f"topic{number}", number) for number in range(1, 14)]
    series = stats_series(rows, [], now=NOW, tz=UTC, topic_name=str)
    assert list(series.per_topic) == [f"topic{number}" for number in range(13, 2, -1)]
    assert len(series.per_topic) == len(COLORS) == 11


async def test_drawn_in_a_worker_process_as_in_svodka_run():
    from bot.charts import render_stats_chart
    from bot.ingest.offload import ProcessOffload

    series = stats_series([("2026-11-30 12", "sport", 3)], [("2026-11-30 12", "sent", 5)],
                          now=NOW, tz=UTC, topic_name=str)  # fmt: skip
    pool = ProcessOffload(1)
    try:
        png = await render_stats_chart(series, pool)
    finally:
        await pool.shutdown()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
