"""Server-drawn charts: the numbers a person sees are the numbers in the data, for sight and for speech."""

from __future__ import annotations

import re

from podium.charts import Bar, bar_chart, column_chart


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
