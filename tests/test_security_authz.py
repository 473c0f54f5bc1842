"""Authorization for every route in the URL map, for every kind of visitor.

One row per (rule, method, target): what an anonymous visitor, the class's learner, another
learner, the owning instructor, another instructor and an admin get. A route added to the app
without a row here fails ``test_every_route_has_a_row``. Every response is also checked for
the security headers and for markup that could run script; a refused POST must leave every
table exactly as it was.
"""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import pytest
from conftest import csrf_token
from security_payloads import (
    PASSWORD,
    ROLES,
    World,
    assert_security_headers,
    audit_html,
    empty_tables,
    log_in_as,
    snapshot,
)

L = "login"  # a redirect to the log-in page


def _upload():
    return {"file": (io.BytesIO(b"front,back\nUploaded question,Uploaded answer\n"),
                     "deck.csv")}


# (method, rule, url, form data or a function making it, statuses in ROLES order)
TABLE = [
    ("GET", "/static/<path:filename>", "/static/app.css", None, [200] * 6),
    ("GET", "/static/<path:filename>", "/static/study.js", None, [200] * 6),
    ("GET", "/static/<path:filename>", "/static/job.js", None, [200] * 6),
    ("GET", "/", "/", None, [200] * 6),
    ("GET", "/auth/register", "/auth/register", None, [200] * 6),
    ("POST", "/auth/register", "/auth/register",
     {"email": "brand-new@example.org", "display_name": "New", "password": "long-enough-1",
      "confirm": "long-enough-1", "timezone": "UTC"}, [303] * 6),
    ("GET", "/auth/login", "/auth/login", None, [200] * 6),
    ("POST", "/auth/login", "/auth/login",
     {"email": "learner@example.org", "password": PASSWORD}, [302] * 6),
    ("POST", "/auth/logout", "/auth/logout", {}, [L] + [302] * 5),
    ("GET", "/auth/account", "/auth/account", None, [L] + [200] * 5),
    ("POST", "/auth/account", "/auth/account",
     {"display_name": "Renamed", "timezone": "Europe/Oslo"}, [L] + [303] * 5),
    ("GET", "/auth/password", "/auth/password", None, [L] + [200] * 5),
    ("POST", "/auth/password", "/auth/password",
     {"current": PASSWORD, "password": "new-password-9", "confirm": "new-password-9"},
     [L] + [302] * 5),
    # Deck pages: drafts are invisible (404) to everyone but their owner and admins.
    ("GET", "/decks/<int:deck_id>", "/decks/{pub}", None, [L] + [200] * 5),
    ("GET", "/decks/<int:deck_id>", "/decks/{draft}", None, [L, 404, 404, 200, 404, 200]),
    ("GET", "/decks/<int:deck_id>", "/decks/{foreign}", None, [L, 404, 404, 404, 200, 200]),
    ("GET", "/decks/<int:deck_id>", "/decks/999999", None, [L] + [404] * 5),
    ("GET", "/decks/<int:deck_id>/media/<path:name>", "/decks/{pub}/media/pic.png", None,
     [L] + [200] * 5),
    ("GET", "/decks/<int:deck_id>/media/<path:name>", "/decks/{pub}/media/pic.svg", None,
     [L] + [200] * 5),
    ("GET", "/decks/<int:deck_id>/media/<path:name>", "/decks/{draft}/media/pic.png", None,
     [L, 404, 404, 200, 404, 200]),
    ("GET", "/decks/<int:deck_id>/media/<path:name>", "/decks/{pub}/media/../../etc/passwd",
     None, [L] + [404] * 5),
    ("GET", "/decks/upload", "/decks/upload", None, [L, 403, 403, 200, 200, 200]),
    ("POST", "/decks/upload", "/decks/upload", _upload, [L, 403, 403, 200, 200, 200]),
    # A pending upload belongs to the instructor who uploaded it, even for an admin.
    ("POST", "/decks/upload/confirm", "/decks/upload/confirm", {"token": "pending-token-of-a"},
     [L, 403, 403, 303, 400, 400]),
    # Anyone who may study a deck may bring their Anki progress into it; a CSV is no Anki
    # package (400), and a pending upload is confirmed only by its uploader, for its deck.
    ("GET", "/decks/<int:deck_id>/anki-progress", "/decks/{pub}/anki-progress", None,
     [L] + [200] * 5),
    ("GET", "/decks/<int:deck_id>/anki-progress", "/decks/{draft}/anki-progress", None,
     [L, 404, 404, 200, 404, 200]),
    ("POST", "/decks/<int:deck_id>/anki-progress", "/decks/{pub}/anki-progress", _upload,
     [L] + [400] * 5),
    ("POST", "/decks/<int:deck_id>/anki-progress", "/decks/{draft}/anki-progress", _upload,
     [L, 404, 404, 400, 404, 400]),
    ("POST", "/decks/<int:deck_id>/anki-progress/confirm", "/decks/{pub}/anki-progress/confirm",
     {"token": "pending-token-of-a"}, [L] + [400] * 5),
    ("POST", "/decks/<int:deck_id>/anki-progress/confirm",
     "/decks/{draft}/anki-progress/confirm", {"token": "pending-token-of-a"},
     [L, 404, 404, 400, 404, 400]),
    # A preview is read from its own (done) preview job: anyone else's job is a 404, and
    # the owner's job of another kind previews nothing (400).
    ("GET", "/decks/<int:deck_id>/anki-progress/preview/<int:job_id>",
     "/decks/{pub}/anki-progress/preview/{job}", None, [L, 404, 404, 400, 404, 404]),
    ("GET", "/decks/generate", "/decks/generate", None, [L, 403, 403, 200, 200, 200]),
    ("POST", "/decks/generate", "/decks/generate", {"title": "t" * 300},
     [L, 403, 403, 400, 400, 400]),
    ("GET", "/decks/<int:deck_id>/review", "/decks/{pub}/review", None,
     [L, 403, 403, 200, 403, 200]),
    ("GET", "/decks/<int:deck_id>/review", "/decks/{draft}/review", None,
     [L, 403, 403, 200, 403, 200]),
    ("GET", "/decks/<int:deck_id>/review", "/decks/{draft}/review?dropped={draft_card}", None,
     [L, 403, 403, 200, 403, 200]),
    # Accepting or dropping a suggestion: the deck's owner or an admin; a forged id is a 404.
    ("POST", "/decks/<int:deck_id>/suggestions", "/decks/{draft}/suggestions",
     {"suggestion": "cause:draft-fact", "decision": "accept"}, [L, 403, 403, 303, 403, 303]),
    ("POST", "/decks/<int:deck_id>/suggestions", "/decks/{draft}/suggestions",
     {"suggestion": "cause:draft-fact", "decision": "drop"}, [L, 403, 403, 303, 403, 303]),
    ("POST", "/decks/<int:deck_id>/suggestions", "/decks/{draft}/suggestions",
     {"suggestion": "cause:draft-fact", "decision": "forged"}, [L, 403, 403, 400, 403, 400]),
    ("POST", "/decks/<int:deck_id>/suggestions", "/decks/{foreign}/suggestions",
     {"suggestion": "cause:draft-fact", "decision": "accept"}, [L, 403, 403, 403, 404, 404]),
    ("POST", "/decks/<int:deck_id>/suggestions", "/decks/999999/suggestions",
     {"suggestion": "cause:draft-fact", "decision": "accept"}, [L, 403, 403, 404, 404, 404]),
    ("GET", "/decks/mine", "/decks/mine", None, [L, 403, 403, 200, 200, 200]),
    ("GET", "/decks/<int:deck_id>/settings", "/decks/{pub}/settings", None,
     [L, 403, 403, 200, 403, 200]),
    ("GET", "/decks/<int:deck_id>/settings", "/decks/{draft}/settings", None,
     [L, 403, 403, 200, 403, 200]),
    ("POST", "/decks/<int:deck_id>/settings", "/decks/{pub}/settings",
     {"title": "Renamed", "description": "", "new_per_day": "5", "reviews_per_day": "50"},
     [L, 403, 403, 303, 403, 303]),
    ("POST", "/decks/<int:deck_id>/settings", "/decks/{draft}/settings",
     {"title": "Renamed", "description": "", "new_per_day": "5", "reviews_per_day": "50"},
     [L, 403, 403, 303, 403, 303]),
    # The simulator for one deck: its editors only (a one-card deck simulates in a moment).
    ("POST", "/decks/<int:deck_id>/simulation", "/decks/{pub}/simulation", {},
     [L, 403, 403, 303, 403, 303]),
    ("POST", "/decks/<int:deck_id>/simulation", "/decks/{draft}/simulation", {},
     [L, 403, 403, 303, 403, 303]),
    ("GET", "/decks/<int:deck_id>/scheduler", "/decks/{pub}/scheduler", None,
     [L, 403, 403, 200, 403, 200]),
    ("POST", "/decks/<int:deck_id>/scheduler", "/decks/{draft}/scheduler",
     {"name": "fsrs", "desired_retention": "0.9", "maximum_interval": "365"},
     [L, 403, 403, 303, 403, 303]),
    ("POST", "/decks/<int:deck_id>/publish", "/decks/{draft}/publish", {"published": "1"},
     [L, 403, 403, 303, 403, 303]),
    ("POST", "/decks/<int:deck_id>/publish", "/decks/{pub}/publish", {"published": "0"},
     [L, 403, 403, 303, 403, 303]),
    ("GET", "/decks/<int:deck_id>/cards/<int:card_id>/edit", "/decks/{pub}/cards/{pub_card}/edit",
     None, [L, 403, 403, 200, 403, 200]),
    # A card of another deck cannot be reached through a deck one may edit.
    ("GET", "/decks/<int:deck_id>/cards/<int:card_id>/edit",
     "/decks/{pub}/cards/{draft_card}/edit", None, [L, 403, 403, 404, 403, 404]),
    ("POST", "/decks/<int:deck_id>/cards/<int:card_id>/edit",
     "/decks/{pub}/cards/{pub_card}/edit", {"kind": "basic", "prompt": "Changed", "answer": "A"},
     [L, 403, 403, 303, 403, 303]),
    ("GET", "/decks/<int:deck_id>/cards/new", "/decks/{draft}/cards/new", None,
     [L, 403, 403, 200, 403, 200]),
    ("POST", "/decks/<int:deck_id>/cards/new", "/decks/{draft}/cards/new",
     {"kind": "basic", "prompt": "Added", "answer": "A"}, [L, 403, 403, 303, 403, 303]),
    ("POST", "/decks/<int:deck_id>/cards/<int:card_id>/delete",
     "/decks/{pub}/cards/{pub_card}/delete", {}, [L, 403, 403, 303, 403, 303]),
    ("POST", "/decks/<int:deck_id>/cards/<int:card_id>/delete",
     "/decks/{pub}/cards/{draft_card}/delete", {}, [L, 403, 403, 404, 403, 404]),
    ("POST", "/decks/<int:deck_id>/cards/<int:card_id>/restore",
     "/decks/{draft}/cards/{draft_card}/restore", {"back": "review"},
     [L, 403, 403, 303, 403, 303]),
    ("POST", "/decks/<int:deck_id>/cards/<int:card_id>/restore",
     "/decks/{pub}/cards/{draft_card}/restore", {}, [L, 403, 403, 404, 403, 404]),
    ("GET", "/decks/<int:deck_id>/export.apkg", "/decks/{pub}/export.apkg", None,
     [L] + [200] * 5),
    ("GET", "/decks/<int:deck_id>/export.apkg", "/decks/{draft}/export.apkg?progress=1", None,
     [L, 404, 404, 200, 404, 200]),
    ("GET", "/decks/<int:deck_id>/export.csv", "/decks/{pub}/export.csv", None,
     [L] + [200] * 5),
    ("GET", "/decks/<int:deck_id>/export.csv", "/decks/{draft}/export.csv", None,
     [L, 404, 404, 200, 404, 200]),
    # A job (and the files it holds) is its owner's alone, admins included.
    ("GET", "/jobs/<int:job_id>", "/jobs/{job}", None, [L, 404, 404, 200, 404, 404]),
    ("GET", "/jobs/<int:job_id>/status", "/jobs/{job}/status", None,
     [L, 404, 404, 200, 404, 404]),
    ("GET", "/jobs/<int:job_id>", "/jobs/999999", None, [L] + [404] * 5),
    ("GET", "/study/<int:deck_id>", "/study/{pub}", None, [L] + [200] * 5),
    ("GET", "/study/<int:deck_id>", "/study/{pub}?mode=cram", None, [L] + [200] * 5),
    ("GET", "/study/<int:deck_id>", "/study/{draft}", None, [L, 404, 404, 200, 404, 200]),
    ("POST", "/study/<int:deck_id>/answer", "/study/{pub}/answer",
     {"token": "forged", "grade": "5"}, [L] + [303] * 5),
    ("POST", "/study/<int:deck_id>/answer", "/study/{draft}/answer",
     {"token": "forged", "grade": "5"}, [L, 404, 404, 303, 404, 303]),
    ("POST", "/study/<int:deck_id>/undo", "/study/{pub}/undo", {}, [L] + [303] * 5),
    ("POST", "/study/<int:deck_id>/undo", "/study/{draft}/undo", {},
     [L, 404, 404, 303, 404, 303]),
    ("POST", "/study/<int:deck_id>/more-new", "/study/{pub}/more-new", {}, [L] + [303] * 5),
    ("POST", "/study/<int:deck_id>/more-new", "/study/{draft}/more-new", {},
     [L, 404, 404, 303, 404, 303]),
    ("GET", "/study/<int:deck_id>/scheduler", "/study/{pub}/scheduler", None,
     [L] + [200] * 5),
    ("GET", "/study/<int:deck_id>/scheduler", "/study/{draft}/scheduler", None,
     [L, 404, 404, 200, 404, 200]),
    ("POST", "/study/<int:deck_id>/scheduler", "/study/{pub}/scheduler",
     {"name": "fsrs", "desired_retention": "0.9", "maximum_interval": "365"},
     [L] + [303] * 5),
    ("GET", "/progress/", "/progress/", None, [L] + [200] * 5),
    ("GET", "/progress/decks/<int:deck_id>", "/progress/decks/{pub}", None, [L] + [200] * 5),
    # Fitting one's own parameters: anyone who may study the deck is told how far along they
    # are (nobody here has the reviews); a draft stays invisible.
    ("POST", "/progress/decks/<int:deck_id>/fit", "/progress/decks/{pub}/fit", {},
     [L] + [303] * 5),
    ("POST", "/progress/decks/<int:deck_id>/fit", "/progress/decks/{draft}/fit", {},
     [L, 404, 404, 303, 404, 303]),
    ("GET", "/progress/decks/<int:deck_id>", "/progress/decks/{draft}", None,
     [L, 404, 404, 200, 404, 200]),
    ("GET", "/classes/", "/classes/", None, [L] + [200] * 5),
    ("POST", "/classes/", "/classes/", {"name": "New class"}, [L, 403, 403, 303, 303, 303]),
    ("POST", "/classes/join", "/classes/join", {"code": "joinme22"}, [L] + [303] * 5),
    ("GET", "/classes/<int:class_id>", "/classes/{class}", None, [L, 403, 403, 200, 403, 200]),
    ("GET", "/classes/<int:class_id>", "/classes/999999", None, [L, 403, 403, 404, 404, 404]),
    ("GET", "/classes/<int:class_id>/dashboard.csv", "/classes/{class}/dashboard.csv", None,
     [L, 403, 403, 200, 403, 200]),
    ("GET", "/classes/<int:class_id>/cards", "/classes/{class}/cards", None,
     [L, 403, 403, 200, 403, 200]),
    ("GET", "/classes/<int:class_id>/cards", "/classes/999999/cards", None,
     [L, 403, 403, 404, 404, 404]),
    # Only published decks can be assigned: a draft, A's own or B's, is refused to everyone.
    ("POST", "/classes/<int:class_id>/decks", "/classes/{class}/decks", {"deck_id": "{draft}"},
     [L, 403, 403, 400, 403, 400]),
    ("POST", "/classes/<int:class_id>/decks", "/classes/{class}/decks",
     {"deck_id": "{foreign}"}, [L, 403, 403, 400, 403, 400]),
    ("POST", "/classes/<int:class_id>/decks/<int:deck_id>/remove",
     "/classes/{class}/decks/{pub}/remove", {}, [L, 403, 403, 303, 403, 303]),
]

ROWS = [pytest.param(row, id=f"{row[0]} {row[2]}") for row in TABLE]


@pytest.fixture
def world(app):
    return World()


def test_every_route_has_a_row(app):
    covered = {(rule, method) for method, rule, *_ in TABLE}
    missing = sorted(
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
        if (rule.rule, method) not in covered
    )
    assert missing == [], f"routes without an authorization row: {missing}"
    stale = covered - {
        (rule.rule, method) for rule in app.url_map.iter_rules() for method in rule.methods
    }
    assert stale == set(), f"rows for routes that no longer exist: {stale}"


def send(client, world: World, method: str, url: str, data, *, token: bool = True):
    url = url.format(**world.ids)
    if method == "GET":
        return client.get(url)
    form = data() if callable(data) else {
        key: value.format(**world.ids) if isinstance(value, str) else value
        for key, value in (data or {}).items()
    }
    if token:
        form["csrf_token"] = csrf_token(client, "/auth/login")
    return client.post(url, data=form)


def check(client, world: World, row, role: str, expected) -> bool:
    """Send the row's request as ``role``; True when it was refused (and so changed nothing)."""
    method, _rule, url, data, _ = row
    log_in_as(client, world.users.get(role))
    before = snapshot() if method == "POST" else None
    response = send(client, world, method, url, data)
    where = f"{method} {url} as {role}"
    if expected == L:
        assert response.status_code == 302, where
        assert urlsplit(response.headers["Location"]).path == "/auth/login", where
    else:
        assert response.status_code == expected, (where, response.get_data(as_text=True)[:300])
    assert_security_headers(response, where)
    if response.mimetype == "text/html":
        page = response.get_data(as_text=True)
        assert audit_html(page) == [], where
        if role not in ("owner", "admin"):
            assert "Secret draft deck" not in page and "Draft question" not in page, where
    refused = expected == L or expected in (400, 403, 404)
    if method == "POST" and refused:
        assert snapshot() == before, f"{where} was refused but changed the database"
    return refused


@pytest.mark.parametrize("row", ROWS)
def test_route_answers_each_role_as_the_table_says(app, row):
    """Each role in a fresh client; after a POST that was let through, a fresh world."""
    world = World()
    failures = []
    for role, expected in zip(ROLES, row[4], strict=True):
        try:
            refused = check(app.test_client(), world, row, role, expected)
        except AssertionError as error:
            failures.append(str(error).splitlines()[0])
            refused = False
        if row[0] == "POST" and not refused:
            empty_tables()
            world = World()
    assert failures == []


@pytest.mark.parametrize("role", ROLES)
def test_draft_titles_are_listed_only_for_their_owner_and_admins(client, world, role):
    log_in_as(client, world.users.get(role))
    pages = ["/"]
    if role in ("owner", "other_instructor", "admin"):
        pages += ["/decks/mine"]
    for url in pages:
        page = client.get(url).get_data(as_text=True)
        assert ("Secret draft deck" in page) == (role in ("owner", "admin")), (url, role)
        # Another instructor's draft is never offered to A (admins see everything).
        assert ("Foreign draft" in page) == (role in ("other_instructor", "admin")), (url, role)
    if role in ("owner", "admin"):
        # The class dashboard offers only published decks for assignment, never a draft.
        page = client.get(f"/classes/{world.ids['class']}").get_data(as_text=True)
        assert "Secret draft deck" not in page and "Foreign draft" not in page
        assert "Published deck" in page


def test_a_pending_upload_cannot_be_confirmed_by_another_instructor(client, world):
    log_in_as(client, world.users["other_instructor"])
    response = send(client, world, "POST", "/decks/upload/confirm",
                    {"token": "pending-token-of-a"})
    assert response.status_code == 400
    log_in_as(client, world.users["owner"])
    response = send(client, world, "POST", "/decks/upload/confirm",
                    {"token": "pending-token-of-a"})
    assert response.status_code == 303
    again = send(client, world, "POST", "/decks/upload/confirm", {"token": "pending-token-of-a"})
    assert again.status_code == 400  # used once, then gone
