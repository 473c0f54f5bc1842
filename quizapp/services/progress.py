"""Reading a learner's or a class's history out of the database for quizapp.stats."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from decimal import Decimal
from functools import partial
from json import loads

from sqlalchemy import Text, cast, func, literal, or_, select

from ..extensions import db
from ..formats.sanitize import plain_text
from ..models import Card, CardState, ClassMembership, Classroom, Deck, ReviewLog, User, utcnow
from ..scheduling.base import Stage
from ..scheduling.sm2 import INITIAL_EASINESS
from ..stats import classroom as class_stats
from ..stats import learner as learner_stats
from ..stats.activity import DeckHistory
from ..stats.memory import Memory
from . import history_days
from .class_totals import class_totals
from .history_totals import add_side, history_totals
from .personal_params import fitted_parameters
from .schedules import writer_of_name

PROMPT_CHARS = 160
PERMILLE = Decimal(1000)
EASE_BATCH = 500  # card ids per query when reading some sides' eases
STAGES = {stage.value: stage for stage in Stage}  # a stored stage's member, looked up
UNSTUDIED = (Stage.NEW, None, 0, None)  # (stage, due, lapses, memory) of a side with no state


# A SideState from a tuple of its fields, without the Python-level ``__new__`` the named
# tuple's constructor runs per call (a page builds one per side: 5,000 and more).
_side = partial(tuple.__new__, learner_stats.SideState)

# A card's sides and tags as JSON text, for :func:`_parser`.
_JSON_AS_TEXT = (cast(Card.ordinals, Text), cast(Card.tags, Text))


def _parser() -> Callable[[str | None], tuple]:
    """A JSON list's items as a tuple, each distinct text parsed once: a deck's cards share
    few tag lists and sides (the tuples are shared too)."""
    parsed: dict[str | None, tuple] = {None: ()}

    def once(text: str | None) -> tuple:
        found = parsed.get(text)
        if found is None:
            found = parsed[text] = tuple(loads(text) or ())
        return found

    return once


def learner_decks(user: User) -> list[Deck]:
    """Decks the learner has studied, plus those assigned to their classes."""
    studied = select(CardState.deck_id).where(CardState.user_id == user.id).distinct()
    reviewed = history_days.answered_decks(user.id)
    assigned = (
        select(Deck.id)
        .join(Classroom.decks)
        .join(ClassMembership, ClassMembership.class_id == Classroom.id)
        .where(ClassMembership.user_id == user.id)
    )
    # A deck unpublished after the learner studied it is withdrawn: its title is the
    # author's again, so only the decks the learner may still open are listed.
    visible = or_(Deck.published.is_(True), Deck.owner_id == user.id)
    return list(
        db.session.scalars(
            select(Deck)
            .where(or_(Deck.id.in_(studied), Deck.id.in_(reviewed), Deck.id.in_(assigned)))
            .where(visible)
            .order_by(Deck.title)
        )
    )


def card_states(
    user_ids: Iterable[int], deck_ids: list[int],
    failures: Mapping[tuple[int, int], int] | None = None,
    hardest_count: int = learner_stats.HARDEST_COUNT,
    sides: dict[int, DeckHistory] | None = None,
    prompts: bool = True,
) -> dict[int, list]:
    """Every side of every card in ``deck_ids`` as each user sees it (unstudied ones new).

    Stages are read from their column. A side's ease is in its state's JSON, which only its
    scheduler reads, and reading every state that way was most of a progress page: with
    ``failures`` (one learner's failed answers per (card id, ordinal)), the ease is read only
    for the sides that can rank among the ``hardest_count`` hardest of their deck
    (:func:`_ranked_sides`); every other side carries the starting ease, which no figure of
    theirs shows. Without ``failures`` every studied side's ease is read.

    With ``sides`` (one learner's history from :func:`history_totals`), each state's answer
    totals (services.tallies) are added to it, read with the states, and its failures rank
    the sides in place of ``failures``.

    Without ``prompts`` every side's prompt is empty: a page showing only a few reads those
    few afterwards (:func:`learner_summary`) rather than every card's text.
    """
    user_ids = list(user_ids)
    # Core rows through the session's connection: no ORM loading for thousands of cards.
    connection = db.session.connection()
    once = _parser()
    cards = [
        (card_id, deck_id, once(ordinals) or (0,), once(tags), retired, prompt)
        for card_id, deck_id, ordinals, tags, retired, prompt in connection.execute(
            select(Card.id, Card.deck_id, *_JSON_AS_TEXT, Card.retired,
                   Card.prompt if prompts else literal(""))
            .where(Card.deck_id.in_(deck_ids))
        )
    ]
    mine = (CardState.user_id.in_(user_ids), CardState.deck_id.in_(deck_ids))
    # What each side shows, built once per stored state, looked up per side below. The rows
    # are unpacked by position in one pass: by name, each column cost a lookup per row.
    stored = {}
    for (user_id, card_id, ordinal, stage, due, lapses, stability, difficulty, reviewed_at,
         deck_id, retained, passes, failed) in connection.execute(
        select(
            CardState.user_id, CardState.card_id, CardState.ordinal, CardState.stage,
            CardState.due, CardState.lapses, CardState.memory_stability,
            CardState.memory_difficulty, CardState.memory_reviewed_at, CardState.deck_id,
            CardState.retention_answers, CardState.retention_passed, CardState.failures,
        ).where(*mine)
    ):
        # memory_of's reading, inlined.
        memory = (None if stability is None or reviewed_at is None
                  else Memory(stability, difficulty, reviewed_at))
        stored[user_id, card_id, ordinal] = (STAGES[stage], due, lapses, memory)
        if sides is not None and (retained or failed):
            add_side(sides, deck_id, card_id, ordinal, retained, passes, failed)
    if sides is not None:
        failures = {side: n for deck in sides.values() for side, n in deck.failures.items()}
    result: dict[int, list] = {}
    for user_id in user_ids:
        states = []
        add = states.append
        for card_id, deck_id, ordinals, tags, retired, prompt in cards:
            for ordinal in ordinals:
                stage, due, lapses, memory = stored.get((user_id, card_id, ordinal), UNSTUDIED)
                # The prompt as stored: made plain text only where shown (plain_prompts).
                add(_side((
                    card_id, ordinal, deck_id, tags, stage, INITIAL_EASINESS, due, lapses,
                    retired, prompt, memory,
                )))
        result[user_id] = states
    wanted = None
    if failures is not None:
        wanted = {
            (user_id, state.card_id, state.ordinal)
            for user_id, states in result.items()
            for state in _ranked_sides(states, failures, hardest_count)
        }
    if wanted is None or wanted:
        eases = _eases(connection, mine, wanted)
        eased = {card_id for _, card_id, _ in eases}  # a set of ints: no key built per side
        for user_id, states in result.items():
            for n, state in enumerate(states):
                if state.card_id not in eased:
                    continue
                ease = eases.get((user_id, state.card_id, state.ordinal))
                if ease is not None:
                    states[n] = state._replace(easiness=ease)
    return result


def _ranked_sides(
    states: Iterable[learner_stats.SideState], failures: Mapping[tuple[int, int], int],
    count: int,
) -> list[learner_stats.SideState]:
    """The sides whose ease can matter to ``learner_stats.hardest_cards`` in their deck:
    ranked by failures, then lapses, a side's ease only orders sides equal on both, and
    decides whether a side with neither is listed at all. So, per deck, whole groups of
    equal (failures, lapses), most first, until ``count`` sides are taken, and the group with
    neither whenever it is reached. A side among the hardest of several decks is among the
    hardest of its own, so the overall list needs no more."""
    groups: dict[int, dict[tuple[int, int], list]] = defaultdict(lambda: defaultdict(list))
    for state in states:
        if not state.retired and state.due is not None:
            failed = failures.get((state.card_id, state.ordinal), 0)
            groups[state.deck_id][failed, state.lapses].append(state)
    ranked = []
    for per_deck in groups.values():
        taken = 0
        for key in sorted(per_deck, reverse=True):
            if taken >= count:
                break
            ranked += per_deck[key]
            taken += len(per_deck[key])
    return ranked


def _eases(connection, mine: tuple, wanted: set[tuple[int, int, int]] | None
           ) -> dict[tuple[int, int, int], Decimal]:
    """(user id, card id, ordinal) -> the ease of the stored state, for the ``wanted`` sides
    (None: all), read by the scheduler that wrote it; the ease its Anki form carries
    (SM-2's easiness itself)."""
    query = select(
        CardState.user_id, CardState.card_id, CardState.ordinal, CardState.scheduler,
        CardState.state,
    ).where(*mine)
    batches: list[list[int] | None] = [None]
    if wanted is not None:
        card_ids = sorted({card_id for _, card_id, _ in wanted})
        batches = [card_ids[n:n + EASE_BATCH] for n in range(0, len(card_ids), EASE_BATCH)]
    eases = {}
    for batch in batches:
        chosen = query if batch is None else query.where(CardState.card_id.in_(batch))
        for row in connection.execute(chosen):
            key = (row.user_id, row.card_id, row.ordinal)
            if wanted is None or key in wanted:
                scheduler = writer_of_name(row.scheduler)
                state = scheduler.from_json(row.state)
                eases[key] = Decimal(scheduler.to_anki(state).factor) / PERMILLE
    return eases


def learner_summary(user: User, decks: list[Deck], now) -> learner_stats.LearnerSummary:
    deck_ids = [d.id for d in decks]
    history = history_totals(user, deck_ids)
    states = card_states([user.id], deck_ids, sides=history, prompts=False)[user.id]
    fitted = fitted_parameters([user.id], deck_ids)
    summary = learner_stats.summary_from_history(
        states, history, user.timezone, now, deck_ids=deck_ids,
        deck_parameters={deck_id: fitted[user_id, deck_id] for user_id, deck_id in fitted},
    )
    # The prompts of the hardest cards alone, the only ones the page shows.
    shown = {card.card_id for figures in (summary.overall, *summary.decks)
             for card in figures.hardest}
    prompts = dict(db.session.execute(
        select(Card.id, Card.prompt).where(Card.id.in_(shown))).all()) if shown else {}
    return replace(
        summary, overall=plain_prompts(summary.overall, prompts),
        decks=tuple(plain_prompts(figures, prompts) for figures in summary.decks),
    )


def plain_prompts(figures: learner_stats.ProgressFigures,
                  prompts: Mapping[int, str] | None = None) -> learner_stats.ProgressFigures:
    """The hardest cards' prompts as the short plain text the page shows: from ``prompts``
    (card id -> prompt as stored) when given, else the prompt each card carries."""
    return replace(figures, hardest=tuple(
        replace(card, prompt=plain_text(
            card.prompt if prompts is None else prompts[card.card_id])[:PROMPT_CHARS])
        for card in figures.hardest
    ))


def hardest_cards(user: User, deck_id: int, count: int) -> tuple[learner_stats.HardCard, ...]:
    """The learner's hardest sides in one deck, ranked as on the progress page."""
    failures = db.session.execute(
        select(ReviewLog.card_id, ReviewLog.ordinal, func.count(ReviewLog.id))
        .where(
            ReviewLog.user_id == user.id,
            ReviewLog.deck_id == deck_id,
            ReviewLog.undone_at.is_(None),
            ReviewLog.passed.is_(False),
        )
        .group_by(ReviewLog.card_id, ReviewLog.ordinal)
    ).all()
    failed = {(card_id, ordinal): n for card_id, ordinal, n in failures}
    states = card_states([user.id], [deck_id], failed, count)[user.id]
    return learner_stats.hardest_cards(states, failed, count)


def class_dashboard(classroom: Classroom, now=None,
                    prompted: int | None = None) -> class_stats.ClassDashboard:
    """The class's figures; with ``prompted``, only the first ``prompted`` cards of the
    difficulty table and the most forgotten carry their prompt (a page showing no other
    need not make 2,000 prompts plain text), the others an empty one."""
    # A deck its author unpublished is withdrawn: out of the figures until published again.
    deck_ids = [d.id for d in classroom.decks if d.published]
    # Two columns of each member, not the ORM objects of a whole roster.
    students = [
        class_stats.Student(user_id=user_id, name=name)
        for user_id, name in db.session.execute(
            select(User.id, User.display_name)
            .join(ClassMembership, ClassMembership.user_id == User.id)
            .where(ClassMembership.class_id == classroom.id)
        )
    ]
    once = _parser()
    cards = [
        (card_id, deck_id, once(ordinals) or (0,), once(tags), prompt)
        for card_id, deck_id, ordinals, tags, prompt in db.session.execute(
            select(Card.id, Card.deck_id, *_JSON_AS_TEXT,
                   Card.prompt if prompted is None else literal(""))
            .where(Card.deck_id.in_(deck_ids), Card.retired.is_(False))
        )
    ] if students else []
    sides = [
        class_stats.ClassCard(
            card_id=card_id, ordinal=ordinal, deck_id=deck_id,
            prompt=plain_text(prompt)[:PROMPT_CHARS] if prompt else "", tags=tuple(tags),
        )
        for card_id, deck_id, ordinals, tags, prompt in cards for ordinal in ordinals
    ]
    fitted = fitted_parameters([s.user_id for s in students], deck_ids) if students else {}
    totals = class_totals(
        classroom.id, deck_ids, {card_id: ordinals for card_id, _, ordinals, _, _ in cards},
        now or utcnow(), fitted,
    )
    dashboard = class_stats.dashboard_from_totals(students, sides, totals)
    return dashboard if prompted is None else _with_prompts(dashboard, prompted)


def _with_prompts(dashboard: class_stats.ClassDashboard,
                  count: int) -> class_stats.ClassDashboard:
    """The first ``count`` cards of the difficulty table and the most forgotten with their
    prompts, read for them alone."""
    first = dashboard.cards[:count]
    prompts = {
        card_id: plain_text(prompt)[:PROMPT_CHARS]
        for card_id, prompt in db.session.execute(
            select(Card.id, Card.prompt).where(Card.id.in_(
                {card.card_id for card in (*first, *dashboard.forgotten)}))
        )
    }
    return replace(
        dashboard,
        cards=tuple(replace(card, prompt=prompts[card.card_id]) for card in first)
        + dashboard.cards[count:],
        forgotten=tuple(replace(card, prompt=prompts[card.card_id])
                        for card in dashboard.forgotten),
    )
