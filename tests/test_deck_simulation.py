"""The learner simulator for instructors: ``flask sched simulate`` and the deck settings page."""

from __future__ import annotations

import re

import pytest
from conftest import csrf_token, make_user
from sqlalchemy import func, select
from study_helpers import basic, make_deck

from quizapp.extensions import db
from quizapp.models import DeckSimulation, Job
from quizapp.scheduling.simulate import SimulationConfig, simulate
from quizapp.scheduling.simulation_report import COMPARED, Report, report, text_table

LABELS = ("SM-2", "FSRS 0.80", "FSRS 0.90", "FSRS 0.95")


@pytest.fixture
def small_runs(app, monkeypatch):
    monkeypatch.setitem(app.config, "QUIZAPP_SIMULATION_STUDENTS", 2)
    monkeypatch.setitem(app.config, "QUIZAPP_SIMULATION_DAYS", 40)


@pytest.fixture(scope="module")
def summary():
    config = SimulationConfig(cards=30, students=2, days=40, checkpoints=(30, 40))
    return report(simulate(COMPARED, config), config)


def test_the_report_compares_every_scheduler_with_sm2(summary):
    assert [row.label for row in summary.rows] == list(LABELS)
    sm2, fsrs = summary.row("SM-2"), summary.row("FSRS 0.90")
    assert sm2.vs_baseline == 0
    assert fsrs.vs_baseline == pytest.approx(fsrs.reviews / sm2.reviews - 1)
    assert [day for day, _ in fsrs.retention] == [30, 40]
    # More desired retention costs more reviews.
    assert summary.row("FSRS 0.80").reviews < fsrs.reviews < summary.row("FSRS 0.95").reviews
    headline = summary.headline()
    change = round(fsrs.vs_baseline, 2)
    assert headline.startswith(
        "FSRS at 0.9: about as many reviews as SM-2;" if change == 0 else
        f"FSRS at 0.9: {abs(change):.0%} {'fewer' if change < 0 else 'more'}".replace("%", " %")
    )
    assert f"true retention on day 40 {dict(fsrs.retention)[40]:.1%}".replace("%", " %") in headline
    assert Report.from_json(summary.to_json()) == summary


def test_the_text_table_has_a_line_per_scheduler(summary):
    lines = text_table(summary).splitlines()
    assert lines[0].split()[:2] == ["scheduler", "reviews"] and "retention d40" in lines[0]
    assert set(lines[1]) <= {"-", " "}
    assert [line.split("  ")[0].strip() for line in lines[2:]] == list(LABELS)


def test_the_command_prints_the_table(app):
    result = app.test_cli_runner().invoke(
        args=["sched", "simulate", "--days", "40", "--learners", "2", "--seed", "3"]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == ("82 cards (the shipped deck's size), 20 new and at most 200 reviews "
                        "a day; 2 simulated students, 40 days, seed 3")
    assert "retention d30" in lines[1] and "retention d40" in lines[1]
    assert [line.split("  ")[0].strip() for line in lines[3:7]] == list(LABELS)
    assert lines[7].startswith("FSRS at 0.9: ")


def test_the_command_runs_a_deck_from_the_database(app, instructor):
    deck = make_deck([basic(f"c{n}") for n in range(12)], title="Small", new_per_day=5,
                     owner=instructor)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["sched", "simulate", "--deck", str(deck.id), "--days", "30",
                                 "--learners", "1"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Deck 'Small': 12 cards, 5 new and at most 200 reviews")
    missing = runner.invoke(args=["sched", "simulate", "--deck", "No such deck"])
    assert missing.exit_code == 1 and "no deck with id or title 'No such deck'" in missing.output


def run_simulator(client, deck):
    token = csrf_token(client, f"/decks/{deck.id}/settings")
    return client.post(f"/decks/{deck.id}/simulation", data={"csrf_token": token})


def test_the_settings_page_shows_this_decks_figures(client, auth, instructor, small_runs):
    deck = make_deck([basic(f"c{n}") for n in range(25)], owner=instructor, new_per_day=10)
    auth.login(instructor.email)
    page = client.get(f"/decks/{deck.id}/settings").get_data(as_text=True)
    assert 'id="simulation-empty"' in page and "Run the simulator" in page
    response = run_simulator(client, deck)  # the test queue runs the job inside the request
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/decks/{deck.id}/settings#simulation")
    job = db.session.scalars(select(Job)).one()
    assert (job.kind, job.status, job.deck_id) == ("simulate", "done", deck.id)
    stored = db.session.get(DeckSimulation, deck.id)
    shown = Report.from_json(stored.results)
    assert (shown.cards, shown.students, shown.days) == (25, 2, 40)
    page = client.get(f"/decks/{deck.id}/settings").get_data(as_text=True)
    headline = re.search(r'id="simulation-headline"><strong>([^<]+)<', page).group(1)
    assert headline == shown.headline().replace("'", "&#39;")
    table = page[page.index('id="simulation-table"'):page.index("</table>")]
    assert [label for label in LABELS if f'<th scope="row">{label}</th>' in table] == list(LABELS)
    assert "Retention day 30" in table and "Retention day 40" in table
    assert 'id="simulation-stale"' not in page


def test_changing_the_deck_marks_the_figures_out_of_date(client, auth, instructor, small_runs):
    deck = make_deck([basic(f"c{n}") for n in range(10)], owner=instructor)
    auth.login(instructor.email)
    run_simulator(client, deck)
    deck.reviews_per_day = 50
    db.session.commit()
    page = client.get(f"/decks/{deck.id}/settings").get_data(as_text=True)
    assert 'id="simulation-stale"' in page and "Run the simulator again" in page


def test_only_the_decks_editor_runs_the_simulator(client, auth, instructor, learner, small_runs):
    deck = make_deck([basic("a")], owner=instructor)
    make_user("other@example.org", "instructor")
    for email in (learner.email, "other@example.org"):
        auth.login(email)
        token = csrf_token(client, "/")
        assert client.post(f"/decks/{deck.id}/simulation",
                           data={"csrf_token": token}).status_code == 403
        auth.logout()
    assert db.session.scalar(select(func.count(Job.id))) == 0


def test_a_deck_without_cards_is_refused_with_a_message(client, auth, instructor, small_runs):
    deck = make_deck([basic("a")], owner=instructor)
    deck.cards[0].retired = True
    db.session.commit()
    auth.login(instructor.email)
    response = run_simulator(client, deck)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "This deck has no cards to simulate yet." in page
    assert db.session.scalar(select(func.count(Job.id))) == 0


@pytest.mark.parametrize(("limit", "message"), [
    ("new_per_day", "This deck introduces no new cards per day: nothing to simulate."),
    ("reviews_per_day", "This deck allows no reviews per day: nothing to simulate."),
])
def test_a_daily_limit_of_zero_is_refused_with_a_message(client, auth, instructor, small_runs,
                                                          limit, message):
    deck = make_deck([basic(f"c{n}") for n in range(5)], owner=instructor)
    setattr(deck, limit, 0)  # a valid setting: the deck is paused for new cards or reviews
    db.session.commit()
    auth.login(instructor.email)
    settings = client.get(f"/decks/{deck.id}/settings")
    assert settings.status_code == 200 and message in settings.get_data(as_text=True)
    response = run_simulator(client, deck)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert message in page
    assert db.session.scalar(select(func.count(Job.id))) == 0
