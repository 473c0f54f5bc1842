"""Accessible SVG charts for the progress pages, drawn on the server.

Each chart is a self-contained SVG string: no script, no external resource and no ``style``
attribute, because the app's Content Security Policy forbids inline styles. Colours come from
class names that the app stylesheet styles (``bar``, ``line``, ``point``, ``heat-0`` ..
``heat-4``, ``axis``, ``gridline``, ``tick-label``, ``axis-label``). The SVG has no width or
height, only a viewBox, so it scales to its container.

For screen readers the SVG is one image named by its ``<title>`` and described by its
``<desc>``; every bar, point and cell also carries a ``<title>`` tooltip for mouse users, and
``Chart.rows`` holds the same figures for a ``<table>`` beside or instead of the picture.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from quizapp.stats.heatmap import heatmap
from quizapp.stats.svg import FONT_SIZE, Chart, element, number, svg, text, tooltip

__all__ = ["Chart", "bar_chart", "heatmap", "line_chart", "percent", "plain_number"]

WIDTH = 640
HEIGHT = 260
MARGIN_LEFT = 64
MARGIN_RIGHT = 16
MARGIN_TOP = 16
MARGIN_BOTTOM = 56
PLOT_WIDTH = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
PLOT_HEIGHT = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
MAX_X_LABELS = 8
MAX_Y_TICKS = 5


def plain_number(value: float) -> str:
    """Whole numbers without a decimal point, others to at most two places."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}".rstrip("0")


def percent(value: float) -> str:
    return f"{value:.0%}"


def bar_chart(
    bars: Sequence[tuple[str, float]],
    *,
    chart_id: str,
    title: str,
    description: str,
    x_label: str,
    y_label: str,
    format_value: Callable[[float], str] = plain_number,
) -> Chart:
    """One bar per (label, value) in the given order; values must not be negative."""
    if any(value < 0 for _, value in bars):
        raise ValueError("bar values must not be negative")
    ticks = _ticks(max((value for _, value in bars), default=0), _all_whole(bars))
    scale = _Scale(len(bars), ticks[-1])
    shapes = []
    for index, (label, value) in enumerate(bars):
        top = scale.y(value)
        shapes.append(
            element(
                "rect",
                {
                    "class": "bar",
                    "x": number(scale.slot_left(index) + scale.slot * 0.1),
                    "y": number(top),
                    "width": number(scale.slot * 0.8),
                    "height": number(MARGIN_TOP + PLOT_HEIGHT - top),
                },
                tooltip(label, y_label, format_value(value)),
            )
        )
    body = _axes(scale, ticks, [label for label, _ in bars], x_label, y_label, format_value)
    return Chart(
        svg=svg(chart_id, "chart-bar", WIDTH, HEIGHT, title, description, body + shapes),
        columns=(x_label, y_label),
        rows=tuple((label, format_value(value)) for label, value in bars),
    )


def line_chart(
    points: Sequence[tuple[str, float | None]],
    *,
    chart_id: str,
    title: str,
    description: str,
    x_label: str,
    y_label: str,
    y_max: float | None = None,
    format_value: Callable[[float], str] = plain_number,
    missing: str = "no data",
) -> Chart:
    """A line through the points in order, broken where a value is None.

    ``y_max`` fixes the top of the scale (1.0 for a share shown with ``percent``); otherwise
    the scale fits the largest value.
    """
    values = [value for _, value in points if value is not None]
    top = y_max if y_max is not None else max(values, default=0)
    ticks = _ticks(top, whole_steps=False)
    scale = _Scale(len(points), ticks[-1])

    lines = []
    markers = []
    run: list[str] = []
    for index, (label, value) in enumerate(points):
        if value is None:
            lines.extend(_polyline(run))
            run = []
            continue
        x, y = number(scale.slot_centre(index)), number(scale.y(value))
        run.append(f"{x},{y}")
        markers.append(
            element(
                "circle",
                {"class": "point", "cx": x, "cy": y, "r": "3.5"},
                tooltip(label, y_label, format_value(value)),
            )
        )
    lines.extend(_polyline(run))

    body = _axes(scale, ticks, [label for label, _ in points], x_label, y_label, format_value)
    return Chart(
        svg=svg(chart_id, "chart-line", WIDTH, HEIGHT, title, description, body + lines + markers),
        columns=(x_label, y_label),
        rows=tuple(
            (label, missing if value is None else format_value(value)) for label, value in points
        ),
    )


@dataclass(frozen=True)
class _Scale:
    """Maps slot indexes and values to coordinates in the plot area."""

    count: int
    top_value: float

    @property
    def slot(self) -> float:
        return PLOT_WIDTH / max(self.count, 1)

    def slot_left(self, index: int) -> float:
        return MARGIN_LEFT + index * self.slot

    def slot_centre(self, index: int) -> float:
        return self.slot_left(index) + self.slot / 2

    def y(self, value: float) -> float:
        return MARGIN_TOP + PLOT_HEIGHT * (1 - value / self.top_value)


def _all_whole(bars: Sequence[tuple[str, float]]) -> bool:
    return all(float(value).is_integer() for _, value in bars)


def _ticks(maximum: float, whole_steps: bool) -> list[float]:
    """Evenly spaced round values from 0 to at least ``maximum``, at most ``MAX_Y_TICKS`` steps.

    Counts get whole-number steps so the axis never reads "0.5 reviews".
    """
    if maximum <= 0:
        maximum = 1
    rough_step = maximum / MAX_Y_TICKS
    magnitude = 10 ** math.floor(math.log10(rough_step))
    step = 10 * magnitude
    for multiple in (1, 2, 2.5, 5):
        candidate = multiple * magnitude
        if candidate >= rough_step and (not whole_steps or float(candidate).is_integer()):
            step = candidate
            break
    if whole_steps:
        step = max(step, 1)
    steps = math.ceil(maximum / step - 1e-9)
    return [step * n for n in range(steps + 1)]


def _axes(
    scale: _Scale,
    ticks: Sequence[float],
    labels: Sequence[str],
    x_label: str,
    y_label: str,
    format_value: Callable[[float], str],
) -> list[str]:
    left, right = MARGIN_LEFT, MARGIN_LEFT + PLOT_WIDTH
    bottom = MARGIN_TOP + PLOT_HEIGHT
    shapes = []
    for tick in ticks:
        shapes.append(_line("gridline", left, scale.y(tick), right, scale.y(tick)))
        shapes.append(
            text(
                format_value(tick),
                x=left - 6,
                y=scale.y(tick) + FONT_SIZE / 3,
                anchor="end",
                css_class="tick-label",
            )
        )
    shapes.append(_line("axis", left, bottom, right, bottom))
    shapes.append(_line("axis", left, MARGIN_TOP, left, bottom))
    every = max(1, math.ceil(len(labels) / MAX_X_LABELS))
    for index in range(0, len(labels), every):
        shapes.append(
            text(
                labels[index],
                x=scale.slot_centre(index),
                y=bottom + FONT_SIZE + 6,
                anchor="middle",
                css_class="tick-label",
            )
        )
    shapes.append(
        text(
            x_label, x=left + PLOT_WIDTH / 2, y=HEIGHT - 8, anchor="middle", css_class="axis-label"
        )
    )
    y_label_x, y_label_y = 14, MARGIN_TOP + PLOT_HEIGHT / 2
    shapes.append(
        text(
            y_label,
            x=y_label_x,
            y=y_label_y,
            anchor="middle",
            css_class="axis-label",
            rotate_about=(y_label_x, y_label_y),
        )
    )
    return shapes


def _line(css_class: str, x1: float, y1: float, x2: float, y2: float) -> str:
    return element(
        "line",
        {
            "class": css_class,
            "x1": number(x1),
            "y1": number(y1),
            "x2": number(x2),
            "y2": number(y2),
        },
    )


def _polyline(run: Sequence[str]) -> list[str]:
    if len(run) < 2:
        return []
    return [element("polyline", {"class": "line", "points": " ".join(run)})]


