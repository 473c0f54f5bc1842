"""How Flask-Login finds the user behind a session cookie."""

from __future__ import annotations

from .models import User
from .services.rows import get_by_id


def register(login_manager) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(session_id: str) -> User | None:
        user_id, _, version = session_id.partition(":")
        if not (user_id.isdigit() and version.isdigit()):
            return None
        user = get_by_id(User, int(user_id))
        if user is None or user.session_version != int(version):
            return None
        return user
