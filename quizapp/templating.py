"""Template filters and globals."""

from __future__ import annotations

from flask import Flask, url_for
from markupsafe import Markup

from . import rendering
from .formats.sanitize import plain_text


def media_url_for(deck_id: int):
    return lambda name: url_for("decks.media", deck_id=deck_id, name=name)


def register(app: Flask) -> None:
    @app.template_filter("card_html")
    def card_html(fragment: str, deck_id: int) -> Markup:
        # Sanitized by nh3 inside rendering.safe_html, so marking it safe is sound.
        return Markup(rendering.safe_html(fragment, media_url_for(deck_id)))

    @app.template_filter("plain")
    def plain(fragment: str) -> str:
        """Card HTML as one line of text (block tags become spaces), for previews."""
        return plain_text(fragment or "")

    @app.template_filter("plural")
    def plural(count: int, singular: str, plural_form: str | None = None) -> str:
        return f"{count} {singular if count == 1 else plural_form or singular + 's'}"
