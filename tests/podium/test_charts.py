"""Server-drawn charts: the numbers a person sees are the numbers in the data, for sight and for speech."""

from __future__ import annotations

import re

from podium.charts import Bar, Curve, bar_chart, column_chart, cumulative_chart


def _values(svg: str) -> list[tuple[str, str]]:
    return re.findall(r'class="chart-bar"[^>]*data-label="([^"]*)" data-value="([^"]*)"', svg)


def test_bar_chart_carries_every_value_and_limit() -> None:
    svg = str(bar_chart("rooms", "Inside now", [Bar("Room A", 12, "12 / 40", 40), Bar("Hall <B>", 3, "3")]))
    assert _values(svg) == [("Room A", "12"), ("Hall &lt;B&gt;", "3")]
    assert 'data-limit="40"' in svg
    assert 'role="img"' in svg
    assert "<desc" in svg and "Room A: 12 / 40; Hall &lt;B&gt;: 3" in svg
    widths = re.findall(r'class="chart-bar"[^>]*width="([\d.]+)"', svg)
    assert float(widths[0]) > float(widths[1]) > 0


def test_column_chart_scales_to_the_peak_and_names_itself() -> None:
    svg = str(column_chart("arr", "Arrivals", [Bar("09:00", 2, "2"), Bar("09:10", 8, "8"), Bar("09:20", 0, "0")]))
    assert _values(svg) == [("09:00", "2"), ("09:10", "8"), ("09:20", "0")]
    heights = [float(h) for h in re.findall(r'class="chart-bar"[^>]*height="([\d.]+)"', svg)]
    assert heights[1] == 4 * heights[0] and heights[2] == 0
    title_id = re.search(r'<title id="([^"]+)">Arrivals</title>', svg)
    assert title_id and f'aria-labelledby="{title_id.group(1)} ' in svg


def test_empty_chart_says_so() -> None:
    assert "No data yet." in str(column_chart("empty", "Nothing", []))


def test_cumulative_chart_draws_each_curve_and_the_target() -> None:
    svg = str(
        cumulative_chart(
            "running",
            "So far",
            [Curve("2027", "chart-line", [(30, 2), (29, 5)]), Curve("2026", "chart-line-previous", [(40, 1), (0, 9)])],
            target=12,
        )
    )

    assert '<polyline class="chart-line" ' in svg and 'data-label="2027" data-value="5"' in svg
    assert 'data-label="2026" data-value="9"' in svg
    assert 'class="chart-target"' in svg and 'data-value="12"' in svg
    assert "2027: 5; 2026: 9; target: 12" in svg
