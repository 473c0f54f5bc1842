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
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from xml.sax.saxutils import escape

SVG_NAMESPACE = "http://www.w3.org/2000/svg"

WIDTH = 640
HEIGHT = 260
MARGIN_LEFT = 64
MARGIN_RIGHT = 16
MARGIN_TOP = 16
MARGIN_BOTTOM = 56
PLOT_WIDTH = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
PLOT_HEIGHT = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
FONT_SIZE = 11
MAX_X_LABELS = 8
MAX_Y_TICKS = 5

CELL = 11
CELL_STEP = 13
HEATMAP_LEFT = 32
HEATMAP_TOP = 20
HEAT_LEVELS = 5

WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTH_NAMES = (
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
)  # fmt: skip

_ID_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
# Characters XML 1.0 cannot carry even escaped; a hostile label must not break the document.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class Chart:
    """The picture and the same figures as table rows of (label, value) display strings."""

    svg: str
    columns: tuple[str, str]
    rows: tuple[tuple[str, str], ...]


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
            _element(
                "rect",
                {
                    "class": "bar",
                    "x": _number(scale.slot_left(index) + scale.slot * 0.1),
                    "y": _number(top),
                    "width": _number(scale.slot * 0.8),
                    "height": _number(MARGIN_TOP + PLOT_HEIGHT - top),
                },
                _tooltip(label, y_label, format_value(value)),
            )
        )
    body = _axes(scale, ticks, [label for label, _ in bars], x_label, y_label, format_value)
    return Chart(
        svg=_svg(chart_id, "chart-bar", WIDTH, HEIGHT, title, description, body + shapes),
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
        x, y = _number(scale.slot_centre(index)), _number(scale.y(value))
        run.append(f"{x},{y}")
        markers.append(
            _element(
                "circle",
                {"class": "point", "cx": x, "cy": y, "r": "3.5"},
                _tooltip(label, y_label, format_value(value)),
            )
        )
    lines.extend(_polyline(run))

    body = _axes(scale, ticks, [label for label, _ in points], x_label, y_label, format_value)
    return Chart(
        svg=_svg(chart_id, "chart-line", WIDTH, HEIGHT, title, description, body + lines + markers),
        columns=(x_label, y_label),
        rows=tuple(
            (label, missing if value is None else format_value(value)) for label, value in points
        ),
    )


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
            _text(
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
                _text(MONTH_NAMES[day.month - 1], x=x, y=HEATMAP_TOP - 6, css_class="tick-label")
            )
        noun = singular if count == 1 else plural
        shapes.append(
            _element(
                "rect",
                {
                    "class": f"cell heat-{_heat_level(count, peak)}",
                    "x": str(x),
                    "y": str(HEATMAP_TOP + day.weekday() * CELL_STEP),
                    "width": str(CELL),
                    "height": str(CELL),
                },
                _element(
                    "title",
                    {},
                    _escape(f"{WEEKDAY_NAMES[day.weekday()]} {day.isoformat()}: {count} {noun}"),
                ),
            )
        )
    shapes.extend(_heat_legend(width, legend_top))

    return Chart(
        svg=_svg(chart_id, "chart-heatmap", width, height, title, description, shapes),
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
    shapes = [_text("Less", x=swatches_left - 4, y=top + CELL - 1, anchor="end")]
    for level in range(HEAT_LEVELS):
        shapes.append(
            _element(
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
    shapes.append(_text("More", x=right - 26, y=top + CELL - 1))
    return shapes


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
            _text(
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
            _text(
                labels[index],
                x=scale.slot_centre(index),
                y=bottom + FONT_SIZE + 6,
                anchor="middle",
                css_class="tick-label",
            )
        )
    shapes.append(
        _text(
            x_label, x=left + PLOT_WIDTH / 2, y=HEIGHT - 8, anchor="middle", css_class="axis-label"
        )
    )
    y_label_x, y_label_y = 14, MARGIN_TOP + PLOT_HEIGHT / 2
    shapes.append(
        _text(
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
    return _element(
        "line",
        {
            "class": css_class,
            "x1": _number(x1),
            "y1": _number(y1),
            "x2": _number(x2),
            "y2": _number(y2),
        },
    )


def _polyline(run: Sequence[str]) -> list[str]:
    if len(run) < 2:
        return []
    return [_element("polyline", {"class": "line", "points": " ".join(run)})]


def _tooltip(label: str, y_label: str, value: str) -> str:
    return _element("title", {}, _escape(f"{label} — {y_label}: {value}"))


def _text(
    content: str,
    *,
    x: float,
    y: float,
    anchor: str = "start",
    css_class: str = "legend-label",
    rotate_about: tuple[float, float] | None = None,
) -> str:
    attributes = {
        "class": css_class,
        "x": _number(x),
        "y": _number(y),
        "text-anchor": anchor,
        "font-size": str(FONT_SIZE),
    }
    if rotate_about is not None:
        attributes["transform"] = (
            f"rotate(-90 {_number(rotate_about[0])} {_number(rotate_about[1])})"
        )
    return _element("text", attributes, _escape(content))


def _svg(
    chart_id: str,
    kind: str,
    width: int,
    height: int,
    title: str,
    description: str,
    shapes: Sequence[str],
) -> str:
    if not _ID_PATTERN.fullmatch(chart_id):
        raise ValueError(f"chart_id must be a letter then letters, digits, - or _: {chart_id!r}")
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    children = [
        _element("title", {"id": title_id}, _escape(title)),
        _element("desc", {"id": desc_id}, _escape(description)),
        *shapes,
    ]
    return _element(
        "svg",
        {
            "xmlns": SVG_NAMESPACE,
            "id": chart_id,
            "class": f"chart {kind}",
            "viewBox": f"0 0 {width} {height}",
            "role": "img",
            "aria-labelledby": f"{title_id} {desc_id}",
        },
        "".join(children),
    )


def _element(tag: str, attributes: dict[str, str], content: str = "") -> str:
    """An element whose attribute values are escaped here; ``content`` must already be markup."""
    attribute_text = "".join(f' {name}="{_escape(value)}"' for name, value in attributes.items())
    if not content:
        return f"<{tag}{attribute_text}/>"
    return f"<{tag}{attribute_text}>{content}</{tag}>"


def _escape(text: str) -> str:
    return escape(_NOT_XML.sub("", text), {'"': "&quot;"})


def _number(value: float) -> str:
    """Coordinates to two decimals at most, which is finer than any screen shows."""
    return f"{value:.2f}".rstrip("0").rstrip(".")
