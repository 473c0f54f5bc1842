"""A learner's own progress: counts, forecast, activity, retention, streaks, weak topics."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required
from sqlalchemy.exc import OperationalError

from ..access import deck_for_study
from ..extensions import db
from ..gcpause import cycle_collector_paused
from ..models import utcnow
from ..services import history_days, personal_params, progress
from ..stats import charts

bp = Blueprint("progress", __name__, url_prefix="/progress")


def figure_charts(figures, key: str) -> dict:
    forecast = charts.bar_chart(
        [(d.day.strftime("%b %d"), d.count) for d in figures.forecast],
        chart_id=f"forecast-{key}",
        title="Cards due in the next 30 days",
        description="Number of card reviews due on each of the next 30 days; overdue cards "
        "are counted today.",
        x_label="Day",
        y_label="Cards due",
    )
    retention = charts.line_chart(
        [
            (w.last_day.strftime("%b %d"), w.tally.retention)
            for w in figures.retention_by_week
        ],
        chart_id=f"retention-{key}",
        title="True retention per week",
        description="Share of reviews of already-learned cards answered correctly, per week.",
        x_label="Week ending",
        y_label="Retention",
        y_max=1.0,
        format_value=charts.percent,
    )
    activity = charts.heatmap(
        [(d.day, d.count) for d in figures.reviews_per_day],
        chart_id=f"heatmap-{key}",
        title="Reviews per day over the last year",
        description="One square per day; darker squares mean more reviews that day.",
    )
    outlook = charts.bar_chart(
        [(t.tag, t.outlook.today) for t in figures.topics if t.outlook.today is not None],
        chart_id=f"outlook-{key}",
        title="Expected retention today by topic",
        description="For each topic, the mean probability of recalling its studied cards "
        "today, estimated by the FSRS memory model from your answers.",
        x_label="Topic",
        y_label="Expected retention",
        format_value=charts.percent,
    )
    return {
        "forecast": forecast, "retention": retention, "activity": activity, "outlook": outlook,
    }


NO_REVIEWS = "No reviews yet."


def empty_chart_messages(figures) -> dict[str, str | None]:
    """What to say instead of drawing a chart with nothing in it."""
    reviewed = any(day.count for day in figures.reviews_per_day)
    studied = figures.stages.total > figures.stages.new + figures.stages.retired
    forecast = None
    if not any(day.count for day in figures.forecast):
        forecast = "Nothing due in the next 30 days." if studied else NO_REVIEWS
    retention = None
    if not any(week.tally.retention is not None for week in figures.retention_by_week):
        retention = NO_REVIEWS if not reviewed else (
            "No reviews of learned cards yet: retention counts cards seen again after a day."
        )
    outlook = None
    if not any(t.outlook.cards for t in figures.topics):
        outlook = NO_REVIEWS if not figures.outlook.cards else "No tagged cards studied yet."
    return {"forecast": forecast, "retention": retention,
            "activity": None if reviewed else NO_REVIEWS, "outlook": outlook}


def sum_closed_days(now) -> None:
    """The learner's ended days summed once (services.history_days), committed before the
    page is read. Only a shortcut: should the database stay busy (SQLite, another writer
    past the busy timeout), the page sums those days from the log instead."""
    try:
        if history_days.sum_closed_days(current_user, now):
            db.session.commit()
    except OperationalError:
        db.session.rollback()


@bp.get("/")
@login_required
@cycle_collector_paused()
def overview():
    now = utcnow()
    sum_closed_days(now)
    decks = progress.learner_decks(current_user)
    summary = progress.learner_summary(current_user, decks, now)
    return render_template(
        "progress/overview.html",
        summary=summary,
        figures=summary.overall,
        deck=None,
        titles={deck.id: deck.title for deck in decks},
        charts=figure_charts(summary.overall, "all"),
        empty=empty_chart_messages(summary.overall),
    )


@bp.get("/decks/<int:deck_id>")
@login_required
@cycle_collector_paused()
def deck(deck_id: int):
    """The same figures for one deck (any deck the learner may study)."""
    now = utcnow()
    sum_closed_days(now)
    shown = deck_for_study(deck_id)
    summary = progress.learner_summary(current_user, [shown], now)
    return render_template(
        "progress/overview.html",
        summary=summary,
        figures=summary.decks[0],
        deck=shown,
        titles={shown.id: shown.title},
        charts=figure_charts(summary.decks[0], f"deck-{shown.id}"),
        empty=empty_chart_messages(summary.decks[0]),
        parameters=personal_params.status(current_user, shown),
    )
