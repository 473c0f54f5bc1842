"""Pages kept as frames: a page rendered once per shape, then filled in with each request's
values, without running its template again.

A page's *key* holds everything its template reads that is not a *slot*; the slots are the
values that change from request to request (tokens, the card's sides, counts). A template
only prints its slots (``{{ token }}``), never tests, filters or reads into them. On the
first request of a key the template is rendered twice: with the real values (the page sent)
and with a placeholder for each slot (the frame). The frame is kept only if filling its
placeholders with this request's values gives the real page byte for byte, so a slot that
is filtered or read into, or placeholder characters in a page's own text, make that key
render in full every time instead. A slot's value is escaped as Jinja's autoescaping escapes
it (``Markup`` passes as it is), so filling in is no weaker than rendering.

Falsy slot values are rendered, not filled in: ``{% if repeats %}`` reads them, so the
frame is kept per falsy value (part of the key), and placeholders stand only for true ones.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Hashable, Mapping
from typing import Any

from flask import render_template
from flask.globals import app_ctx, request_ctx
from flask_login import current_user
from markupsafe import Markup, escape

log = logging.getLogger(__name__)

# Private-use characters: autoescaping leaves them alone, and no slot name contains them.
OPEN, CLOSE = "\ue000", "\ue001"
PLACEHOLDER_RE = re.compile(f"{OPEN}(\\w+){CLOSE}")
# The characters markupsafe's escape replaces.
_ESCAPED_RE = re.compile("[&<>'\"]")
# Frames per process; each a study page's text (~3-4 KB) in pieces. Keys are shapes (deck,
# kind, mode, scheduler, ...), not cards or learners, so a worker meets few of them.
FRAMES_MAX = 2048


def as_printed(value: Any) -> bytes:
    """``str(escape(value))`` as UTF-8, as ``{{ value }}`` prints it. Text without a
    character that escaping changes is taken as it is: ``escape`` builds a ``Markup`` for
    each value, in Python, and a page fills in over a dozen."""
    if isinstance(value, Markup):
        return value.encode()
    if type(value) is str and not _ESCAPED_RE.search(value):
        return value.encode()
    return str(escape(value)).encode()


def _placeholder(name: str, value: Any) -> Any:
    if not value:
        return value
    text = f"{OPEN}{name}{CLOSE}"
    return Markup(text) if isinstance(value, Markup) else text


class LayoutUser:
    """What the layout reads of ``current_user`` on a logged-in page, its name a slot."""

    __slots__ = ("display_name", "is_instructor")
    is_authenticated = True

    def __init__(self, display_name: Any, is_instructor: bool):
        self.display_name = display_name
        self.is_instructor = is_instructor


class Frame:
    """A page's text between its placeholders, kept as UTF-8: a page with one character
    past Latin-1 (SM-2's grade titles have an en dash) is stored two bytes a character, and
    encoding all of it for each response cost ~60,000 instructions. The pieces are kept
    joined by ``%s`` (their own ``%`` doubled), so filling in is one ``bytes %`` in C
    rather than a Python loop over the pieces."""

    __slots__ = ("format", "names")

    def __init__(self, outline: str):
        pieces = PLACEHOLDER_RE.split(outline)
        self.names = pieces[1::2]
        self.format = b"%s".join(text.encode().replace(b"%", b"%%") for text in pieces[0::2])

    def fill(self, slots: Mapping[str, Any]) -> bytes:
        # as_printed, its commonest case (text with nothing to escape) inline, the check
        # spelt as five substring tests: a regular expression's search costs several times
        # as much per value, a page fills in a dozen.
        printed = {name: value.encode() if type(value) is str and not (
                       "&" in value or "<" in value or ">" in value or "'" in value
                       or '"' in value)
                   else as_printed(value) for name, value in slots.items()}
        return self.format % tuple([printed[name] for name in self.names])


class FrameMismatch(AssertionError):
    """A page served from its frame differs from the page rendered in full."""


# Kept for a shape whose frame does not give its page: that shape is always rendered.
UNFIT = Frame("")


class PageFrames:
    def __init__(self, limit: int = FRAMES_MAX):
        self._kept: dict[Hashable, Frame] = {}
        self._limit = limit

    def render(
        self,
        template: str,
        key: Hashable,
        slots: Mapping[str, Any],
        context: Callable[[Mapping[str, Any]], dict],
    ) -> bytes:
        """``render_template(template, **context(slots))`` for a logged-in learner, as the
        UTF-8 the response sends, from a kept frame when there is one. ``context(values)``
        builds the template's context around the slots' values. What the layout reads of
        the request itself (the CSRF token, the learner's name and role, the mount point)
        is added here; a page with flashed messages to show is always rendered."""
        # The request context itself, not its proxies: each attribute read through a proxy
        # raises and catches an AttributeError first.
        ctx = request_ctx._get_current_object()
        if "_flashes" in ctx.session or ctx.flashes:
            return render_template(template, **context(slots)).encode()
        kept = app_ctx._get_current_object().g
        # Flask-Login keeps the request's user in ``g._login_user`` once loaded (as it is on
        # a page behind log-in): read there, not through ``current_user``'s lookups.
        user = kept._login_user if "_login_user" in kept else current_user._get_current_object()
        slots = {**slots, "csrf_token": ctx.app.jinja_env.globals["csrf_token"](),
                 "user_name": user.display_name}
        shape = (template, key, ctx.request.script_root, bool(user.is_instructor),
                 tuple([(name, type(value), value) if not value else name
                        for name, value in slots.items()]))
        frame = self._kept.get(shape)
        if frame is UNFIT:
            return render_template(template, **context(slots)).encode()
        if frame is not None:
            page = frame.fill(slots)
            if ctx.app.config.get("CHECK_PAGE_FRAMES"):
                # The test suite's net for a template that starts showing something its
                # frame's key leaves out: every page it serves from a frame is also rendered.
                rendered = render_template(template, **context(slots)).encode()
                if page != rendered:
                    raise FrameMismatch(f"{template}: a kept frame no longer gives the page")
            return page
        page = render_template(template, **context(slots)).encode()
        values = {name: _placeholder(name, value) for name, value in slots.items()}
        framing = context(values)
        framing["csrf_token"] = lambda: values["csrf_token"]
        framing["current_user"] = LayoutUser(values["user_name"], bool(user.is_instructor))
        frame = Frame(render_template(template, **framing))
        if not set(frame.names) <= slots.keys() or frame.fill(slots) != page:
            # Rendered in full from now on; said once, as a template change can cause it.
            log.warning("%s cannot be kept as a frame: its text differs from the page", template)
            frame = UNFIT
        if len(self._kept) >= self._limit:
            self._kept.clear()
        self._kept[shape] = frame
        return page
