"""Security headers on every kind of response, and no inline script or style anywhere.

Pages, downloads and media of every route are checked in test_security_authz.py; this file
adds error responses of each status, static files, and a scan of the template sources.
"""

from __future__ import annotations

import re
from pathlib import Path

from conftest import REPO, csrf_token, make_user
from security_payloads import assert_security_headers, audit_html

from quizapp import CONTENT_SECURITY_POLICY, create_app
from quizapp.extensions import db

TEMPLATES = REPO / "templates"

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
SCRIPT_BODY = re.compile(r"<script[^>]*>\s*[^<\s]", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.IGNORECASE)
STYLE_ELEMENT = re.compile(r"<style\b", re.IGNORECASE)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
JS_URL = re.compile(r"javascript:", re.IGNORECASE)


def test_policy_itself():
    directives = dict(
        (part.split()[0], part.split()[1:]) for part in CONTENT_SECURITY_POLICY.split("; ")
    )
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY


def test_templates_have_no_inline_script_style_or_handlers():
    files = sorted(TEMPLATES.rglob("*.html"))
    assert len(files) > 15
    problems = []
    for path in files:
        source = path.read_text(encoding="utf-8")
        for name, pattern in (("inline <script>", INLINE_SCRIPT), ("script body", SCRIPT_BODY),
                              ("style=", STYLE_ATTRIBUTE), ("<style>", STYLE_ELEMENT),
                              ("on*= handler", HANDLER), ("javascript: URL", JS_URL)):
            for match in pattern.finditer(source):
                line = source.count("\n", 0, match.start()) + 1
                problems.append(f"{path.relative_to(REPO)}:{line}: {name}")
    assert problems == []


def test_static_scripts_do_not_build_markup_from_strings():
    """The scripts CSP lets run must not reintroduce injection through innerHTML/eval."""
    for path in Path(REPO / "static").glob("*.js"):
        source = path.read_text(encoding="utf-8")
        for sink in ("eval(", "new Function", "document.write", "insertAdjacentHTML"):
            assert sink not in source, (path.name, sink)


def test_static_files_carry_the_headers(client):
    for name in ("app.css", "study.js", "timezone.js", "favicon.svg"):
        response = client.get(f"/static/{name}")
        assert response.status_code == 200, name
        assert_security_headers(response, name)
    assert_security_headers(client.get("/static/missing.js"), "missing static file")


def test_error_responses_carry_the_headers_and_a_plain_page(auth, client, app, monkeypatch):
    make_user("learner@example.org")
    auth.login("learner@example.org")
    token = csrf_token(client, "/classes/")
    responses = {
        404: client.get("/no/such/page"),
        405: client.put("/"),
        403: client.get("/decks/upload"),
        400: client.post("/classes/join", data={"code": "X"}),  # no CSRF token
    }
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1000)
    responses[413] = client.post("/classes/join", data={"code": "x" * 5000, "csrf_token": token})
    for status, response in responses.items():
        assert response.status_code == status
        assert_security_headers(response, f"error {status}")
        page = response.get_data(as_text=True)
        assert f"Error {status}" in page and audit_html(page) == [], status
        assert "Traceback" not in page


def test_unexpected_errors_render_a_500_page_with_headers(app):
    broken = create_app({
        "TESTING": False, "SECRET_KEY": "test-secret-key", "RATELIMIT_ENABLED": False,
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
    })

    @broken.get("/boom")
    def boom():
        raise RuntimeError("secret internal detail")

    try:
        with broken.app_context():
            response = broken.test_client().get("/boom")
        assert response.status_code == 500
        assert_security_headers(response, "500")
        page = response.get_data(as_text=True)
        assert "secret internal detail" not in page and "Traceback" not in page
        assert audit_html(page) == []
    finally:
        with broken.app_context():
            db.session.remove()
            db.engine.dispose()


def test_redirects_carry_the_headers(client):
    response = client.get("/progress/")
    assert response.status_code == 302
    assert_security_headers(response, "redirect")
    assert response.headers["X-Frame-Options"] == "DENY"
