"""Accounts: registering, changing one's details and password, ending sessions."""

from __future__ import annotations

from ..extensions import db
from ..models import User, user_by_email
from .rows import insert_once


def register_learner(email: str, display_name: str, timezone: str, password_hash: str) -> None:
    """Create a learner account for ``email`` unless the address has one already, even one
    registered at this very moment: then nothing about that account changes."""
    if user_by_email(email) is None:
        insert_once(
            User, email=email, display_name=display_name, timezone=timezone, role="learner",
            password_hash=password_hash,
        )


def end_sessions(user: User) -> None:
    """Every session cookie issued to the user so far stops working."""
    user.session_version += 1
    db.session.flush()


def change_password(user: User, password: str) -> None:
    """Set the password and log the user out everywhere (the caller logs this browser in)."""
    user.set_password(password)
    end_sessions(user)


def update_details(user: User, display_name: str, timezone: str) -> None:
    user.display_name = display_name.strip()
    # Due dates already stored stay on their dates; "today" follows the new zone.
    user.timezone = timezone
    db.session.flush()
