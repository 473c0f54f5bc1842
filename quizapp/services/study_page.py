"""A study page's first read: the learner's session with its queue, today's counts (for the
daily limits) and the learner's own scheduler settings (for the grade buttons), in one
statement, itself read with the user and the deck of the page's URL, and on a scheduled page the
next due side with its card, when the request loads its user (``load_page_user``)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import bindparam, func, select

from ..extensions import db
from ..models import Deck, ReviewLog, SchedulerOverride, User, utcnow
from ..scheduling import registry
from ..scheduling.day import day_start, learner_day
from ..scheduling.phase import Phase
from . import schedules, study_due, study_queue
from .presentation import Presentation, ShownCard, ShownState, encode_presentation
from .rows import get_with, get_with_rows, loaded
from .shown_answer import lean_context
from .study_queue import SessionQueue

# Today's answers of both counted phases in one walk of the learner's log since the day
# began: one scalar subquery per phase walked it twice (each answer's row is fetched to check
# its deck and phase), ~0.1 ms per page on PostgreSQL for a learner with 500 answers today.
# Materialized, so the walk runs once per read: joined as a subquery, PostgreSQL's plan
# walked it again for each of the session's open queue items (~1 ms per page read under the
# HTTP bench, where learners have several items queued "again").
_TODAY = (
    select(
        func.count(ReviewLog.id).filter(ReviewLog.phase == Phase.LEARN).label("learned_today"),
        func.count(ReviewLog.id).filter(ReviewLog.phase == Phase.REVIEW).label("reviewed_today"),
    )
    .where(
        ReviewLog.user_id == bindparam("user_id"),
        ReviewLog.deck_id == bindparam("deck_id"),
        ReviewLog.undone_at.is_(None),
        ReviewLog.answered_at >= bindparam("since"),
    )
    .cte("today")
    .prefix_with("MATERIALIZED", dialect="postgresql")
)


# A study page's first read: the session with its queue, today's counts (for the daily
# limits) and the learner's own scheduler settings (for the grade buttons), in one round trip.
_PAGE_COLUMNS = (
    _TODAY.c.learned_today,
    _TODAY.c.reviewed_today,
    select(SchedulerOverride.settings).where(
        SchedulerOverride.user_id == bindparam("user_id"),
        SchedulerOverride.deck_id == bindparam("deck_id"),
    ).scalar_subquery().label("own_settings"),
)
_OPEN_PAGE = study_queue.open_statement(*_PAGE_COLUMNS, one_row=_TODAY)
# The same read after the user and the deck of the page's URL, for the request's user load
# (``load_page_user``): one round trip where there were two.
_USER, _DECK = loaded(User), loaded(Deck)
_OPEN_PAGE_WITH_USER = study_queue.open_statement(
    *_PAGE_COLUMNS, one_row=_TODAY, after=(_USER, _DECK))
# And on a scheduled page, the next due side (``study_due``, on the ``today`` and ``now``
# parameters) left-joined to it: a statement and a round trip less for a page that shows a due
# review or finds none. Uncorrelated, so PostgreSQL and SQLite run it once, as on its own.
_DUE_SIDE = study_due.due_query(ahead=False).subquery("due_side")
_DUE_PREFIX = "due_"
_DUE_COLUMNS = tuple(column.label(_DUE_PREFIX + column.key) for column in _DUE_SIDE.c)
_OPEN_SCHEDULED_PAGE = study_queue.open_statement(
    *_PAGE_COLUMNS, *_DUE_COLUMNS, one_row=_TODAY, joined=_DUE_SIDE)
_OPEN_SCHEDULED_PAGE_WITH_USER = study_queue.open_statement(
    *_PAGE_COLUMNS, *_DUE_COLUMNS, one_row=_TODAY, after=(_USER, _DECK), joined=_DUE_SIDE)
_DUE_NAMES = tuple(column.name for column in _DUE_COLUMNS)
# The due side in a page read's ``read_with``: (the learner day it was read for, the side).
_DUE = "due"
# What ``page_due_side`` and ``page_own_settings`` give when the page's read had no such column.
UNREAD = schedules.UNREAD
_PAGE_READ = "quizapp.study.page_read"
# Each learner's time zone as last seen in this process (at most this many): the day whose
# answers the page read counts depends on it, and it is read in the same statement.
_TIMEZONES: dict[int, str] = {}
MAX_KEPT_TIMEZONES = 4096


def load_page_user(user_id: int, deck_id: int, *, cram: bool, now: datetime | None = None
                   ) -> User | None:
    """The user (and the deck, into the session) for a study page that opens its session as
    it is (no restart), read with the session's read of ``open_page_session`` in one
    statement, which then reads nothing. Today's counts are for the day in the time zone
    the learner had when last seen in this process (UTC at first); a different one only
    makes ``choose_next`` count them again."""
    now = now or utcnow()
    guessed = _TIMEZONES.get(user_id, "UTC")
    today = learner_day(now, guessed)
    since = day_start(today, guessed)
    mode = study_queue.session_mode(cram)
    params = {"user_id": user_id, "deck_id": deck_id, "mode": mode, "since": since}
    if not cram:
        params["today"], params["now"] = today, now
    read = get_with_rows(
        _USER, user_id, _DECK, deck_id,
        _OPEN_PAGE_WITH_USER if cram else _OPEN_SCHEDULED_PAGE_WITH_USER, params)
    if read is None:
        return get_with(User, user_id, Deck, deck_id)
    user, page_rows = read
    if user is not None:
        if user.timezone != guessed:
            if len(_TIMEZONES) >= MAX_KEPT_TIMEZONES:
                _TIMEZONES.clear()
            _TIMEZONES[user_id] = user.timezone
        db.session().info[_PAGE_READ] = ((user_id, deck_id, mode, since, today), page_rows)
    return user


def open_page_session(
    user: User, deck: Deck, *, cram: bool, restart: bool = False,
    only: list[int] | None = None, now: datetime | None = None,
) -> SessionQueue:
    """``study_queue.open_session`` for a study page, reading with the session what
    ``choose_next`` and the grade buttons need (see ``page_own_settings``)."""
    now = now or utcnow()
    today = learner_day(now, user.timezone)
    since = day_start(today, user.timezone)
    key, read = db.session().info.pop(_PAGE_READ, (None, None))
    if read is not None and key[:3] == (user.id, deck.id, study_queue.session_mode(cram)):
        since, today = key[3:]  # choose_next checks they are still today's
    else:
        read = None
    queue = study_queue.open_session(
        user, deck.id, cram=cram, restart=restart, only=only, now=now,
        statement=_OPEN_PAGE if cram else _OPEN_SCHEDULED_PAGE,
        params={"since": since, "today": today, "now": now}, read=None if restart else read,
    )
    read_with = queue.read_with
    if read_with is not None:
        read_with["since"] = since
        if _DUE_NAMES[0] in read_with:
            read_with[_DUE] = (today, study_due.due_side(
                [read_with.pop(name) for name in _DUE_NAMES]))
    return queue



def page_due_side(queue: SessionQueue, today: date
                  ) -> tuple[ShownState, ShownCard] | object | None:
    """The next due side as read with the session for ``today`` (None: none was due), or
    ``UNREAD`` when it was not read, or read for another day."""
    read = queue.read_with
    found = None if read is None else read.get(_DUE)
    if found is None or found[0] != today:
        return UNREAD
    return found[1]


def page_own_settings(queue: SessionQueue) -> registry.SchedulerSettings | None:
    """The learner's own settings as read with the session, or ``UNREAD``."""
    read = queue.read_with
    if read is None:
        return UNREAD
    own = read["own_settings"]
    return None if own is None else registry.SchedulerSettings.from_json(own)


def shown_token(user: User, deck: Deck, queue: SessionQueue, p: Presentation, secret_key: str
                ) -> tuple[str, registry.SchedulerSettings]:
    """The token of the side a study page shows, and the scheduler settings the learner
    studies the deck with (for its grade buttons): what showing a card does beyond reading
    it. A self-graded side that schedules gets what its answer needs in the token
    (``shown_answer.lean_context``), so that its answer reads nothing more."""
    settings = schedules.settings_for(user, deck, page_own_settings(queue))
    shown = lean_context(p, deck.id, queue, settings)
    return encode_presentation(p, user.id, secret_key, shown), settings
