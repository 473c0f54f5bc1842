"""What an instructor sees of a class: each student's progress and the cards the class finds hard.

Pure Python. The web layer passes the roster, the cards of the decks assigned to the class,
each student's card states and the class's reviews; anything outside the roster or the
assigned cards is ignored, so a student's private decks never show up here.
"""

from __future__ import annotations

import csv
import heapq
import io
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from quizapp.formats.csv_export import neutralize_formula
from quizapp.scheduling.day import zone
from quizapp.scheduling.fsrs_scheduler import DEFAULT_PARAMETERS
from quizapp.stats.activity import RetentionCount, Review, Tally, counts_for_retention, is_pass
from quizapp.stats.learner import SideState, Stage, card_stage
from quizapp.stats.memory import (
    ForgettingCurve,
    Outlook,
    OutlookSum,
    Parameters,
    recall_now_and_in_week,
)

FORGOTTEN_COUNT = 10
# The dashboard lists this many of the hardest cards; the full list is a page of its own.
HARDEST_SHOWN = 20


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
    tags: tuple[str, ...] = ()


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
class TopicOutlook:
    """The class's expected retention of one tag: ``outlook.cards`` counts (student, side)
    pairs with a memory state."""

    tag: str
    outlook: Outlook


@dataclass(frozen=True)
class ForgettingCard:
    """A side and its mean probability of recall over the students who have answered it."""

    card_id: int
    ordinal: int
    deck_id: int
    prompt: str
    outlook: Outlook


@dataclass(frozen=True)
class ClassDashboard:
    students: tuple[StudentProgress, ...]
    cards: tuple[CardDifficulty, ...]
    topics: tuple[TopicOutlook, ...] = ()
    forgotten: tuple[ForgettingCard, ...] = ()

    @property
    def answered(self) -> tuple[CardDifficulty, ...]:
        """The cards someone answered, hardest first (the unanswered ones come last)."""
        return tuple(card for card in self.cards if card.answers)


@dataclass
class StudentTotals:
    reviews: int = 0
    retention: RetentionCount = field(default_factory=RetentionCount)
    last_active: datetime | None = None
    studied: int = 0
    mastered: int = 0


@dataclass
class CardTotals:
    answers: int = 0
    wrong: int = 0
    students: int = 0
    distractors: Counter[str] = field(default_factory=Counter)


@dataclass
class ClassTotals:
    """What the dashboard is drawn from: per student, per card id, and the recall
    probabilities summed per (card id, ordinal). Built in Python by :func:`fold_class` or
    summed by the database."""

    students: dict[int, StudentTotals] = field(default_factory=lambda: defaultdict(StudentTotals))
    cards: dict[int, CardTotals] = field(default_factory=lambda: defaultdict(CardTotals))
    recall: dict[tuple[int, int], OutlookSum] = field(
        default_factory=lambda: defaultdict(OutlookSum)
    )


def class_dashboard(
    students: Iterable[Student],
    cards: Iterable[ClassCard],
    states_by_student: Mapping[int, Iterable[SideState]],
    reviews: Iterable[ClassReview],
    now: datetime | None = None,
    parameters: Parameters = DEFAULT_PARAMETERS,
) -> ClassDashboard:
    """Students by name; cards hardest first (highest error rate, then most wrong answers).

    Studied means the card has left "new" and is not retired; mastered means mature (the
    stage its scheduler gives it). Cards nobody has answered come last. With ``now``, the
    expected retention per topic and the sides most likely forgotten (lowest mean probability
    of recall) too.
    """
    roster = list(students)
    cards = list(cards)
    totals = fold_class(roster, cards, states_by_student, reviews, now, parameters)
    return dashboard_from_totals(roster, cards, totals)


def fold_class(
    roster: Iterable[Student],
    cards: Iterable[ClassCard],
    states_by_student: Mapping[int, Iterable[SideState]],
    reviews: Iterable[ClassReview],
    now: datetime | None,
    parameters: Parameters = DEFAULT_PARAMETERS,
) -> ClassTotals:
    """The totals of the roster's reviews and states on the assigned cards (the others are
    ignored, so a student's private decks never show up here)."""
    members = {student.user_id for student in roster}
    assigned = {card.card_id for card in cards}
    totals = ClassTotals()
    forgetting = ForgettingCurve(parameters)
    answered_by: dict[int, set[int]] = defaultdict(set)
    for class_review in reviews:
        user_id, review = class_review.user_id, class_review.review
        if user_id not in members or review.card_id not in assigned:
            continue
        student = totals.students[user_id]
        student.reviews += 1
        if counts_for_retention(review):
            student.retention.add(is_pass(review))
        if student.last_active is None or review.answered_at > student.last_active:
            student.last_active = review.answered_at
        card = totals.cards[review.card_id]
        card.answers += 1
        answered_by[review.card_id].add(user_id)
        if not is_pass(review):
            card.wrong += 1
            if class_review.response is not None:
                card.distractors[class_review.response] += 1
    for card_id, users in answered_by.items():
        totals.cards[card_id].students = len(users)
    for user_id in members:
        for state in states_by_student.get(user_id, ()):
            if state.card_id not in assigned:
                continue
            stage = card_stage(state)
            if stage in (Stage.LEARNING, Stage.YOUNG, Stage.MATURE):
                totals.students[user_id].studied += 1
                totals.students[user_id].mastered += stage is Stage.MATURE
            if now is not None and state.memory is not None and not state.retired:
                chances = recall_now_and_in_week(state.memory, now, forgetting)
                totals.recall[state.card_id, state.ordinal].add(*chances)
    return totals


def dashboard_from_totals(
    roster: Iterable[Student], cards: Iterable[ClassCard], totals: ClassTotals
) -> ClassDashboard:
    sides = {(card.card_id, card.ordinal): card for card in cards}
    # One row per card in the difficulty table, whichever side was answered.
    assigned = {card.card_id: card for card in sides.values()}
    progress = []
    for student in {student.user_id: student for student in roster}.values():
        figures = totals.students.get(student.user_id) or StudentTotals()
        progress.append(
            StudentProgress(
                user_id=student.user_id,
                name=student.name,
                cards_assigned=len(assigned),
                cards_studied=figures.studied,
                cards_mastered=figures.mastered,
                reviews=figures.reviews,
                tally=figures.retention.frozen(),
                last_active=figures.last_active,
            )
        )
    progress.sort(key=lambda row: (row.name.casefold(), row.user_id))

    difficulties = []
    for card_id, card in assigned.items():
        answered = totals.cards.get(card_id) or CardTotals()
        picked = _most_picked(answered.distractors)
        difficulties.append(
            CardDifficulty(
                card_id=card_id,
                ordinal=card.ordinal,
                deck_id=card.deck_id,
                prompt=card.prompt,
                answers=answered.answers,
                wrong=answered.wrong,
                students=answered.students,
                top_distractor=picked[0] if picked else None,
                top_distractor_picks=picked[1] if picked else 0,
            )
        )
    difficulties.sort(key=_hardest_first)
    return ClassDashboard(
        students=tuple(progress),
        cards=tuple(difficulties),
        topics=_topic_outlooks(sides, totals.recall),
        forgotten=_most_forgotten(sides, totals.recall),
    )


def _topic_outlooks(
    sides: Mapping[tuple[int, int], ClassCard], recall: Mapping[tuple[int, int], OutlookSum]
) -> tuple[TopicOutlook, ...]:
    per_tag: dict[str, OutlookSum] = defaultdict(OutlookSum)
    for key, summed in recall.items():
        card = sides.get(key)
        for tag in card.tags if card is not None else ():
            per_tag[tag].merge(summed)
    return tuple(TopicOutlook(tag, per_tag[tag].outlook()) for tag in sorted(per_tag))


def _most_forgotten(
    sides: Mapping[tuple[int, int], ClassCard], recall: Mapping[tuple[int, int], OutlookSum]
) -> tuple[ForgettingCard, ...]:
    known = [
        (key, summed.outlook()) for key, summed in recall.items()
        if key in sides and summed.cards
    ]
    lowest = heapq.nsmallest(
        FORGOTTEN_COUNT, known, key=lambda pair: (pair[1].today, pair[0])
    )
    return tuple(
        ForgettingCard(card_id, ordinal, sides[card_id, ordinal].deck_id,
                       sides[card_id, ordinal].prompt, outlook)
        for (card_id, ordinal), outlook in lowest
    )


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
