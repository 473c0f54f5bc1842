"""The simulator's comparison of SM-2 and FSRS, as figures a page, a command and a benchmark
share: one row per scheduler, a plain-text table, and the one-line headline for a deck (pure).

The headline compares FSRS at 0.9 with SM-2 on what the simulator measures: total reviews over
the run and true retention on the last checkpoint day (see :mod:`.simulate`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .registry import SchedulerSettings
from .simulate import SchedulerResult, SimulationConfig

COMPARED: tuple[tuple[str, SchedulerSettings], ...] = (
    ("SM-2", SchedulerSettings("sm2")),
    ("FSRS 0.80", SchedulerSettings("fsrs", desired_retention=0.8)),
    ("FSRS 0.90", SchedulerSettings("fsrs", desired_retention=0.9)),
    ("FSRS 0.95", SchedulerSettings("fsrs", desired_retention=0.95)),
)
BASELINE, HEADLINE = "SM-2", "FSRS 0.90"
STANDARD_CHECKPOINTS = (30, 90, 365)
REPORT_JSON_VERSION = 1


@dataclass(frozen=True)
class Row:
    """One scheduler's figures, per simulated student (means)."""

    label: str
    reviews: float
    per_day: float
    peak_day: float
    hours: float
    vs_baseline: float  # total reviews relative to the baseline's, minus 1
    retention: tuple[tuple[int, float], ...]  # (day, true retention at the end of it)


@dataclass(frozen=True)
class Report:
    students: int
    days: int
    cards: int
    rows: tuple[Row, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "v": REPORT_JSON_VERSION,
            "students": self.students,
            "days": self.days,
            "cards": self.cards,
            "rows": [
                {**row.__dict__, "retention": [list(pair) for pair in row.retention]}
                for row in self.rows
            ],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Report:
        if data.get("v") != REPORT_JSON_VERSION:
            raise ValueError("not a version 1 simulation report")
        rows = tuple(
            Row(**{**row, "retention": tuple((int(d), float(r)) for d, r in row["retention"])})
            for row in data["rows"]
        )
        return cls(int(data["students"]), int(data["days"]), int(data["cards"]), rows)

    def row(self, label: str) -> Row:
        return next(row for row in self.rows if row.label == label)

    def headline(self) -> str:
        """"FSRS at 0.9: 31 % fewer reviews than SM-2; retention on day 365 92 % vs 88 %"."""
        base, fsrs = self.row(BASELINE), self.row(HEADLINE)
        change = round(fsrs.vs_baseline, 2)
        if change == 0:
            cost = "about as many reviews as SM-2"
        else:
            cost = f"{abs(change):.0%} {'fewer' if change < 0 else 'more'} reviews than SM-2"
        day, fsrs_retention = fsrs.retention[-1]
        base_retention = dict(base.retention)[day]
        return (
            f"FSRS at 0.9: {cost.replace('%', ' %')}; true retention on day {day} "
            f"{_pct(fsrs_retention)} vs {_pct(base_retention)} under SM-2"
        )


def checkpoints_for(days: int) -> tuple[int, ...]:
    """The standard checkpoint days that fit in a run, and always its last day."""
    return tuple(sorted({day for day in STANDARD_CHECKPOINTS if day <= days} | {days}))


def report(results: Sequence[SchedulerResult], config: SimulationConfig) -> Report:
    baseline = results[0].total_reviews or 1.0
    rows = tuple(
        Row(
            label=result.label,
            reviews=result.total_reviews,
            per_day=result.total_reviews / config.days,
            peak_day=max(result.reviews_per_day),
            hours=result.total_hours,
            vs_baseline=result.total_reviews / baseline - 1,
            retention=tuple((day, result.retention_on(day)) for day in config.checkpoints),
        )
        for result in results
    )
    return Report(config.students, config.days, config.cards, rows)


def text_table(summary: Report) -> str:
    """The report as an aligned plain-text table."""
    headers = ["scheduler", "reviews", "per day", "peak day", "hours", "vs SM-2"] + [
        f"retention d{day}" for day, _ in summary.rows[0].retention
    ]
    cells = [headers] + [
        [
            row.label,
            f"{row.reviews:,.0f}",
            f"{row.per_day:.1f}",
            f"{row.peak_day:.0f}",
            f"{row.hours:.1f}",
            f"{row.vs_baseline:+.0%}",
            *(_pct(value) for _, value in row.retention),
        ]
        for row in summary.rows
    ]
    widths = [max(len(line[i]) for line in cells) for i in range(len(headers))]
    lines = [
        "  ".join(
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(line, widths, strict=True))
        )
        for line in cells
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _pct(value: float) -> str:
    return f"{value:.1%}".replace("%", " %")
