"""Flask-SQLAlchemy with each request's closed ORM session kept for the thread's next request.

Flask-SQLAlchemy makes a new ``Session`` per application context and throws it away at the
context's teardown (``scoped_session.remove()``: close it, forget it). A new ``Session`` sets
some thirty attributes, registers itself in SQLAlchemy's weak registry of sessions, and builds
its per-instance event dispatch anew (each event collection it consults is made on first
use): about 10 us of CPU per request on this VM, paid by every request that touches the
database and by no server without the ORM (the HTTP benchmark's ceiling).

Here the teardown still closes the session exactly as before (objects expunged, transaction
rolled back, connection returned to the pool), forgets it in the scope as before, and keeps the
closed session for the next context of the same thread, after putting back what a request may
have changed (``expire_on_commit``, ``autoflush``, ``info``). ``Session.close`` leaves a session
ready for reuse (SQLAlchemy's documented behaviour with its default ``close_resets_only``). A
session is kept only if that close succeeded and it is then indistinguishable from a new one
in every setting a caller could have changed; anything else is dropped as before. A session
ended any other way (``db.session.remove()`` in code or tests) is not kept.
"""

from __future__ import annotations

import threading
from typing import Any

from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy.orm import scoped_session

# Closed sessions kept per thread: one is used at a time; a few cover nested app contexts.
MAX_KEPT_PER_THREAD = 4
# A session's settings that callers may change and a kept session must have as new.
SETTINGS = ("expire_on_commit", "autoflush", "autobegin", "twophase", "bind", "binds", "info",
            "join_transaction_mode", "enable_baked_queries", "execution_options",
            "_query_cls", "_close_state", "_warn_on_events", "_flushing", "_transaction",
            "_nested_transaction")


class RecyclingSQLAlchemy(SQLAlchemy):
    def _make_scoped_session(self, options: dict[str, Any]) -> scoped_session:
        scope = options.pop("scopefunc", _app_ctx_id)
        self._kept = threading.local()
        factory = self._make_session_factory(options)
        self._fresh = _settings(factory())

        def session_for_scope():
            kept = getattr(self._kept, "sessions", None)
            return kept.pop() if kept else factory()

        return scoped_session(session_for_scope, scope)

    def _teardown_session(self, exc: BaseException | None) -> None:
        registry = self.session.registry
        if not registry.has():
            return
        session = registry()
        session.close()  # as scoped_session.remove(): a failed close is not forgotten either
        registry.clear()
        session.expire_on_commit = self._fresh["expire_on_commit"]
        session.autoflush = self._fresh["autoflush"]
        session.info.clear()
        session._model_changes.clear()
        if (_settings(session) == self._fresh and not session.identity_map
                and not session._new and not session._deleted
                and not _own_listeners(session)):
            kept = getattr(self._kept, "sessions", None)
            if kept is None:
                kept = self._kept.sessions = []
            if len(kept) < MAX_KEPT_PER_THREAD:
                kept.append(session)


def _settings(session) -> dict[str, Any]:
    return {name: getattr(session, name, None) for name in SETTINGS}


def _own_listeners(session) -> bool:
    """Listeners put on this session itself (``event.listen(session, ...)``), which closing
    it does not remove: kept, they would fire in the thread's later requests. Listeners on
    the session class or factory belong to every session and do not count."""
    dispatch = session.dispatch
    return any(getattr(getattr(dispatch, name), "listeners", None)
               for name in dispatch._event_names)

