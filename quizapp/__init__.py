"""quizapp: spaced-repetition study quizzes for a classroom."""

from __future__ import annotations

import functools
import gc
import math
import time
from pathlib import Path

from flask import Flask, abort, render_template, request
from flask.globals import request_ctx
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.routing import IntegerConverter

from . import config as settings
from .extensions import csrf, db, limiter, login_manager, migrate
from .models import MAX_ID
from .signing import CookieSessionInterface

ROOT = Path(__file__).resolve().parent.parent

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


# Titles and messages in plain words for the errors a person can meet.
PLAIN_ERRORS = {
    400: ("Something in that request was wrong",
          "The page sent something the app could not use. Go back, reload it and try again."),
    403: ("Not allowed", "Your account cannot open this page."),
    404: ("Page not found", "There is nothing at this address. It may have been moved or "
          "deleted, or the link may be mistyped."),
    405: ("Not a page to open this way",
          "This address only accepts a form. Go back and use the button on the page."),
    500: ("Something went wrong", "The error has been logged."),
}


def create_app(config: dict | None = None) -> Flask:
    """The app; ``config`` overrides the settings read from the environment (tests)."""
    app = QuizApp(
        __name__,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    # Ids in URLs fit the database's integer columns: a larger one is a 404, not an overflow.
    app.url_map.converters["int"] = _IdConverter
    app.session_interface = CookieSessionInterface()
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(settings.DEFAULTS)
    app.config.update(settings.from_environment(app.instance_path))
    if config:
        app.config.update(config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = settings.load_secret_key(app.instance_path)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    # Registers the database:// storage scheme before the limiter reads its storage URI.
    from .services import ratelimit  # noqa: F401
    limiter.init_app(app)
    _limit_through_decorators_only(app)
    _limiter_hooks_when_used(app)

    from . import auth_loader, cli, jobs, templating
    from .blueprints import (
        anki_progress,
        auth,
        classes,
        decks,
        main,
        progress,
        schedulers,
        scheduling,
        study,
    )
    from .blueprints import jobs as job_pages

    auth_loader.register(login_manager)
    templating.register(app)
    jobs.init_app(app)
    for blueprint in (main.bp, auth.bp, decks.bp, study.bp, progress.bp, classes.bp,
                      job_pages.bp, schedulers.bp, scheduling.bp, anki_progress.bp):
        app.register_blueprint(blueprint)
    cli.register(app)
    _register_error_pages(app)
    app.after_request(_security_headers)
    app.before_request(_refuse_nul_characters)
    return app


class QuizApp(Flask):
    """Flask, asking once per view, hook and handler whether it is a coroutine function.

    Flask passes each through ``ensure_sync`` every time it calls it (two dozen times a
    request), and ``inspect.iscoroutinefunction`` unwraps and inspects the function each time
    (~10 us a request). The answer is kept per function; a coroutine function is still
    wrapped by Flask's own code on each call."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._plain_functions: set = set()

    def ensure_sync(self, func):
        try:
            if func in self._plain_functions:
                return func
        except TypeError:  # unhashable callable: asked every time
            return super().ensure_sync(func)
        synced = super().ensure_sync(func)
        # Hooks and views are a fixed set; the bound keeps callables made per call
        # (partials) from growing it.
        if synced is func and len(self._plain_functions) < MAX_PLAIN_FUNCTIONS:
            self._plain_functions.add(func)
        return synced


MAX_PLAIN_FUNCTIONS = 4096


class _IdConverter(IntegerConverter):
    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def _limit_through_decorators_only(app: Flask) -> None:
    """Take out Flask-Limiter's check before every request: the app's only limits are the
    ``@limiter.limit`` decorators (log-in, registration), which check on their own when
    their view runs. The hook adds only default, application and blueprint limits: the app
    sets none (should default or application limits be set, it stays). On every other
    request it found no limit and touched no storage, yet cost ~0.2 ms (a study request is
    ~4 ms). With ``RATELIMIT_ENABLED`` off it was never added."""
    limits = limiter.limit_manager
    hook = limiter._check_request_limit
    if limits.default_limits or limits.application_limits:
        return
    if hook in app.before_request_funcs[None]:
        app.before_request_funcs[None].remove(hook)


# What Flask-Limiter keeps on the request context once a limit was checked in the request.
_LIMITER_CONTEXT = "_limiter_request_context"


def _limiter_hooks_when_used(app: Flask) -> None:
    """Flask-Limiter's after-request hook (rate-limit headers, deductions on condition) and
    its teardown work on a per-request context that only a checked limit fills; on every
    other request they made an empty one to find nothing in it (~15 us a request). They now
    run when the request has that context, and do exactly what they did then."""
    after = app.after_request_funcs.get(None, [])
    for index, hook in enumerate(after):
        if (isinstance(hook, functools.partial) and hook.args == (limiter,)
                and getattr(hook.func, "__name__", "") == "__inject_headers"):
            after[index] = _when_limited(hook)
    teardown = app.teardown_request_funcs.get(None, [])
    release = getattr(limiter, "_Limiter__release_context", None)
    if release in teardown:
        teardown[teardown.index(release)] = _when_limited(release)


def _when_limited(hook):
    def run(value):
        # Asked of the context itself: through the ``request_ctx`` proxy a missing attribute
        # is an AttributeError raised and caught in Python.
        if hasattr(request_ctx._get_current_object(), _LIMITER_CONTEXT):
            return hook(value)
        return value

    return run


def create_served_app() -> Flask:
    """The app as a server process holds it (``wsgi.py``; the HTTP benchmark's gunicorn).

    What starting made (modules, the app, its metadata: ~135k objects) lives as long as the
    process, yet every full pass of the garbage collector walked it again, 80–250 ms in the
    middle of some request on this 2-core VM. Frozen, those passes skip it.
    """
    app = create_app()
    gc.freeze()
    return app


def _refuse_nul_characters():
    """PostgreSQL cannot store or compare text holding NUL, so such input would be a 500
    there (and pass on SQLite): refuse it the same way on every engine."""
    current = request._get_current_object()  # one context lookup, not one per attribute
    view_args = current.view_args or {}
    # Without a content type werkzeug parses no body: the form and files are empty.
    body = current.want_form_data_parsed
    if (
        (_query_may_hold_nul(current.query_string)
         and _holds_nul(current.args.items(multi=True)))
        or (body and _holds_nul(current.form.items(multi=True)))
        or any(isinstance(value, str) and "\x00" in value for value in view_args.values())
        or (body and any("\x00" in (storage.filename or "")
                         for storage in current.files.values()))
    ):
        abort(400, "The form contained a NUL character, which is not allowed.")


def _query_may_hold_nul(query: bytes) -> bool:
    """A NUL reaches the parsed query only as itself or percent-encoded ("%00"): a query
    without either needs no parsing to be cleared (most requests have none at all)."""
    return b"\x00" in query or b"%00" in query


def _holds_nul(pairs) -> bool:
    return any("\x00" in key or "\x00" in value for key, value in pairs)


# (name, value) of the headers every response carries unless its view set them.
SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
)
_SECURITY_HEADER_NAMES = frozenset(name.lower() for name, _ in SECURITY_HEADERS)


def _security_headers(response):
    """Each header a view did not set itself is added. One pass over the response's headers
    (``Headers.setdefault`` searched them twice per header and raised a KeyError for each
    missing one: ~10 us a response)."""
    headers = response.headers
    present = {key.lower() for key, _ in headers} & _SECURITY_HEADER_NAMES
    for name, value in SECURITY_HEADERS:
        if name.lower() not in present:
            headers.add(name, value)
    return response


def _register_error_pages(app: Flask) -> None:
    def render_error(status: int, title: str, message: str):
        return render_template("error.html", status=status, title=title, message=message), status

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return render_error(
            400, "Form expired", "The form was missing its security token or it expired. "
            "Go back, reload the page and try again."
        )

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(error: RequestEntityTooLarge):
        limit = app.config.get("MAX_CONTENT_LENGTH") or 0
        size = f"{limit / (1024 * 1024):.1f}".removesuffix(".0")
        return render_error(
            413, "File too large",
            f"Uploads are limited to {size} MB. Choose a smaller file and try again.",
        )

    @app.errorhandler(RateLimitExceeded)
    def rate_limited(error: RateLimitExceeded):
        current = limiter.current_limit
        # The window's own end, not ``reset_at``: Flask-Limiter rounds that up by a second,
        # which could promise a 61-second wait on a one-minute limit.
        wait = max(1, math.ceil(current.window[0] - time.time())) if current else 60
        return render_error(
            429, "Too many attempts",
            f"There were too many attempts from your address. Try again in "
            f"{wait} second{'s' if wait != 1 else ''}.",
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        status = error.code or 500
        title, default_message = PLAIN_ERRORS.get(status, (error.name, error.description))
        # A view's own abort() message says more than werkzeug's generic one.
        own = error.description if error.description != type(error).description else None
        return render_error(status, title, own or default_message or "")

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        app.logger.exception("Unhandled error")
        db.session.rollback()
        return render_error(500, "Something went wrong", "The error has been logged.")
