"""Template filters and globals."""

from __future__ import annotations

from flask import Flask, render_template, url_for
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from . import kinds, rendering
from .formats.sanitize import plain_text
from .scheduling.base import RatingOption


def media_url_for(deck_id: int):
    return lambda name: url_for("decks.media", deck_id=deck_id, name=name)


# Bounds the memo below; its keys come from template literals and the server's mount point.
FIXED_URLS_MAX = 256
# Bounds the memo of deck pages' URLs: three or four per deck studied since it was last cleared.
DECK_URLS_MAX = 4096


def _remembered(memo: dict, limit: int, key, build):
    """``memo[key]``, built by ``build()`` the first time; the memo is emptied when it holds
    ``limit`` entries, so its size stays bounded whatever keys come."""
    found = memo.get(key)
    if found is None:
        if len(memo) >= limit:
            memo.clear()
        found = memo[key] = build()
    return found


def register(app: Flask) -> None:
    fixed: dict[tuple[str, str, str], str] = {}

    @app.template_global("fixed_url")
    @pass_context
    def fixed_url(context: Context, endpoint: str, filename: str = "") -> str:
        """``url_for`` for a page without arguments or a static file, built once per mount
        point: the layout links to a dozen, each ~6 us to build on every page. The mount
        point is read off the template's ``request`` (the request itself, not the proxy)."""
        values = {"filename": filename} if filename else {}
        return _remembered(fixed, FIXED_URLS_MAX, (context["request"].script_root, endpoint,
                                                   filename), lambda: url_for(endpoint, **values))

    deck_urls: dict[tuple[str, str, int], str] = {}

    @app.template_global("deck_url")
    @pass_context
    def deck_url(context: Context, endpoint: str, deck_id: int) -> str:
        """``url_for`` for a deck's page that takes only the deck, built once per mount point
        (as for ``fixed_url``) and deck: every study page links to three."""
        return _remembered(deck_urls, DECK_URLS_MAX,
                           (context["request"].script_root, endpoint, deck_id),
                           lambda: url_for(endpoint, deck_id=deck_id))

    faces: dict[RatingOption, Markup] = {}

    @app.template_global("grade_face")
    def grade_face(option: RatingOption) -> Markup:
        """A grade button's opening tag, key and label, rendered once per rating option (a
        scheduler's scale is fixed): six of them were a tenth of a study page's CPU."""
        face = faces.get(option)
        if face is None:
            face = faces[option] = Markup(render_template("study/_grade_face.html", option=option))
        return face

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

    @app.context_processor
    def globals_():
        return {"card_kind": kinds.get}
