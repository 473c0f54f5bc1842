"""The SVG pieces every chart of the progress pages is built from (see quizapp.stats.charts
for the rules they follow: no script, no style attribute, a title and description for
screen readers, escaped text).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape as _xml_escape

SVG_NAMESPACE = "http://www.w3.org/2000/svg"
FONT_SIZE = 11

_ID_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
# Characters XML 1.0 cannot carry even escaped; a hostile label must not break the document.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class Chart:
    """The picture and the same figures as table rows of (label, value) display strings."""

    svg: str
    columns: tuple[str, str]
    rows: tuple[tuple[str, str], ...]


def tooltip(label: str, y_label: str, value: str) -> str:
    return element("title", {}, escape(f"{label} — {y_label}: {value}"))


def text(
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
        "x": number(x),
        "y": number(y),
        "text-anchor": anchor,
        "font-size": str(FONT_SIZE),
    }
    if rotate_about is not None:
        attributes["transform"] = (
            f"rotate(-90 {number(rotate_about[0])} {number(rotate_about[1])})"
        )
    return element("text", attributes, escape(content))


def svg(
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
        element("title", {"id": title_id}, escape(title)),
        element("desc", {"id": desc_id}, escape(description)),
        *shapes,
    ]
    return element(
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


def element(tag: str, attributes: dict[str, str], content: str = "") -> str:
    """An element whose attribute values are escaped here; ``content`` must already be markup."""
    attribute_text = "".join(f' {name}="{escape(value)}"' for name, value in attributes.items())
    if not content:
        return f"<{tag}{attribute_text}/>"
    return f"<{tag}{attribute_text}>{content}</{tag}>"


def escape(text: str) -> str:
    return _xml_escape(_NOT_XML.sub("", text), {'"': "&quot;"})


def number(value: float) -> str:
    """Coordinates to two decimals at most, which is finer than any screen shows."""
    return f"{value:.2f}".rstrip("0").rstrip(".")
