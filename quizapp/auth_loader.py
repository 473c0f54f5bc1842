"""How Flask-Login finds the user behind a session cookie."""

from __future__ import annotations

import functools
import hashlib

from flask import request

from .models import Deck, User
from .scheduling.phase import Phase
from .services import study
from .services.rows import get_by_id, get_with, read_outside_transaction

# Blueprints whose every page with a ``deck_id`` in its URL reads that deck at once
# (``access.deck_for_study``): the user and the deck come in one statement.
DECK_PAGES = frozenset({"study"})
# The study page (a GET), whose user load also reads its session as it is (no restart), as
# ``study.open_page_session`` would, for the mode it asks for (``session_page``).
STUDY_PAGE = "study.session_page"
# The answer POST, which begins a transaction only for more than one write.
ANSWER = "study.answer"


def register(login_manager) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager._session_identifier_generator = session_identifier

    @login_manager.user_loader
    def load_user(session_id: str) -> User | None:
        user_id, _, version = session_id.partition(":")
        if not (user_id.isdigit() and version.isdigit()):
            return None
        deck_id = _deck_in_url()
        current = request._get_current_object()
        if deck_id is None:
            user = get_by_id(User, int(user_id))
        elif current.endpoint == STUDY_PAGE and not current.args.get("restart"):
            # The study page only reads, bar a write now and then that opens a transaction
            # of its own (``begin_writes``): two round trips less; and its session is read
            # with the user and the deck, one more.
            read_outside_transaction()
            user = study.load_page_user(int(user_id), deck_id,
                                        cram=current.args.get("mode") == Phase.CRAM)
        else:
            if current.endpoint == ANSWER:
                # The answer's reads, and its one write statement when it needs no more,
                # need no transaction (``study_answer.answer_presentation``): two round trips
                # less.
                read_outside_transaction()
            user = get_with(User, int(user_id), Deck, deck_id)
        if user is None or user.session_version != int(version):
            return None
        return user


def _deck_in_url() -> int | None:
    """The deck id of a study page's URL (the router made it an int in range), else None."""
    current = request._get_current_object()
    if current.blueprint not in DECK_PAGES or not current.view_args:
        return None
    deck_id = current.view_args.get("deck_id")
    return deck_id if isinstance(deck_id, int) else None


def session_identifier() -> str:
    """Flask-Login's session-protection identifier of the request (its ``_create_identifier``:
    the SHA-512 of the client's address and user agent), the same text, kept for the last
    few thousand (address, user agent) pairs: every logged-in request compares it with the
    session's, and a browser sends the same two every time (~5 us a request)."""
    current = request._get_current_object()
    # Read as ``request.headers.get`` reads them, from the WSGI environ, without the KeyError
    # that header lookup raises and catches when a header is absent (X-Forwarded-For mostly).
    environ = current.environ
    address = environ.get("HTTP_X_FORWARDED_FOR", current.remote_addr)
    user_agent = environ.get("HTTP_USER_AGENT")
    if len(address or "") + len(user_agent or "") > MAX_KEPT_IDENTITY_CHARS:
        return _identifier(address, user_agent)
    return _kept_identifier(address, user_agent)


# Only short pairs are kept (a browser's user agent is a few hundred characters): a client
# sending long headers cannot make the 4096 kept entries large.
MAX_KEPT_IDENTITY_CHARS = 1024


def _identifier(address: str | None, user_agent: str | None) -> str:
    if address is not None:
        # The first address of an X-Forwarded-For list is the client's.
        address = address.encode("utf-8").split(b",")[0].strip()
    agent = user_agent.encode("utf-8") if user_agent is not None else None
    return hashlib.sha512(f"{address}|{agent}".encode()).hexdigest()


_kept_identifier = functools.lru_cache(maxsize=4096)(_identifier)
