import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest

from quizapp.stats.charts import (
    MARGIN_TOP,
    PLOT_HEIGHT,
    bar_chart,
    heatmap,
    line_chart,
    percent,
    plain_number,
)

NS = "{http://www.w3.org/2000/svg}"
HOSTILE = "</title><script>alert('x')</script> & \"quoted\" \x00<!--"
HOSTILE_AS_READ = HOSTILE.replace("\x00", "")


def parse(svg):
    return ET.fromstring(svg)


def all_of(root, tag):
    return root.iter(NS + tag)


def with_class(root, tag, css_class):
    return [el for el in all_of(root, tag) if css_class in el.get("class", "").split()]


def tooltip(element):
    return element.find(NS + "title").text


def texts(root, css_class):
    return [el.text for el in with_class(root, "text", css_class)]


def assert_accessible_and_self_contained(root, chart_id):
    assert root.tag == NS + "svg"
    assert root.get("role") == "img"
    assert root.get("width") is None and root.get("height") is None
    assert root.get("viewBox").startswith("0 0 ")
    title_id, desc_id = root.get("aria-labelledby").split()
    assert root[0].tag == NS + "title" and root[0].get("id") == title_id == f"{chart_id}-title"
    assert root[1].tag == NS + "desc" and root[1].get("id") == desc_id == f"{chart_id}-desc"
    for element in root.iter():
        assert element.get("style") is None
        assert element.tag not in (NS + "style", NS + "script", NS + "image", NS + "foreignObject")
        assert not any(name.endswith("href") for name in element.attrib)


def forecast_chart(bars):
    return bar_chart(
        bars,
        chart_id="forecast",
        title="Cards due in the next days",
        description="How many cards fall due each day.",
        x_label="Day",
        y_label="Cards due",
    )


def test_bar_chart_draws_one_titled_bar_per_value_on_a_round_scale():
    chart = forecast_chart([("Mar 12", 0), ("Mar 13", 2), ("Mar 14", 4)])
    root = parse(chart.svg)
    assert_accessible_and_self_contained(root, "forecast")
    assert root[0].text == "Cards due in the next days"
    assert root[1].text == "How many cards fall due each day."

    bars = with_class(root, "rect", "bar")
    assert [tooltip(bar) for bar in bars] == [
        "Mar 12 — Cards due: 0",
        "Mar 13 — Cards due: 2",
        "Mar 14 — Cards due: 4",
    ]
    # The scale runs 0-4 in whole steps, so the tallest bar fills the plot and the middle half.
    assert [float(bar.get("height")) for bar in bars] == [0, PLOT_HEIGHT / 2, PLOT_HEIGHT]
    assert float(bars[2].get("y")) == MARGIN_TOP
    assert texts(root, "tick-label") == ["0", "1", "2", "3", "4", "Mar 12", "Mar 13", "Mar 14"]
    assert texts(root, "axis-label") == ["Day", "Cards due"]
    assert len(with_class(root, "line", "axis")) == 2

    assert chart.columns == ("Day", "Cards due")
    assert chart.rows == (("Mar 12", "0"), ("Mar 13", "2"), ("Mar 14", "4"))


def test_bar_chart_labels_at_most_eight_days_of_a_month():
    chart = forecast_chart([(f"day {n}", n % 5) for n in range(30)])
    root = parse(chart.svg)
    assert len(with_class(root, "rect", "bar")) == 30
    day_labels = [text for text in texts(root, "tick-label") if text.startswith("day")]
    assert day_labels == [f"day {n}" for n in range(0, 30, 4)]
    assert len(chart.rows) == 30


def test_bar_chart_scale_for_fractional_values_and_for_no_data():
    minutes = bar_chart(
        [("Mon", 0.5), ("Tue", 1.25)],
        chart_id="minutes",
        title="Minutes studied",
        description="Per day.",
        x_label="Day",
        y_label="Minutes",
    )
    root = parse(minutes.svg)
    assert texts(root, "tick-label")[:6] == ["0", "0.25", "0.5", "0.75", "1", "1.25"]
    assert minutes.rows == (("Mon", "0.5"), ("Tue", "1.25"))

    nothing = parse(forecast_chart([("Mar 12", 0)]).svg)
    assert texts(nothing, "tick-label") == ["0", "1", "Mar 12"]
    empty = parse(forecast_chart([]).svg)
    assert with_class(empty, "rect", "bar") == []


def test_bar_chart_refuses_negative_values_and_unsafe_ids():
    with pytest.raises(ValueError):
        forecast_chart([("Mar 12", -1)])
    with pytest.raises(ValueError):
        bar_chart(
            [],
            chart_id='x" onload="alert(1)',
            title="t",
            description="d",
            x_label="x",
            y_label="y",
        )


def test_hostile_text_is_escaped_everywhere():
    chart = bar_chart(
        [(HOSTILE, 3)],
        chart_id="hostile",
        title=HOSTILE,
        description=HOSTILE,
        x_label=HOSTILE,
        y_label="Cards",
    )
    assert "<script" not in chart.svg
    root = parse(chart.svg)
    assert_accessible_and_self_contained(root, "hostile")
    assert root[0].text == HOSTILE_AS_READ
    assert root[1].text == HOSTILE_AS_READ
    assert tooltip(with_class(root, "rect", "bar")[0]) == f"{HOSTILE_AS_READ} — Cards: 3"
    assert HOSTILE_AS_READ in texts(root, "tick-label")
    assert texts(root, "axis-label")[0] == HOSTILE_AS_READ
    assert chart.rows == ((HOSTILE, "3"),)


def retention_chart(points):
    return line_chart(
        points,
        chart_id="retention",
        title="Weekly retention",
        description="Share of reviews of learned cards answered correctly.",
        x_label="Week ending",
        y_label="Retention",
        y_max=1,
        format_value=percent,
    )


def test_line_chart_breaks_at_weeks_without_data():
    chart = retention_chart(
        [
            ("Jan 7", 0.5),
            ("Jan 14", 0.75),
            ("Jan 21", None),
            ("Jan 28", 1.0),
            ("Feb 4", 0.25),
            ("Feb 11", 0.5),
            ("Feb 18", None),
            ("Feb 25", 0.8),
        ]
    )
    root = parse(chart.svg)
    assert_accessible_and_self_contained(root, "retention")
    lines = with_class(root, "polyline", "line")
    assert [len(line.get("points").split()) for line in lines] == [2, 3]
    points = with_class(root, "circle", "point")
    assert [tooltip(point) for point in points] == [
        "Jan 7 — Retention: 50%",
        "Jan 14 — Retention: 75%",
        "Jan 28 — Retention: 100%",
        "Feb 4 — Retention: 25%",
        "Feb 11 — Retention: 50%",
        "Feb 25 — Retention: 80%",
    ]
    assert float(points[0].get("cy")) == MARGIN_TOP + PLOT_HEIGHT / 2
    assert float(points[2].get("cy")) == MARGIN_TOP
    # The first polyline ends where the second circle is drawn.
    assert lines[0].get("points").split()[1] == f"{points[1].get('cx')},{points[1].get('cy')}"
    assert texts(root, "tick-label")[:6] == ["0%", "20%", "40%", "60%", "80%", "100%"]
    assert chart.rows[2] == ("Jan 21", "no data")
    assert chart.rows[7] == ("Feb 25", "80%")
    assert chart.columns == ("Week ending", "Retention")


def test_line_chart_without_any_data():
    chart = retention_chart([("Jan 7", None)])
    root = parse(chart.svg)
    assert with_class(root, "circle", "point") == []
    assert with_class(root, "polyline", "line") == []
    assert chart.rows == (("Jan 7", "no data"),)


def test_line_chart_fits_the_largest_value_without_a_fixed_top():
    chart = line_chart(
        [("a", 3), ("b", 7)],
        chart_id="minutes",
        title="t",
        description="d",
        x_label="Week",
        y_label="Minutes",
        format_value=plain_number,
    )
    root = parse(chart.svg)
    assert texts(root, "tick-label")[:5] == ["0", "2", "4", "6", "8"]


FIRST_DAY = date(2024, 3, 11)  # a Monday
TODAY = date(2025, 3, 12)  # a Wednesday, 52 weeks and two days later
BUSY_DAYS = {
    TODAY: 1,
    date(2025, 3, 11): 8,
    date(2025, 3, 10): 6,
    date(2025, 3, 9): 3,
    date(2025, 3, 8): 2,
}


def year_heatmap(days, **options):
    return heatmap(
        days,
        chart_id="year",
        title="Reviews in the last year",
        description="One square per day.",
        **options,
    )


def year_of_days():
    span = (TODAY - FIRST_DAY).days + 1
    return [
        (day, BUSY_DAYS.get(day, 0)) for day in (FIRST_DAY + timedelta(days=n) for n in range(span))
    ]


def test_heatmap_lays_days_out_in_week_columns_with_graded_classes():
    days = year_of_days()
    chart = year_heatmap(days)
    root = parse(chart.svg)
    assert_accessible_and_self_contained(root, "year")
    cells = with_class(root, "rect", "cell")
    assert len(cells) == len(days) == 367
    # 53 week columns of 13 units after a 32-unit margin for weekday names, 8 to spare.
    assert root.get("viewBox").split()[2] == str(32 + 53 * 13 + 8)

    by_title = {tooltip(cell): cell for cell in cells}
    today_cell = by_title["Wed 2025-03-12: 1 review"]
    assert (today_cell.get("x"), today_cell.get("y")) == (str(32 + 52 * 13), str(20 + 2 * 13))
    first_cell = by_title["Mon 2024-03-11: 0 reviews"]
    assert (first_cell.get("x"), first_cell.get("y")) == ("32", "20")

    def level(day):
        cell = by_title[
            f"{day.strftime('%a')} {day.isoformat()}: {BUSY_DAYS.get(day, 0)} "
            f"review{'' if BUSY_DAYS.get(day, 0) == 1 else 's'}"
        ]
        return [name for name in cell.get("class").split() if name.startswith("heat-")]

    # Quarters of the busiest day (8): 1-2 → 1, 3-4 → 2, 5-6 → 3, 7-8 → 4.
    assert level(date(2025, 3, 11)) == ["heat-4"]
    assert level(date(2025, 3, 10)) == ["heat-3"]
    assert level(date(2025, 3, 9)) == ["heat-2"]
    assert level(date(2025, 3, 8)) == ["heat-1"]
    assert level(TODAY) == ["heat-1"]
    assert level(date(2024, 6, 1)) == ["heat-0"]

    month_labels = [text for text in texts(root, "tick-label") if text not in ("Mon", "Wed", "Fri")]
    assert month_labels == [
        "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "Jan", "Feb", "Mar",
    ]  # fmt: skip
    assert [text for text in texts(root, "tick-label") if text in ("Mon", "Wed", "Fri")] == [
        "Mon",
        "Wed",
        "Fri",
    ]
    swatches = with_class(root, "rect", "swatch")
    assert [swatch.get("class") for swatch in swatches] == [
        f"swatch heat-{level}" for level in range(5)
    ]

    assert chart.columns == ("Day", "Reviews")
    assert chart.rows[0] == ("2024-03-11", "0")
    assert chart.rows[-1] == ("2025-03-12", "1")
    assert len(chart.rows) == 367


def test_heatmap_with_other_units_and_with_no_days():
    chart = year_heatmap([(TODAY, 1), (date(2025, 3, 11), 0)], units=("minute", "minutes"))
    root = parse(chart.svg)
    assert [tooltip(cell) for cell in with_class(root, "rect", "cell")] == [
        "Tue 2025-03-11: 0 minutes",
        "Wed 2025-03-12: 1 minute",
    ]
    assert chart.columns == ("Day", "Minutes")

    empty = year_heatmap([])
    assert with_class(parse(empty.svg), "rect", "cell") == []
    assert empty.rows == ()


def test_heatmap_escapes_its_title():
    root = parse(heatmap([(TODAY, 2)], chart_id="year", title=HOSTILE, description=HOSTILE).svg)
    assert root[0].text == HOSTILE_AS_READ
    assert root[1].text == HOSTILE_AS_READ
