"""Exports of stored decks: Anki packages (optionally with a learner's progress), CSV, JSON."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from ..deckfile import dumps
from ..extensions import db
from ..formats.apkg_export import CardProgress, ReviewEntry, build_apkg
from ..formats.csv_export import build_csv
from ..models import Card, CardState, Deck, ReviewLog, User
from ..scheduling.phase import SCHEDULING
from .decks import deck_data_of, deck_media, media_pieces
from .schedules import snapshot_state, writer_of_name


def deck_key(deck: Deck) -> str:
    """Stable across exports and title changes, so Anki keeps recognising the deck."""
    return f"quizapp-deck-{deck.id}"


def learner_progress(learner: User, deck: Deck) -> dict[tuple[str, int], CardProgress]:
    """Each studied side's schedule and answers as Anki knows them, through the scheduler
    that wrote each (``to_anki``, ``anki_button``)."""
    guids = dict(
        db.session.execute(select(Card.id, Card.guid).where(Card.deck_id == deck.id)).all()
    )
    history: dict[tuple[int, int], list[ReviewEntry]] = defaultdict(list)
    logs = db.session.scalars(
        select(ReviewLog)
        .where(
            ReviewLog.user_id == learner.id,
            ReviewLog.deck_id == deck.id,
            ReviewLog.undone_at.is_(None),
            ReviewLog.phase.in_(SCHEDULING),
        )
        .order_by(ReviewLog.answered_at, ReviewLog.id)
    )
    for log in logs:
        scheduler = writer_of_name(log.scheduler)
        after = scheduler.to_anki(scheduler.from_json(snapshot_state(log.state_after)))
        history[(log.card_id, log.ordinal)].append(
            ReviewEntry(
                answered_at=log.answered_at,
                button=scheduler.anki_button(log.grade),
                interval=after.interval,
                last_interval=log.interval_before,
                factor=after.factor,
                duration_ms=log.duration_ms,
            )
        )
    states = db.session.scalars(
        select(CardState).where(CardState.user_id == learner.id, CardState.deck_id == deck.id)
    )
    progress = {}
    for s in states:
        if s.card_id in guids:
            scheduler = writer_of_name(s.scheduler)
            progress[(guids[s.card_id], s.ordinal)] = CardProgress(
                schedule=scheduler.to_anki(scheduler.from_json(s.state)),
                reviews=tuple(history[(s.card_id, s.ordinal)]),
            )
    return progress


def deck_apkg(deck: Deck, learner: User | None = None) -> bytes:
    modified = {
        card.guid: int(card.content_changed_at.timestamp())
        for card in deck.cards
        if not card.retired
    }
    progress = learner_progress(learner, deck) if learner is not None else None
    # Media goes into the package one file and one piece at a time, straight from storage.
    media = ((item.name, media_pieces(item)) for item in deck_media(deck.id))
    return build_apkg(deck_data_of(deck, with_media=False), deck_key=deck_key(deck),
                      modified=modified, progress=progress, media=media)


def deck_csv(deck: Deck) -> str:
    return build_csv(deck_data_of(deck, with_media=False))


def deck_json(deck: Deck) -> str:
    return dumps(deck_data_of(deck))
