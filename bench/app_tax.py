"""The fixed cost of a request to the app ("app tax"), against a bare Flask app.

Both are served as ``bench/ceiling_app.py`` serves them (the real app with a bare Flask app
mounted through ``DispatcherMiddleware``) and called as gunicorn's sync worker calls them: an
environ dict and ``start_response``, the body iterated and closed. Each gets a view doing
nothing (added here, not in the app): the app's behind ``login_required`` at a study-like
URL (``/_tax/<deck_id>``, its user and deck read in one statement as on ``/study/<deck>``),
for a logged-in learner, as a GET and as a form POST with its CSRF token; ``app-anon`` is a
page without log-in. What the app's request costs above the bare one is its fixed "tax":
what every request pays before and after its view (no template, no statement of its own).

    python bench/app_tax.py                 # CPU per request, endpoints alternated
    python bench/app_tax.py --profile app-get   # cProfile of one endpoint
    valgrind --tool=callgrind python bench/app_tax.py --only app-get --requests 0|500
        # instructions per request: the difference of two runs / 500
    valgrind --tool=callgrind --instr-atstart=no python bench/app_tax.py --only app-get \
        --requests 100|600 --callgrind
        # the same, counting only the requests (instrumentation switched on around them
        # by callgrind_control): each run takes seconds, not minutes
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import gc
import io
import os
import pstats
import re
import statistics
import subprocess
import sys
import tempfile
import time
from urllib.parse import urlencode

from flask import Flask
from flask_login import login_required
from flask_migrate import upgrade
from werkzeug.middleware.dispatcher import DispatcherMiddleware

ENDPOINTS = ("bare-get", "app-get", "app-post", "app-anon")


def build():
    from quizapp import create_app
    from quizapp.extensions import db
    from quizapp.models import User

    url = os.environ.get("QUIZAPP_DATABASE_URL") or (
        "sqlite:///" + os.path.join(tempfile.mkdtemp(), "tax.sqlite"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "tax-secret-key"})

    @login_required
    def tax(deck_id):
        return "ok"

    def anon():
        return "ok"

    # A study page's URL (its user and deck read in one statement, auth_loader.DECK_PAGES).
    from flask import Blueprint

    from quizapp import auth_loader
    auth_loader.DECK_PAGES = auth_loader.DECK_PAGES | {"tax"}
    pages = Blueprint("tax", __name__)
    pages.add_url_rule("/_tax/<int:deck_id>", "tax", tax, methods=["GET", "POST"])
    app.register_blueprint(pages)
    app.add_url_rule("/_anon", "anon", anon)
    with app.app_context():
        upgrade()
        user = db.session.scalar(db.select(User).filter_by(email="tax@example.org"))
        if user is None:
            user = User(email="tax@example.org", display_name="tax", role="learner",
                        timezone="UTC")
            user.set_password("correct-horse-1")
            db.session.add(user)
            db.session.commit()
    bare = Flask("bare")
    bare.add_url_rule("/_tax", "tax", lambda: "ok")
    served = DispatcherMiddleware(app, {"/ceiling": bare})

    client = app.test_client()
    # The browser that logged in: Flask-Login's session protection hashes these two.
    client.environ_base.update(HTTP_USER_AGENT="bench", REMOTE_ADDR="127.0.0.1")
    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/auth/login", data={"email": "tax@example.org",
                                                 "password": "correct-horse-1",
                                                 "csrf_token": token})
    assert response.status_code == 302, response.status_code
    cookie = client.get_cookie("session").value
    page = client.get("/").get_data(as_text=True)
    form_token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    return served, cookie, form_token


def environ_for(endpoint: str, cookie: str, token: str) -> dict:
    path = {"bare-get": "/ceiling/_tax", "app-anon": "/_anon"}.get(endpoint, "/_tax/1")
    body = urlencode({"csrf_token": token}).encode() if endpoint == "app-post" else b""
    environ = {
        "REQUEST_METHOD": "POST" if endpoint == "app-post" else "GET",
        "SCRIPT_NAME": "", "PATH_INFO": path, "QUERY_STRING": "", "RAW_URI": path,
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1", "REMOTE_PORT": "40000",
        "HTTP_HOST": "127.0.0.1:8000", "HTTP_USER_AGENT": "bench",
        "HTTP_ACCEPT": "text/html", "HTTP_CONNECTION": "keep-alive",
        "wsgi.url_scheme": "http", "wsgi.version": (1, 0), "wsgi.multithread": False,
        "wsgi.multiprocess": True, "wsgi.run_once": False, "wsgi.errors": sys.stderr,
        "wsgi.file_wrapper": None,
    }
    if endpoint != "bare-get":
        environ["HTTP_COOKIE"] = "session=" + cookie
    if body:
        environ["CONTENT_TYPE"] = "application/x-www-form-urlencoded"
        environ["CONTENT_LENGTH"] = str(len(body))
    environ["_body"] = body
    return environ


def call(served, template: dict) -> None:
    environ = dict(template)
    environ["wsgi.input"] = io.BytesIO(environ.pop("_body"))
    status = []
    result = served(environ, lambda s, h, exc_info=None: status.append(s))
    try:
        for _chunk in result:
            pass
    finally:
        if hasattr(result, "close"):
            result.close()
    if not status[0].startswith("200"):
        raise SystemExit(f"{template['PATH_INFO']}: {status[0]}")


@contextlib.contextmanager
def _instrumented(on: bool):
    """Callgrind's instrumentation switched on for the block (``--callgrind``): the process
    starts with it off, so importing and building the app are not counted."""
    if on:
        subprocess.run(["callgrind_control", "-i", "on", str(os.getpid())], check=True,
                       stdout=subprocess.DEVNULL)
    try:
        yield
    finally:
        if on:
            subprocess.run(["callgrind_control", "-i", "off", str(os.getpid())], check=True,
                           stdout=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", choices=ENDPOINTS)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--profile", choices=ENDPOINTS)
    parser.add_argument("--callgrind", action="store_true",
                        help="with --only, under callgrind --instr-atstart=no: count only "
                             "the requests")
    args = parser.parse_args()
    served, cookie, token = build()
    gc.freeze()  # as quizapp.create_served_app does
    environs = {name: environ_for(name, cookie, token) for name in ENDPOINTS}
    for name in ENDPOINTS:
        for _ in range(50):
            call(served, environs[name])
    if args.only:
        with _instrumented(args.callgrind):
            for _ in range(args.requests):
                call(served, environs[args.only])
        return
    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.requests):
            call(served, environs[args.profile])
        profile.disable()
        stats = pstats.Stats(profile)
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(90)
        return
    times = {name: [] for name in ENDPOINTS}
    batch = max(1, args.requests // args.rounds)
    for _ in range(args.rounds):
        for name in ENDPOINTS:
            start = time.process_time()
            for _ in range(batch):
                call(served, environs[name])
            times[name].append((time.process_time() - start) / batch * 1e6)
    bare = statistics.median(times["bare-get"])
    for name in ENDPOINTS:
        median = statistics.median(times[name])
        print(f"{name:9} {median:7.1f} us CPU/request  ({median / bare:4.2f}x bare, "
              f"tax {median - bare:6.1f} us)")


if __name__ == "__main__":
    main()
