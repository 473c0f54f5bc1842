"""The next due side of a study page: the most overdue side of a live card in the deck, with its
card. Run on its own (``study.next_due_review``) or read with the page's first statement
(``study_page``), where it costs no round trip of its own."""

from __future__ import annotations

from sqlalchemy import Text, bindparam, or_, select, type_coerce

from .. import jsontext
from ..models import Card, CardState
from .prepared import Prepared
from .presentation import ShownCard, ShownState

# The columns of ShownCard and ShownState, in their order: the page's picks read no ORM object
# and run as Prepared statements (as does the session read), skipping ``Connection.execute``.
CARD_COLUMNS = (Card.id, Card.kind, Card.prompt, Card.answer, Card.choices, Card.ordinals,
                Card.side_count, Card.position)
# The state and its instants as stored text on SQLite (what the answer's token and the review
# log's snapshot take: formatting them again costs json.dumps, a regular expression and
# isoformat); the state is parsed here (PostgreSQL's driver parses it whatever is asked).
STATE_COLUMNS = (CardState.user_id, CardState.card_id, CardState.ordinal, CardState.version,
                 CardState.scheduler, type_coerce(CardState.state, Text), CardState.id,
                 type_coerce(CardState.last_review_at, Text), type_coerce(CardState.due_at, Text),
                 CardState.memory_stability, CardState.memory_difficulty,
                 type_coerce(CardState.memory_reviewed_at, Text))


def due_query(ahead: bool):
    """On the parameters ``user_id``, ``deck_id``, ``today`` and ``now``: a side in a learning
    step (due later today, at ``due_at``) waits for it; with ``ahead``, only those, soonest
    first."""
    waiting = CardState.due_at > bindparam("now")
    return (
        select(*STATE_COLUMNS, *CARD_COLUMNS)
        .join(Card, Card.id == CardState.card_id)
        .where(
            CardState.user_id == bindparam("user_id"),
            CardState.deck_id == bindparam("deck_id"),
            CardState.due <= bindparam("today"),
            waiting if ahead else or_(CardState.due_at.is_(None), ~waiting),
            Card.retired.is_(False),
        )
        .order_by(*((CardState.due_at,) if ahead else ()), CardState.due, CardState.card_id,
                  CardState.ordinal)
        .limit(1)
    )


DUE, DUE_AHEAD = Prepared(due_query(False)), Prepared(due_query(True))


def due_side(row) -> tuple[ShownState, ShownCard] | None:
    """The state and card of a row of ``due_query``'s columns; None for a row of NULLs (a
    left join that found no due side)."""
    if row[0] is None:
        return None
    split = len(STATE_COLUMNS)
    state = ShownState(*row[:split])
    if isinstance(state.state, str):
        state.state_text, state.state = state.state, jsontext.loads(state.state)
    return state, ShownCard(*row[split:])
