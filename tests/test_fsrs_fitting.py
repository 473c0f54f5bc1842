"""Fitting personal FSRS parameters (pure): items, the held-out split, the fit itself."""

from __future__ import annotations

import math
from datetime import date, timedelta
from types import SimpleNamespace

import pytest

from quizapp.scheduling.conversions import fsrs_rating_of
from quizapp.scheduling.fitting import (
    DISTANT_LEARNER,
    FitFailed,
    PastReview,
    by_card,
    fit,
    folds_of,
    items_for,
    log_loss,
    steps_of,
    synthetic_history,
)
from quizapp.scheduling.fsrs_scheduler import DEFAULT_PARAMETERS


@pytest.fixture(scope="module")
def learner_history():
    return synthetic_history(DISTANT_LEARNER, cards=400, answers_per_card=8, seed=7)


@pytest.fixture(scope="module")
def fitted(learner_history):
    return fit(learner_history)


def test_a_logged_answer_becomes_an_anki_button():
    ratings = [fsrs_rating_of(SimpleNamespace(grade=grade, scheduler="sm2"))
               for grade in range(6)]
    assert ratings == [1, 1, 1, 2, 3, 4]
    fsrs_ratings = [fsrs_rating_of(SimpleNamespace(grade=rating, scheduler="fsrs"))
                    for rating in range(1, 5)]
    assert fsrs_ratings == [1, 2, 3, 4]
    with pytest.raises(ValueError):
        fsrs_rating_of(SimpleNamespace(grade=6, scheduler="sm2"))


def test_items_carry_learner_days_between_answers():
    start = date(2026, 3, 1)
    answers = [PastReview("c", start + timedelta(days=d), r) for d, r in
               ((0, 3), (0, 1), (2, 3), (9, 4))]
    steps = steps_of(answers)
    assert steps == ((3, 0), (1, 0), (3, 2), (4, 7))
    assert items_for(steps) == [steps[:2], steps[:3], steps]  # one per answer after the first


def test_answers_are_grouped_by_card_in_day_order_keeping_same_day_order():
    start = date(2026, 3, 1)
    history = [PastReview("b", start + timedelta(days=5), 3), PastReview("a", start, 2),
               PastReview("b", start, 1), PastReview("b", start, 4)]
    cards = by_card(history)
    assert [r.rating for r in cards["b"]] == [1, 4, 3]
    assert [r.rating for r in cards["a"]] == [2]


def test_cards_are_dealt_into_reproducible_folds_none_empty():
    folds = folds_of(range(100))
    assert [len(fold) for fold in folds] == [20] * 5
    assert sorted(card for fold in folds for card in fold) == list(range(100))
    assert folds == folds_of(reversed(range(100)))
    assert sorted(folds_of(["x", "y"])) == [["x"], ["y"]]


def test_the_fit_beats_the_defaults_on_answers_it_never_saw(fitted, learner_history):
    assert fitted.reviews == len(learner_history) == 3200
    assert fitted.improved and fitted.log_loss_fitted < fitted.log_loss_default


def test_the_fit_finds_its_way_back_to_the_parameters_that_made_the_history(fitted):
    def off(parameters):  # mean factor by which the four initial stabilities miss, in log
        return sum(abs(math.log(parameters[i] / DISTANT_LEARNER[i])) for i in range(4)) / 4

    assert off(fitted.parameters) < off(DEFAULT_PARAMETERS) / 2
    true_decay = DISTANT_LEARNER[20]
    assert abs(fitted.parameters[20] - true_decay) < abs(DEFAULT_PARAMETERS[20] - true_decay)


def test_the_fitted_parameters_score_close_to_the_true_ones(fitted, learner_history):
    cards = [steps_of(answers) for answers in by_card(learner_history).values()]
    true_loss = log_loss(DISTANT_LEARNER, cards)
    assert log_loss(fitted.parameters, cards) - true_loss < 0.3 * (
        log_loss(DEFAULT_PARAMETERS, cards) - true_loss
    )
    assert log_loss(DEFAULT_PARAMETERS, cards) == pytest.approx(
        log_loss(DEFAULT_PARAMETERS, cards[::-1]), abs=1e-12)


def test_a_history_without_later_day_reviews_cannot_be_fitted():
    day = date(2026, 3, 1)
    same_day = [PastReview(card, day, 3) for card in range(50) for _ in range(3)]
    with pytest.raises(FitFailed, match="too few reviews on a later day"):
        fit(same_day)
