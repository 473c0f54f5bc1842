"""The simulator's results as one plain SVG: reviews per day and retention per scheduler.

Self-contained (colours as presentation attributes, no script, no ``style`` attribute), with
a ``<title>`` and ``<desc>`` for screen readers, so it shows in the README as it is and could
be served under the app's Content Security Policy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from xml.sax.saxutils import escape

from .simulate import SchedulerResult

WIDTH, PANEL_HEIGHT = 720, 240
LEFT, RIGHT, TOP, GAP, BOTTOM = 60, 150, 30, 60, 40
SMOOTHING_DAYS = 7
TICK_STEPS = (1, 7, 14, 30, 60, 90, 180, 365)
MAX_TICKS = 7
COLOURS = ("#1b6ca8", "#d1495b", "#2e8b57", "#8a5a00", "#6a4c93", "#444444")


def rolling_mean(values: Sequence[float], window: int) -> list[float]:
    """Mean of each value with up to ``window - 1`` values before it."""
    out, total = [], 0.0
    for index, value in enumerate(values):
        total += value
        if index >= window:
            total -= values[index - window]
        out.append(total / min(index + 1, window))
    return out


def simulation_svg(results: Sequence[SchedulerResult], title: str) -> str:
    if not results:
        raise ValueError("nothing to draw")
    days = len(results[0].reviews_per_day)
    reviews = [rolling_mean(r.reviews_per_day, SMOOTHING_DAYS) for r in results]
    retention = [list(r.retention_per_day) for r in results]
    top_reviews = math.ceil(max(max(series) for series in reviews) / 20) * 20 or 20.0
    low_retention = math.floor(min(min(series) for series in retention) * 20 - 0.5) / 20
    height = TOP + 2 * PANEL_HEIGHT + GAP + BOTTOM
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" role="img" '
        'aria-labelledby="sim-title sim-desc" font-family="sans-serif" font-size="11">',
        f'<title id="sim-title">{escape(title)}</title>',
        f'<desc id="sim-desc">{escape(_description(results))}</desc>',
        '<rect width="100%" height="100%" fill="#ffffff"/>',
    ]
    panels = (
        (TOP, f"Reviews per day ({SMOOTHING_DAYS}-day mean)", reviews, 0.0, top_reviews, "{:.0f}"),
        (TOP + PANEL_HEIGHT + GAP, "Retention (mean probability of recall)", retention,
         low_retention, 1.0, "{:.0%}"),
    )  # fmt: skip
    for top, label, series_list, low, high, tick_format in panels:
        parts += _panel(top, label, series_list, low, high, tick_format, days)
    for index, result in enumerate(results):
        y = TOP + 14 + index * 18
        x = WIDTH - RIGHT + 12
        colour = COLOURS[index % len(COLOURS)]
        parts.append(
            f'<line x1="{x}" y1="{y - 4}" x2="{x + 18}" y2="{y - 4}" stroke="{colour}" '
            'stroke-width="2.5"/>'
        )
        parts.append(f'<text x="{x + 24}" y="{y}">{escape(result.label)}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _panel(
    top: float,
    label: str,
    series_list: Sequence[Sequence[float]],
    low: float,
    high: float,
    tick_format: str,
    days: int,
) -> list[str]:
    plot_width = WIDTH - LEFT - RIGHT

    def x_of(day: int) -> float:
        return LEFT + plot_width * day / max(1, days - 1)

    def y_of(value: float) -> float:
        return top + PANEL_HEIGHT * (1 - (value - low) / ((high - low) or 1.0))

    parts = [f'<text x="{LEFT}" y="{top - 10}" font-weight="bold">{escape(label)}</text>']
    for step in range(5):
        value = low + (high - low) * step / 4
        y = y_of(value)
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + plot_width}" y2="{y:.1f}" '
            'stroke="#dddddd"/>'
        )
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{tick_format.format(value)}</text>"
        )
    step = next((step for step in TICK_STEPS if step * MAX_TICKS >= days), days)
    for day in range(0, days, step):
        parts.append(
            f'<text x="{x_of(day):.1f}" y="{top + PANEL_HEIGHT + 16}" text-anchor="middle">'
            f"day {day + 1}</text>"
        )
    for index, series in enumerate(series_list):
        points = " ".join(f"{x_of(d):.1f},{y_of(v):.1f}" for d, v in enumerate(series))
        parts.append(
            f'<polyline fill="none" stroke="{COLOURS[index % len(COLOURS)]}" '
            f'stroke-width="1.8" points="{points}"/>'
        )
    return parts


def _description(results: Sequence[SchedulerResult]) -> str:
    last = len(results[0].retention_per_day)
    return "; ".join(
        f"{r.label}: {r.total_reviews:.0f} reviews in {last} days, "
        f"retention on day {last} {r.retention_on(last):.0%}"
        for r in results
    )
