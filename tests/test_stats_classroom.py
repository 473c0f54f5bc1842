import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

from quizapp.scheduling.sm2 import Sm2State
from quizapp.scheduling.sm2_scheduler import Sm2Scheduler
from quizapp.stats.classroom import (
    CSV_HEADER,
    ClassCard,
    ClassReview,
    Student,
    StudentProgress,
    class_csv,
    class_dashboard,
)
from quizapp.stats.learner import Review, SideState, Tally

ANA, BOB, CHEN, OUTSIDER = 1, 2, 3, 99
ROSTER = [Student(CHEN, "Chen"), Student(BOB, "bob"), Student(ANA, "Ana")]
CARDS = [
    ClassCard(10, 1, 1, "Capital of France?"),
    ClassCard(11, 2, 1, "Pick the odd one out"),
    ClassCard(12, 1, 2, "2 + 2"),
    ClassCard(13, 2, 2, "Never answered"),
]
UNASSIGNED_CARD = 50


def state(card_id, *, repetitions=2, interval=3, retired=False):
    due = date(2025, 3, 20)
    return SideState(
        card_id=card_id,
        ordinal=1,
        deck_id=1,
        tags=(),
        stage=Sm2Scheduler().stage(Sm2State(Decimal("2.5"), interval, repetitions, due, 0)),
        easiness=Decimal("2.5"),
        due=due,
        lapses=0,
        retired=retired,
        prompt="",
    )


STATES = {
    ANA: [state(10, interval=25), state(11, interval=3), state(UNASSIGNED_CARD, interval=40)],
    BOB: [state(10, repetitions=0, interval=1), state(12, interval=30, retired=True)],
    OUTSIDER: [state(10, interval=40)],
}


def answer(user_id, card_id, grade, when, *, response=None, learned=True, cram=False):
    review = Review(
        card_id=card_id,
        ordinal=1,
        deck_id=1,
        answered_at=when,
        passed=grade >= 3,
        duration_ms=1000,
        stage_before="young" if learned else "new",
        interval_before=10 if learned else 0,
        cram=cram,
    )
    return ClassReview(user_id=user_id, review=review, response=response)


ANA_LAST = datetime(2025, 3, 11, 22, 30, tzinfo=UTC)
BOB_LAST = datetime(2025, 3, 12, 1, 15, tzinfo=UTC)
CHEN_LAST = datetime(2025, 3, 8, 10, 0, tzinfo=UTC)
EARLIER = datetime(2025, 3, 7, 9, 0, tzinfo=UTC)

REVIEWS = [
    answer(ANA, 10, 5, EARLIER),
    answer(BOB, 10, 1, EARLIER, response="Lyon"),
    answer(BOB, 10, 2, EARLIER, response="Lyon", learned=False),
    answer(CHEN, 10, 0, CHEN_LAST, response="Marseille", learned=False),
    answer(OUTSIDER, 10, 0, EARLIER, response="Nice"),
    answer(ANA, 11, 2, ANA_LAST, response="B"),
    answer(ANA, 11, 2, EARLIER, response="A"),
    answer(ANA, 11, 4, EARLIER),
    answer(BOB, 12, 0, BOB_LAST, cram=True),
    answer(ANA, UNASSIGNED_CARD, 0, datetime(2025, 3, 12, 23, 0, tzinfo=UTC)),
]


def dashboard():
    return class_dashboard(ROSTER, CARDS, STATES, REVIEWS)


def test_student_progress_on_the_assigned_decks_sorted_by_name():
    assert dashboard().students == (
        StudentProgress(ANA, "Ana", 4, 2, 1, 4, Tally(4, 2), ANA_LAST),
        StudentProgress(BOB, "bob", 4, 1, 0, 3, Tally(1, 0), BOB_LAST),
        StudentProgress(CHEN, "Chen", 4, 0, 0, 1, Tally(0, 0), CHEN_LAST),
    )


def test_cards_hardest_first_with_the_most_picked_distractor():
    cards = dashboard().cards
    assert [card.card_id for card in cards] == [12, 10, 11, 13]
    cram_only, capital, odd_one_out, unanswered = cards

    assert (cram_only.answers, cram_only.wrong, cram_only.students) == (1, 1, 1)
    assert cram_only.error_rate == 1.0
    assert cram_only.top_distractor is None
    assert cram_only.top_distractor_picks == 0

    # The outsider's answer is not part of the class.
    assert (capital.answers, capital.wrong, capital.students) == (4, 3, 3)
    assert capital.error_rate == 0.75
    assert (capital.top_distractor, capital.top_distractor_picks) == ("Lyon", 2)
    assert capital.prompt == "Capital of France?"

    assert (odd_one_out.answers, odd_one_out.wrong, odd_one_out.students) == (3, 2, 1)
    assert odd_one_out.error_rate == 2 / 3
    # A tie between "A" and "B" goes to the alphabetically first option.
    assert (odd_one_out.top_distractor, odd_one_out.top_distractor_picks) == ("A", 1)

    assert (unanswered.answers, unanswered.students) == (0, 0)
    assert unanswered.error_rate is None


def test_equal_error_rates_rank_the_card_with_more_wrong_answers_first():
    cards = [ClassCard(1, 1, 1, "few"), ClassCard(2, 2, 1, "many")]
    reviews = [
        answer(ANA, 1, 0, EARLIER),
        answer(ANA, 1, 5, EARLIER),
        answer(ANA, 2, 0, EARLIER),
        answer(BOB, 2, 0, EARLIER),
        answer(ANA, 2, 5, EARLIER),
        answer(BOB, 2, 5, EARLIER),
    ]
    result = class_dashboard(ROSTER, cards, {}, reviews)
    assert [card.card_id for card in result.cards] == [2, 1]


def read_csv(text):
    return list(csv.reader(io.StringIO(text)))


def test_csv_lists_students_with_last_activity_in_the_instructors_zone():
    text = class_csv(dashboard(), "America/New_York")
    assert text.startswith("Student,Cards assigned,")
    assert text.endswith("\r\n")
    # New York moved to daylight time on 2025-03-09: UTC-4 after it, UTC-5 before.
    assert read_csv(text) == [
        list(CSV_HEADER),
        ["Ana", "4", "2", "1", "4", "50.0", "2025-03-11 18:30"],
        ["bob", "4", "1", "0", "3", "0.0", "2025-03-11 21:15"],
        ["Chen", "4", "0", "0", "1", "", "2025-03-08 05:00"],
    ]


def test_csv_defuses_formulas_in_names():
    hostile = [
        '=HYPERLINK("http://x","y")',
        "+1",
        "-2",
        "@SUM(A1)",
        "\tTab",
        "Plain, with comma",
    ]
    students = [Student(n, name) for n, name in enumerate(hostile)]
    rows = read_csv(class_csv(class_dashboard(students, CARDS, {}, []), "UTC"))
    names = sorted(row[0] for row in rows[1:])
    assert names == sorted(
        [
            '\'=HYPERLINK("http://x","y")',
            "'+1",
            "'-2",
            "'@SUM(A1)",
            "'\tTab",
            "Plain, with comma",
        ]
    )
    assert all(row[6] == "" for row in rows[1:])


def test_a_class_without_students_has_no_answers():
    empty = class_dashboard([], CARDS, STATES, REVIEWS)
    assert empty.students == ()
    assert [card.card_id for card in empty.cards] == [10, 11, 12, 13]
    assert all(card.answers == 0 for card in empty.cards)
    assert read_csv(class_csv(empty, "UTC")) == [list(CSV_HEADER)]
