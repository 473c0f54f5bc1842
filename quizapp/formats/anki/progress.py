"""A learner's Anki progress for the cards of one of the app's decks (pure Python).

The learner uploads their own ``.apkg`` or ``.colpkg`` exported with scheduling. Each Anki
note is matched to a card of the deck by guid (the app's export uses the card's guid, and
an imported deck kept Anki's), else by content: the first field, and the second when the
first alone names more than one card, compared as normalised text (tags dropped, entities
decoded, spaces collapsed, case folded). Each Anki card of a matched note whose ordinal is a
side of the app's card then brings:

* its schedule as an SM-2 state (:func:`sm2_state_of`): ease = ``factor`` / 1000, interval =
  ``ivl``, lapses, due day; review cards continue with two successes behind them (so their
  next interval is interval × ease, as in Anki), (re)learning cards as a card whose last
  answer failed; cards still new in Anki bring nothing;
* its revlog, each answer as a :class:`ImportedReview` (:func:`review_of`).

Anything absurd in a card that would be imported (a negative or century-long interval, an
ease below Anki's floor, a due day or a review date out of range, an unknown card type)
refuses the whole package with a message naming it: nothing is half-imported.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from quizapp.formats import ImportFailed
from quizapp.formats.anki import extracted_collection
from quizapp.formats.anki.cards import _stable_guid
from quizapp.formats.anki.collection import Note, read_collection
from quizapp.formats.anki.errors import package_errors
from quizapp.formats.anki.scheduling import (
    CardSchedule,
    CollectionClock,
    RevlogRow,
    ScheduleReader,
)
from quizapp.scheduling import sm2
from quizapp.scheduling.day import learner_day
from quizapp.scheduling.sm2_scheduler import SM2_GRADE_FOR_ANKI_BUTTON

ANKI_NEW, ANKI_LEARNING, ANKI_REVIEW, ANKI_RELEARNING = 0, 1, 2, 3
REVLOG_LEARN, REVLOG_REVIEW, REVLOG_RELEARN, REVLOG_FILTERED = 0, 1, 2, 3
REVLOG_MANUAL_KINDS = (4, 5)  # rescheduled by hand: no answer was given
# Anki's ease floor; its highest after decades of "Easy" stays far below the cap.
MIN_FACTOR = 1300
MAX_FACTOR = 20_000
MAX_COUNT = 1_000_000  # reps and lapses
MAX_STEP_SECONDS = 366 * 86_400  # a learning step (negative revlog ivl) longer is absurd
# Anki appeared in 2006: an earlier answer, or one in the future, is a damaged or made-up id.
EARLIEST_REVIEW = datetime(2006, 1, 1, tzinfo=UTC)
_EARLIEST_REVIEW_MS = EARLIEST_REVIEW.timestamp() * 1000
LEARNING_DUE_EPOCH = 1_000_000_000  # learning dues above this are epoch seconds, else days
SUCCESSES_OF_A_REVIEW_CARD = 2  # past SM-2's fixed 1- and 6-day steps

_TAG_RE = re.compile(r"<[^<>]*>")  # stops at the next "<": linear on "<<<<..."


@dataclass(frozen=True)
class DeckCard:
    """A card of the app's deck, as far as matching needs it."""

    card_id: int
    guid: str
    prompt: str
    answer: str
    ordinals: tuple[int, ...]


@dataclass(frozen=True)
class ImportedReview:
    """One Anki answer in the app's terms (see :func:`review_of`)."""

    anki_id: int  # the revlog id, kept so a re-import can recognise the answer
    answered_at: datetime
    phase: str  # learn, review, repeat or cram, as the app's review log names them
    button: int  # Anki's answer button, 1 Again to 4 Easy
    grade: int  # the button as an SM-2 grade 0-5
    duration_ms: int
    before: sm2.Sm2State | None  # None before the card's first answer
    after: sm2.Sm2State


@dataclass(frozen=True)
class ImportedSide:
    card_id: int
    ordinal: int
    matched_by: str  # "guid" or "content"
    state: sm2.Sm2State
    last_review_at: datetime | None
    reviews: tuple[ImportedReview, ...]


@dataclass
class ProgressPlan:
    """What an upload would import into one deck, before anything is written."""

    sides: list[ImportedSide] = field(default_factory=list)
    new_in_anki: int = 0  # matched sides Anki has never scheduled: left as they are
    unmatched_notes: int = 0
    ambiguous_notes: int = 0  # content that names several cards, or a card matched twice

    def matched(self, how: str) -> int:
        return sum(1 for side in self.sides if side.matched_by == how)

    @property
    def review_count(self) -> int:
        return sum(len(side.reviews) for side in self.sides)


def read_anki_progress(
    data: bytes, deck_cards: Iterable[DeckCard], tz_name: str | None, now: datetime
) -> ProgressPlan:
    """The progress the package ``data`` holds for ``deck_cards``, in the learner's zone."""
    with package_errors(), extracted_collection(data) as (_, _, _, path):
        collection = read_collection(path)
        with ScheduleReader(path) as reader:
            clock = reader.clock()
            schedules = reader.schedules()
            matches, plan = _match(collection.notes, list(deck_cards), schedules)
            history = reader.revlog(schedule.card_id for schedule, _, _ in matches)
        for schedule, card, how in matches:
            plan.sides.append(
                _side(schedule, card, how, history.get(schedule.card_id, ()), clock, tz_name, now)
            )
        return plan


def normalised(markup: str) -> str:
    text = html.unescape(_TAG_RE.sub(" ", markup))
    return " ".join(text.split()).casefold()


def _match(
    notes: Iterable[Note], deck_cards: list[DeckCard],
    schedules: dict[tuple[int, int], CardSchedule],
) -> tuple[list[tuple[CardSchedule, DeckCard, str]], ProgressPlan]:
    by_guid = {card.guid: card for card in deck_cards}
    by_prompt: dict[str, list[DeckCard]] = {}
    for deck_card in deck_cards:
        by_prompt.setdefault(normalised(deck_card.prompt), []).append(deck_card)
    plan = ProgressPlan()
    taken: set[int] = set()
    matches: list[tuple[CardSchedule, DeckCard, str]] = []
    for note in sorted(notes, key=lambda n: n.id):
        card: DeckCard | None = by_guid.get(_stable_guid(note.guid))
        how = "guid"
        if card is None:
            card, how = _by_content(note.fields, by_prompt, plan), "content"
        if card is None:
            continue
        if card.card_id in taken:
            plan.ambiguous_notes += 1
            continue
        taken.add(card.card_id)
        for ordinal in card.ordinals:
            schedule = schedules.get((note.id, ordinal))
            if schedule is None:
                continue
            if schedule.card_type == ANKI_NEW:
                plan.new_in_anki += 1
            else:
                matches.append((schedule, card, how))
    return matches, plan


def _by_content(
    fields: Sequence[str], by_prompt: dict[str, list[DeckCard]], plan: ProgressPlan
) -> DeckCard | None:
    candidates = by_prompt.get(normalised(fields[0]) if fields else "", [])
    if len(candidates) > 1:
        second = normalised(fields[1]) if len(fields) > 1 else ""
        candidates = [card for card in candidates if normalised(card.answer) == second]
        if len(candidates) > 1:
            plan.ambiguous_notes += 1
            return None
    if not candidates:
        plan.unmatched_notes += 1
        return None
    return candidates[0]


def _side(
    schedule: CardSchedule, card: DeckCard, how: str, revlog: Iterable[RevlogRow],
    clock: CollectionClock, tz_name: str | None, now: datetime,
) -> ImportedSide:
    state = sm2_state_of(schedule, clock, tz_name, now)
    reviews: list[ImportedReview] = []
    before: sm2.Sm2State | None = None
    for row in revlog:
        review = review_of(row, before, tz_name, now)
        if review is not None:
            reviews.append(review)
            before = review.after
    last = reviews[-1].answered_at if reviews else None
    return ImportedSide(card.card_id, schedule.ordinal, how, state, last, tuple(reviews))


def _refuse(schedule: CardSchedule, what: str) -> ImportFailed:
    return ImportFailed(
        f"Anki card {schedule.card_id} has {what}, which no Anki collection holds, "
        "so the package was refused and nothing was imported."
    )


def sm2_state_of(
    schedule: CardSchedule, clock: CollectionClock, tz_name: str | None, now: datetime
) -> sm2.Sm2State:
    """The SM-2 state that continues an Anki card that has been studied."""
    kind = schedule.card_type
    if kind not in (ANKI_LEARNING, ANKI_REVIEW, ANKI_RELEARNING):
        raise _refuse(schedule, f"an unknown card type ({kind})")
    if not 0 <= schedule.interval <= sm2.MAX_INTERVAL_DAYS:
        raise _refuse(schedule, f"an interval of {schedule.interval} days")
    for name, count in (("reviews", schedule.reps), ("lapses", schedule.lapses)):
        if not 0 <= count <= MAX_COUNT:
            raise _refuse(schedule, f"{count} {name}")
    if kind == ANKI_LEARNING and schedule.factor == 0:
        easiness = sm2.INITIAL_EASINESS  # the ease is set when the card graduates
    elif MIN_FACTOR <= schedule.factor <= MAX_FACTOR:
        easiness = Decimal(schedule.factor) / 1000
    else:
        raise _refuse(schedule, f"an ease factor of {schedule.factor}")
    if kind == ANKI_REVIEW or schedule.due < LEARNING_DUE_EPOCH:
        due = _day(clock.day_zero, schedule.due, schedule)
    else:
        due = learner_day(datetime.fromtimestamp(schedule.due, UTC), tz_name)
    today = learner_day(now, tz_name)
    if abs((due - today).days) > sm2.MAX_INTERVAL_DAYS:
        raise _refuse(schedule, f"a due date ({due.isoformat()}) a century away")
    if kind == ANKI_REVIEW:
        return sm2.Sm2State(easiness, max(1, schedule.interval), SUCCESSES_OF_A_REVIEW_CARD,
                            due, schedule.lapses)
    return sm2.Sm2State(easiness, schedule.interval, 0, due, schedule.lapses)


def _day(day_zero: date, number: int, schedule: CardSchedule) -> date:
    try:
        return day_zero + timedelta(days=number)
    except OverflowError:
        raise _refuse(schedule, f"a due day ({number}) out of any calendar") from None


def review_of(
    row: RevlogRow, before: sm2.Sm2State | None, tz_name: str | None, now: datetime
) -> ImportedReview | None:
    """One revlog row as an answer in the app's review log; None for a manual reschedule.

    The SM-2 states before and after are rebuilt from the row (its ease, interval and
    button), for the log's snapshots; the card's own state comes from its schedule.
    """
    answered_at = _answered_at(row, now)
    if row.kind in REVLOG_MANUAL_KINDS:
        return None
    if row.kind not in (REVLOG_LEARN, REVLOG_REVIEW, REVLOG_RELEARN, REVLOG_FILTERED):
        raise _refuse_review(row, f"an unknown review type ({row.kind})")
    if row.ease not in SM2_GRADE_FOR_ANKI_BUTTON:
        raise _refuse_review(row, f"an answer button {row.ease}")
    if not -MAX_STEP_SECONDS <= row.interval <= sm2.MAX_INTERVAL_DAYS:
        raise _refuse_review(row, f"an interval of {row.interval}")
    if not 0 <= row.factor <= MAX_FACTOR or row.time_ms < 0:
        raise _refuse_review(row, "an ease factor or answer time out of range")
    start = before or sm2.Sm2State.new()
    failed = row.ease == 1
    if failed:
        repetitions = 0
    elif row.interval > 0:
        repetitions = start.repetitions + 1
    else:
        repetitions = start.repetitions
    if row.interval > 0:
        due = learner_day(answered_at, tz_name) + timedelta(days=row.interval)
    else:
        due = learner_day(answered_at - timedelta(seconds=row.interval), tz_name)
    after = sm2.Sm2State(
        easiness=Decimal(row.factor) / 1000 if row.factor >= MIN_FACTOR else start.easiness,
        interval=max(0, row.interval),
        repetitions=repetitions,
        due=due,
        lapses=start.lapses + (1 if failed and row.kind == REVLOG_REVIEW else 0),
    )
    return ImportedReview(
        anki_id=row.id,
        answered_at=answered_at,
        phase=_phase(row.kind, before),
        button=row.ease,
        grade=SM2_GRADE_FOR_ANKI_BUTTON[row.ease],
        duration_ms=row.time_ms,
        before=before,
        after=after,
    )


def _phase(kind: int, before: sm2.Sm2State | None) -> str:
    if kind == REVLOG_FILTERED:
        return "cram"
    if kind == REVLOG_REVIEW:
        return "review"
    # The app's "learn" is a new card's first answer; Anki's later learning and relearning
    # steps are re-asks within the session, which the app calls repeats.
    return "learn" if kind == REVLOG_LEARN and before is None else "repeat"


def _answered_at(row: RevlogRow, now: datetime) -> datetime:
    if not _EARLIEST_REVIEW_MS <= row.id <= (now.timestamp() + 86_400) * 1000:
        raise _refuse_review(row, "a date before Anki existed or in the future")
    return datetime.fromtimestamp(row.id / 1000, UTC)


def _refuse_review(row: RevlogRow, what: str) -> ImportFailed:
    return ImportFailed(
        f"Review {row.id} of Anki card {row.card_id} has {what}, which no Anki collection "
        "holds, so the package was refused and nothing was imported."
    )
