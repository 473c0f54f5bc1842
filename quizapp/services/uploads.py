"""Deck uploads waiting for their preview to be confirmed: held, looked up, claimed."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.engine import Row

from ..deckfile import DeckData
from ..extensions import db
from ..models import Deck, PendingUpload, User, utcnow
from .decks import deck_slug
from .jobs import check_storage_allowance

# An upload waits this long between its preview and its confirmation.
PENDING_LIFETIME = timedelta(hours=2)


def forget_stale_uploads() -> None:
    db.session.execute(
        delete(PendingUpload).where(PendingUpload.created_at < utcnow() - PENDING_LIFETIME)
    )


def hold_upload(user: User, filename: str, data: bytes) -> str:
    """Keep the upload for its preview's confirm and return the token naming it.

    Raises ``JobRefused`` when the user's stored uploads would go over their allowance.
    """
    forget_stale_uploads()
    check_storage_allowance(user, len(data))
    pending = PendingUpload(
        token=secrets.token_urlsafe(24), user_id=user.id, filename=filename, data=data
    )
    db.session.add(pending)
    db.session.flush()
    return pending.token


def pending_upload(token: str, user: User) -> Row | None:
    """The held upload's filename and data, or None when it is gone or someone else's."""
    return db.session.execute(
        select(PendingUpload.filename, PendingUpload.data).where(
            PendingUpload.token == token, PendingUpload.user_id == user.id
        )
    ).first()


def claim_pending_upload(token: str, user: User) -> bool:
    """Take the user's pending upload out of the table, in the caller's transaction.

    The delete is the claim: of two confirms of one token, the second waits for the first
    to commit and then deletes nothing, so it answers as a repeat would. A rollback (a
    failed import) puts the upload back.
    """
    deleted = db.session.execute(
        delete(PendingUpload)
        .where(PendingUpload.token == token, PendingUpload.user_id == user.id)
        .execution_options(synchronize_session=False)
    )
    return deleted.rowcount == 1


def existing_titles(user: User, decks: Iterable[DeckData]) -> set[str]:
    """Titles of the user's decks that storing these would update rather than create."""
    slugs = [deck_slug(d.title) for d in decks]
    return set(
        db.session.scalars(
            select(Deck.title).where(Deck.owner_id == user.id, Deck.slug.in_(slugs))
        )
    )
