"""Charts drawn on the server as inline SVG: no script, no library, nothing fetched from elsewhere, and the
numbers stay readable without sight. Each chart is an image (`role="img"`) named by its <title>, whose <desc>
lists every value; every bar carries its label and value as data attributes so tests and tools read the same
numbers a person sees. Pages keep their table beside the chart as the full fallback."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from itertools import count

from markupsafe import Markup
from msgspec import Struct

_ids = count(1)

WIDTH = 640
BAR_HEIGHT = 22
GAP = 6
LABEL_WIDTH = 170
VALUE_WIDTH = 90
COLUMN_AREA = 160


class Bar(Struct, frozen=True):
    """One value: `label` names it, `text` is how the value is written (e.g. money), `limit` an optional
    ceiling drawn behind the bar (a room's capacity, a target)."""

    label: str
    value: float
    text: str
    limit: float | None = None


def _attr(value: object) -> str:
    return escape(str(value), quote=True)


def _number(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _frame(chart_id: str, title: str, bars: Sequence[Bar], height: float, body: list[str]) -> Markup:
    """The SVG element: named by its title, described by every value (a screen reader hears the numbers)."""
    desc = "; ".join(f"{bar.label}: {bar.text}" for bar in bars) if bars else "No data yet."
    serial = next(_ids)
    title_id, desc_id = f"{chart_id}-t{serial}", f"{chart_id}-d{serial}"
    return Markup(  # noqa: S704 - every piece of data above went through _attr (escaped)
        f'<svg class="chart" id="{_attr(chart_id)}" role="img" aria-labelledby="{title_id} {desc_id}" '
        f'viewBox="0 0 {WIDTH} {_number(height)}" preserveAspectRatio="xMinYMin meet" '
        f'xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{title_id}">{_attr(title)}</title><desc id="{desc_id}">{_attr(desc)}</desc>'
        + "".join(body)
        + "</svg>"
    )


def bar_chart(chart_id: str, title: str, bars: Sequence[Bar]) -> Markup:
    """Horizontal bars, one row each with its label and written value: readable on a phone however many
    labels there are (rooms, categories). A bar's `limit` is drawn as a lighter track behind it."""
    peak = max([bar.value for bar in bars] + [bar.limit or 0 for bar in bars] + [1])
    span = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    body: list[str] = []
    for row, bar in enumerate(bars):
        y = row * (BAR_HEIGHT + GAP)
        middle = y + BAR_HEIGHT / 2
        body.append(
            f'<text class="chart-label" x="{LABEL_WIDTH - 8}" y="{_number(middle)}" text-anchor="end" '
            f'dominant-baseline="middle">{_attr(bar.label[:28])}</text>'
        )
        if bar.limit is not None:
            body.append(
                f'<rect class="chart-limit" x="{LABEL_WIDTH}" y="{y}" height="{BAR_HEIGHT}" '
                f'width="{_number(span * bar.limit / peak)}" data-limit="{_attr(_number(bar.limit))}"/>'
            )
        body.append(
            f'<rect class="chart-bar" x="{LABEL_WIDTH}" y="{y}" height="{BAR_HEIGHT}" '
            f'width="{_number(span * max(bar.value, 0) / peak)}" data-label="{_attr(bar.label)}" '
            f'data-value="{_attr(_number(bar.value))}"/>'
        )
        body.append(
            f'<text class="chart-value" x="{WIDTH - VALUE_WIDTH + 6}" y="{_number(middle)}" '
            f'dominant-baseline="middle">{_attr(bar.text)}</text>'
        )
    height = max(len(bars), 1) * (BAR_HEIGHT + GAP)
    return _frame(chart_id, title, bars, height, body)


def column_chart(chart_id: str, title: str, bars: Sequence[Bar], *, every: int = 0) -> Markup:
    """Vertical columns along a time axis (arrivals per 10 minutes, registrations per day), the highest value
    written above the axis and every `every`-th label below it (all labels when they fit)."""
    peak = max([bar.value for bar in bars] + [1])
    top, axis = 24, 24
    pitch = (WIDTH - 40) / max(len(bars), 1)
    step = every or max(1, -(-len(bars) * 70 // (WIDTH - 40)))
    body = [
        f'<text class="chart-value" x="0" y="14">peak {_attr(_number(peak) if bars else "0")}</text>',
        f'<line class="chart-axis" x1="0" x2="{WIDTH}" y1="{top + COLUMN_AREA}" y2="{top + COLUMN_AREA}"/>',
    ]
    for index, bar in enumerate(bars):
        height = COLUMN_AREA * max(bar.value, 0) / peak
        x = 20 + index * pitch
        body.append(
            f'<rect class="chart-bar" x="{_number(x + pitch * 0.1)}" width="{_number(pitch * 0.8)}" '
            f'y="{_number(top + COLUMN_AREA - height)}" height="{_number(height)}" '
            f'data-label="{_attr(bar.label)}" data-value="{_attr(_number(bar.value))}"/>'
        )
        if index % step == 0:
            body.append(
                f'<text class="chart-label" x="{_number(x + pitch / 2)}" y="{top + COLUMN_AREA + 16}" '
                f'text-anchor="middle">{_attr(bar.label)}</text>'
            )
    return _frame(chart_id, title, bars, top + COLUMN_AREA + axis, body)


class Curve(Struct, frozen=True):
    """A running total over days before the event's start (``points``: (days before, total), oldest first)."""

    name: str
    css: str  # the stroke's class: chart-line (this edition) or chart-line-previous
    points: list[tuple[int, int]]


def cumulative_chart(chart_id: str, title: str, curves: Sequence[Curve], target: int | None = None) -> Markup:
    """Running totals as lines on one axis of days before the start (so editions of different years line up),
    with an optional target as a dashed line. The <desc> names each curve's latest total and the target."""
    earliest = max([days for curve in curves for days, _ in curve.points] + [1])
    latest = min([days for curve in curves for days, _ in curve.points] + [0])
    peak = max([total for curve in curves for _, total in curve.points] + [target or 0, 1])
    top, axis, left, right = 24, 24, 20, 20
    span = max(earliest - latest, 1)

    def x(days: int) -> str:
        return _number(left + (WIDTH - left - right) * (earliest - days) / span)

    def y(total: float) -> str:
        return _number(top + COLUMN_AREA - COLUMN_AREA * total / peak)

    body = [f'<line class="chart-axis" x1="0" x2="{WIDTH}" y1="{top + COLUMN_AREA}" y2="{top + COLUMN_AREA}"/>']
    described = [Bar(curve.name, curve.points[-1][1], str(curve.points[-1][1])) for curve in curves if curve.points]
    if target is not None:
        body.append(
            f'<line class="chart-target" x1="{left}" x2="{WIDTH - right}" y1="{y(target)}" y2="{y(target)}" '
            f'data-value="{target}"/>'
            f'<text class="chart-value" x="{WIDTH - right}" y="{_number(float(y(target)) - 4)}" '
            f'text-anchor="end">target {target}</text>'
        )
        described.append(Bar("target", target, str(target)))
    for curve in curves:
        if not curve.points:
            continue
        path = " ".join(f"{x(days)},{y(total)}" for days, total in curve.points)
        body.append(
            f'<polyline class="{_attr(curve.css)}" points="{path}" data-label="{_attr(curve.name)}" '
            f'data-value="{curve.points[-1][1]}"/>'
        )
    body.append(f'<text class="chart-label" x="{left}" y="{top + COLUMN_AREA + 16}">{earliest} days before</text>')
    body.append(
        f'<text class="chart-label" x="{WIDTH - right}" y="{top + COLUMN_AREA + 16}" text-anchor="end">'
        f"{'start' if latest == 0 else f'{latest} days before' if latest > 0 else f'day {-latest + 1}'}</text>"
    )
    return _frame(chart_id, title, described, top + COLUMN_AREA + axis, body)
