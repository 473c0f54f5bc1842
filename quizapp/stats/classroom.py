"""What an instructor sees of a class: each student's progress and the cards the class finds hard.

Pure Python. The web layer passes the roster, the cards of the decks assigned to the class,
each student's card states and the class's reviews; anything outside the roster or the
assigned cards is ignored, so a student's private decks never show up here.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from quizapp.formats.csv_export import neutralize_formula
from quizapp.scheduling.day import zone
from quizapp.stats.learner import (
    Review,
    SideState,
    Stage,
    Tally,
    card_stage,
    counts_for_retention,
    is_pass,
)


@dataclass(frozen=True)
class Student:
    user_id: int
    name: str


@dataclass(frozen=True)
class ClassCard:
    card_id: int
    ordinal: int
    deck_id: int
    prompt: str


@dataclass(frozen=True)
class ClassReview:
    """A review by one student; ``response`` is the multiple-choice option they picked, if any."""

    user_id: int
    review: Review
    response: str | None = None


@dataclass(frozen=True)
class StudentProgress:
    user_id: int
    name: str
    cards_assigned: int
    cards_studied: int
    cards_mastered: int
    reviews: int
    tally: Tally
    last_active: datetime | None


@dataclass(frozen=True)
class CardDifficulty:
    """How the class answered one card, cram reviews included: a wrong answer is wrong."""

    card_id: int
    ordinal: int
    deck_id: int
    prompt: str
    answers: int
    wrong: int
    students: int
    top_distractor: str | None
    top_distractor_picks: int

    @property
    def error_rate(self) -> float | None:
        return self.wrong / self.answers if self.answers else None


@dataclass(frozen=True)
class ClassDashboard:
    students: tuple[StudentProgress, ...]
    cards: tuple[CardDifficulty, ...]


def class_dashboard(
    students: Iterable[Student],
    cards: Iterable[ClassCard],
    states_by_student: Mapping[int, Iterable[SideState]],
    reviews: Iterable[ClassReview],
) -> ClassDashboard:
    """Students by name; cards hardest first (highest error rate, then most wrong answers).

    Studied means the card has left "new" and is not retired; mastered means mature, an
    interval of 21 days or more. Cards nobody has answered come last.
    """
    roster = {student.user_id: student for student in students}
    assigned = {card.card_id: card for card in cards}

    review_count: Counter[int] = Counter()
    retention_reviews: Counter[int] = Counter()
    retention_passed: Counter[int] = Counter()
    last_active: dict[int, datetime] = {}
    answers: Counter[int] = Counter()
    wrong: Counter[int] = Counter()
    answered_by: dict[int, set[int]] = defaultdict(set)
    distractors: dict[int, Counter[str]] = defaultdict(Counter)
    for class_review in reviews:
        user_id, review = class_review.user_id, class_review.review
        if user_id not in roster or review.card_id not in assigned:
            continue
        review_count[user_id] += 1
        if counts_for_retention(review):
            retention_reviews[user_id] += 1
            retention_passed[user_id] += is_pass(review)
        if user_id not in last_active or review.answered_at > last_active[user_id]:
            last_active[user_id] = review.answered_at

        answers[review.card_id] += 1
        answered_by[review.card_id].add(user_id)
        if not is_pass(review):
            wrong[review.card_id] += 1
            if class_review.response is not None:
                distractors[review.card_id][class_review.response] += 1

    progress = []
    for user_id, student in roster.items():
        stages = Counter(
            card_stage(state)
            for state in states_by_student.get(user_id, ())
            if state.card_id in assigned
        )
        progress.append(
            StudentProgress(
                user_id=user_id,
                name=student.name,
                cards_assigned=len(assigned),
                cards_studied=stages[Stage.LEARNING] + stages[Stage.YOUNG] + stages[Stage.MATURE],
                cards_mastered=stages[Stage.MATURE],
                reviews=review_count[user_id],
                tally=Tally(retention_reviews[user_id], retention_passed[user_id]),
                last_active=last_active.get(user_id),
            )
        )
    progress.sort(key=lambda row: (row.name.casefold(), row.user_id))

    difficulties = []
    for card_id, card in assigned.items():
        picked = _most_picked(distractors.get(card_id, Counter()))
        difficulties.append(
            CardDifficulty(
                card_id=card_id,
                ordinal=card.ordinal,
                deck_id=card.deck_id,
                prompt=card.prompt,
                answers=answers[card_id],
                wrong=wrong[card_id],
                students=len(answered_by.get(card_id, ())),
                top_distractor=picked[0] if picked else None,
                top_distractor_picks=picked[1] if picked else 0,
            )
        )
    difficulties.sort(key=_hardest_first)
    return ClassDashboard(students=tuple(progress), cards=tuple(difficulties))


def _most_picked(picks: Counter[str]) -> tuple[str, int] | None:
    """The most picked option; ties go to the alphabetically first so the page is stable."""
    if not picks:
        return None
    return min(picks.items(), key=lambda item: (-item[1], item[0]))


def _hardest_first(card: CardDifficulty) -> tuple[bool, float, int, int, int]:
    rate = card.error_rate
    return (rate is None, -(rate or 0.0), -card.wrong, card.deck_id, card.ordinal)


CSV_HEADER = (
    "Student",
    "Cards assigned",
    "Cards studied",
    "Cards mastered",
    "Reviews",
    "Retention (%)",
    "Last active",
)

# A spreadsheet treats a cell starting with one of these as a formula (OWASP's list).
def class_csv(dashboard: ClassDashboard, tz_name: str | None) -> str:
    """The students table as CSV, last activity in the instructor's zone as YYYY-MM-DD HH:MM."""
    local_zone = zone(tz_name)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    for row in dashboard.students:
        retention = row.tally.retention
        last_active = (
            row.last_active.astimezone(local_zone).strftime("%Y-%m-%d %H:%M")
            if row.last_active is not None
            else ""
        )
        cells = (
            row.name,
            str(row.cards_assigned),
            str(row.cards_studied),
            str(row.cards_mastered),
            str(row.reviews),
            "" if retention is None else f"{retention * 100:.1f}",
            last_active,
        )
        writer.writerow([neutralize_formula(cell) for cell in cells])
    return buffer.getvalue()
