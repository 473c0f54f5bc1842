"""A calendar heatmap of activity per day, drawn on the server (see quizapp.stats.charts)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, timedelta

from quizapp.stats.svg import Chart, element, escape, svg, text

CELL = 11
CELL_STEP = 13
HEATMAP_LEFT = 32
HEATMAP_TOP = 20
HEAT_LEVELS = 5

WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTH_NAMES = (
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
)  # fmt: skip


def heatmap(
    days: Sequence[tuple[date, int]],
    *,
    chart_id: str,
    title: str,
    description: str,
    units: tuple[str, str] = ("review", "reviews"),
) -> Chart:
    """A calendar of weeks as columns (Monday at the top), one cell per given day.

    A day's class is ``heat-0`` for no activity, else ``heat-1`` to ``heat-4`` by its share
    of the busiest day, in quarters, so the scale adapts to how much this learner studies.
    """
    singular, plural = units
    first = min((day for day, _ in days), default=date.min)
    first_monday = first - timedelta(days=first.weekday())
    last = max((day for day, _ in days), default=first)
    columns = (last - first_monday).days // 7 + 1
    peak = max((count for _, count in days), default=0)

    width = HEATMAP_LEFT + columns * CELL_STEP + 8
    legend_top = HEATMAP_TOP + 7 * CELL_STEP + 8
    height = legend_top + CELL + 8

    shapes = []
    for weekday in (0, 2, 4):
        shapes.append(
            text(
                WEEKDAY_NAMES[weekday],
                x=HEATMAP_LEFT - 4,
                y=HEATMAP_TOP + weekday * CELL_STEP + CELL - 1,
                anchor="end",
                css_class="tick-label",
            )
        )
    for day, count in sorted(days):
        column = (day - first_monday).days // 7
        x = HEATMAP_LEFT + column * CELL_STEP
        if day.day == 1:
            shapes.append(
                text(MONTH_NAMES[day.month - 1], x=x, y=HEATMAP_TOP - 6, css_class="tick-label")
            )
        noun = singular if count == 1 else plural
        shapes.append(
            element(
                "rect",
                {
                    "class": f"cell heat-{_heat_level(count, peak)}",
                    "x": str(x),
                    "y": str(HEATMAP_TOP + day.weekday() * CELL_STEP),
                    "width": str(CELL),
                    "height": str(CELL),
                },
                element(
                    "title",
                    {},
                    escape(f"{WEEKDAY_NAMES[day.weekday()]} {day.isoformat()}: {count} {noun}"),
                ),
            )
        )
    shapes.extend(_heat_legend(width, legend_top))

    return Chart(
        svg=svg(chart_id, "chart-heatmap", width, height, title, description, shapes),
        columns=("Day", plural[:1].upper() + plural[1:]),
        rows=tuple((day.isoformat(), str(count)) for day, count in days),
    )


def _heat_level(count: int, peak: int) -> int:
    if count <= 0:
        return 0
    return min(HEAT_LEVELS - 1, math.ceil((HEAT_LEVELS - 1) * count / peak))


def _heat_legend(width: int, top: int) -> list[str]:
    right = width - 8
    swatches_left = right - 28 - HEAT_LEVELS * CELL_STEP
    shapes = [text("Less", x=swatches_left - 4, y=top + CELL - 1, anchor="end")]
    for level in range(HEAT_LEVELS):
        shapes.append(
            element(
                "rect",
                {
                    "class": f"swatch heat-{level}",
                    "x": str(swatches_left + level * CELL_STEP),
                    "y": str(top),
                    "width": str(CELL),
                    "height": str(CELL),
                },
            )
        )
    shapes.append(text("More", x=right - 26, y=top + CELL - 1))
    return shapes


