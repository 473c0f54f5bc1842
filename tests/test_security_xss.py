"""Stored XSS: hostile text put in through every input, then every page that shows it.

A page passes when html.parser finds nothing a browser would run (no script element, no on*
attribute, no javascript: URL, no iframe/object/embed/meta) and, for plain-text inputs, the
payload is shown literally (escaped), template syntax included (``{{7*7}}`` stays as typed).
"""

from __future__ import annotations

import io
import json
import re
import tempfile
from pathlib import Path

import genanki
import pytest
from conftest import CSRF_RE, SEEDS, csrf_token
from security_payloads import XSS_PAYLOADS, World, audit_html, log_in_as, visible_text

from quizapp.extensions import db
from quizapp.models import Card, Deck, SourceDocument

TOKEN_RE = re.compile(r'name="token" value="([^"]+)"')
# Inputs shown as text: a sample wide enough to cover every way out of an attribute or element.
PLAIN_SAMPLE = [p for p in XSS_PAYLOADS if len(p) <= 80][:12]


def page_of(client, url: str, where: str = "") -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, where, response.status_code)
    page = response.get_data(as_text=True)
    assert_inert(page, f"{url} {where}")
    return page


def assert_inert(page: str, where: str) -> None:
    assert audit_html(page) == [], where


def assert_shown_literally(page: str, payload: str, where: str) -> None:
    assert payload.strip() in visible_text(page), f"{where}: payload not shown as text"


def post(client, url: str, data: dict, token_page: str = "/auth/login"):
    # One token per browser session is enough (tokens do not expire in this app).
    if getattr(client, "csrf", None) is None:
        client.csrf = csrf_token(client, token_page)
    return client.post(url, data={**data, "csrf_token": client.csrf})


def study_through(client, deck_id: int, typed: list[str]) -> int:
    """Answer every side of the deck once (new sides come before same-session repeats),
    checking each card and feedback page; the number of sides shown."""
    sides = sum(c.side_count for c in db.session.get(Deck, deck_id).cards if not c.retired)
    db.session.rollback()
    for step in range(sides):
        page = page_of(client, f"/study/{deck_id}", "study")
        token = TOKEN_RE.search(page)
        assert token is not None, f"only {step} of {sides} sides were shown"
        if 'name="choice"' in page:
            answer = {"choice": "0"}
        elif 'name="typed"' in page:
            answer = {"typed": typed[step % len(typed)]}
        else:
            answer = {"grade": "5"}
        response = client.post(f"/study/{deck_id}/answer", data={
            **answer, "token": token.group(1), "csrf_token": CSRF_RE.search(page).group(1)})
        assert response.status_code in (200, 303)
        if response.status_code == 200:
            feedback = response.get_data(as_text=True)
            assert_inert(feedback, "feedback")
            if "typed" in answer and answer["typed"].strip():
                assert_shown_literally(feedback, answer["typed"], "typed answer on feedback")
    return sides


@pytest.fixture
def world(app):
    return World()


def as_role(app, world, role):
    client = app.test_client()
    log_in_as(client, world.users[role])
    return client


# --- deck title and description (settings form) --------------------------------------


def test_deck_title_and_description(app, world):
    owner = as_role(app, world, "owner")
    learner = as_role(app, world, "learner")
    deck_id, class_id = world.ids["pub"], world.ids["class"]
    for payload in XSS_PAYLOADS:
        response = post(owner, f"/decks/{deck_id}/settings", {
            "title": payload[:200], "description": payload, "new_per_day": "20",
            "reviews_per_day": "200"})
        assert response.status_code == 303, payload
        shown = page_of(owner, f"/decks/{deck_id}", payload)
        assert_shown_literally(shown, payload, "deck page")
        for url in ("/", "/decks/mine", f"/decks/{deck_id}/settings", f"/decks/{deck_id}/review",
                    f"/classes/{class_id}", f"/study/{deck_id}"):
            page_of(owner, url, payload)
        for url in ("/", f"/decks/{deck_id}", f"/study/{deck_id}", "/progress/", "/classes/"):
            page_of(learner, url, payload)
        # A form sent back with errors echoes the payload inside attributes.
        invalid = post(owner, f"/decks/{deck_id}/settings", {
            "title": payload[:200], "description": payload, "new_per_day": "-1",
            "reviews_per_day": "x"})
        assert invalid.status_code == 400
        assert_inert(invalid.get_data(as_text=True), f"invalid settings {payload}")
    # The flash naming the deck when it is assigned to a class.
    response = owner.post(f"/classes/{class_id}/decks/{deck_id}/remove",
                          data={"csrf_token": csrf_token(owner, "/auth/login")})
    assert response.status_code == 303
    post(owner, f"/classes/{class_id}/decks", {"deck_id": str(deck_id)})
    page = page_of(owner, f"/classes/{class_id}", "after the assign flash")
    assert_shown_literally(page, XSS_PAYLOADS[-1], "assign flash")


# --- card fields (card form) ---------------------------------------------------------


def test_card_form_fields(app, world):
    owner = as_role(app, world, "owner")
    deck_id = world.ids["pub"]
    db.session.get(Deck, deck_id).new_per_day = 999
    db.session.commit()
    for index, payload in enumerate(XSS_PAYLOADS):
        forms = [
            {"kind": "basic", "prompt": f"Q{index} {payload}", "answer": payload,
             "explanation": payload, "tags": payload},
            {"kind": "mcq", "prompt": f"M{index} {payload}",
             "choices": f"{payload}\nplain choice\n{payload} two", "correct": "1",
             "explanation": payload},
            {"kind": "typein", "prompt": f"T{index} {payload}", "answer": f"{payload} x"},
            {"kind": "cloze", "prompt": f"C{index} {{{{c1::{payload}}}}} end", "answer": ""},
        ]
        for form in forms:
            response = post(owner, f"/decks/{deck_id}/cards/new", form)
            assert response.status_code in (303, 400), (form, response.status_code)
            assert_inert(response.get_data(as_text=True), f"card form {form}")
    cards = db.session.scalars(db.select(Card).where(Card.deck_id == deck_id)).all()
    assert len(cards) > 3 * len(XSS_PAYLOADS)
    stored = " ".join(f"{c.prompt} {c.answer} {c.explanation} {c.choices}" for c in cards)
    assert "<script" not in stored and "onerror" not in stored.replace("onerror=alert", "")
    for url in (f"/decks/{deck_id}", f"/decks/{deck_id}/review"):
        page_of(owner, url)
    for card in cards[:: max(1, len(cards) // 15)]:
        page_of(owner, f"/decks/{deck_id}/cards/{card.id}/edit")
    learner = as_role(app, world, "learner")
    assert study_through(learner, deck_id, XSS_PAYLOADS) >= len(cards)
    page_of(learner, f"/study/{deck_id}?mode=cram", "cram")
    page_of(learner, "/progress/")
    page_of(owner, f"/classes/{world.ids['class']}")


# --- uploads: CSV, JSON, Anki --------------------------------------------------------


def upload_and_confirm(client, filename: str, data: bytes) -> list[Deck]:
    response = client.post("/decks/upload", data={
        "file": (io.BytesIO(data), filename), "csrf_token": csrf_token(client, "/decks/upload")},
        content_type="multipart/form-data")
    preview = response.get_data(as_text=True)
    assert response.status_code == 200, re.findall(r'class="error"[^>]*>([^<]*)', preview)
    assert_inert(preview, f"preview of {filename!r}")
    token = re.search(r'name="token" value="([^"]+)"', preview).group(1)
    confirm = client.post("/decks/upload/confirm", data={
        "token": token, "csrf_token": CSRF_RE.search(preview).group(1)})
    assert confirm.status_code == 303
    decks = db.session.scalars(db.select(Deck).where(Deck.origin != "generated")
                               .order_by(Deck.id.desc())).all()
    return decks


def check_uploaded(app, world, owner, deck: Deck) -> None:
    deck.published, deck.new_per_day = True, 999
    db.session.commit()
    for url in (f"/decks/{deck.id}", f"/decks/{deck.id}/review", "/decks/mine", "/"):
        page_of(owner, url)
    learner = as_role(app, world, "learner")
    assert study_through(learner, deck.id, ["typed"]) > 0


def test_csv_upload(app, world):
    owner = as_role(app, world, "owner")
    rows = [["front", "back", "explanation", "tags"]]
    # Text first: a payload sanitized away entirely would leave a blank (refused) field.
    rows += [[f"{i} {p}", f"back {p}", p, "tag"] for i, p in enumerate(XSS_PAYLOADS)]
    text = "\n".join(",".join('"' + c.replace('"', '""') + '"' for c in row) for row in rows)
    # (Browsers send a '"' in a file name as %22, so the name breaks out with '>' instead.)
    filename = "<img src=x onerror=alert(1)>.csv"
    upload_and_confirm(owner, filename, text.encode())
    deck = db.session.scalars(db.select(Deck).order_by(Deck.id.desc())).first()
    assert len(deck.cards) == len(XSS_PAYLOADS)
    check_uploaded(app, world, owner, deck)


def test_json_upload(app, world):
    owner = as_role(app, world, "owner")
    document = {
        "format": "quizapp.deck", "format_version": 1,
        "deck": {"title": "<script>alert(1)</script> JSON", "description": XSS_PAYLOADS[1]},
        "cards": [
            {"guid": f"j{i}", "kind": "mcq", "prompt": f"{i} {p}",
             "choices": [f"choice {p}", f"safe {i}"], "correct": 1, "explanation": p, "tags": ["t"]}
            for i, p in enumerate(XSS_PAYLOADS)
        ] + [{"guid": "b", "kind": "basic", "prompt": f"b {XSS_PAYLOADS[2]}",
                                   "answer": f"a {XSS_PAYLOADS[3]}"}],
    }
    upload_and_confirm(owner, "deck.json", json.dumps(document).encode())
    deck = db.session.scalars(db.select(Deck).order_by(Deck.id.desc())).first()
    assert deck.title == "<script>alert(1)</script> JSON"
    page = page_of(owner, f"/decks/{deck.id}")
    assert_shown_literally(page, deck.title, "JSON deck title")
    check_uploaded(app, world, owner, deck)


def test_anki_package_upload(app, world):
    owner = as_role(app, world, "owner")
    model = genanki.Model(
        1607392319, "Basic <script>alert(1)</script>",
        fields=[{"name": "Front"}, {"name": "Back"}],
        templates=[{"name": "Card 1", "qfmt": "{{Front}}<script>alert(2)</script>",
                    "afmt": '{{FrontSide}}<hr id="answer">{{Back}}'}],
        css=".card { background: url(javascript:alert(1)) }",
    )
    deck = genanki.Deck(2059400110, "<svg onload=alert(1)>Anki")
    for i, payload in enumerate(XSS_PAYLOADS):
        deck.add_note(genanki.Note(model=model, fields=[f"{i} {payload}", f"back {payload}"],
                                   tags=["x"], guid=f"g{i}"))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "hostile.apkg"
        genanki.Package(deck).write_to_file(path)
        data = path.read_bytes()
    upload_and_confirm(owner, "hostile.apkg", data)
    stored = db.session.scalars(db.select(Deck).order_by(Deck.id.desc())).first()
    assert len(stored.cards) == len(XSS_PAYLOADS)
    page = page_of(owner, f"/decks/{stored.id}")
    assert_shown_literally(page, "<svg onload=alert(1)>Anki", "Anki deck name")
    check_uploaded(app, world, owner, stored)


# --- source documents (generation) ---------------------------------------------------


def test_generation_sources(app, world):
    owner = as_role(app, world, "owner")
    seeds = sorted(SEEDS.glob("*.txt"))[:4]
    assert seeds, "no seed documents"
    files = []
    for i, path in enumerate(seeds):
        text = path.read_text(encoding="utf-8")
        payload = XSS_PAYLOADS[i]
        # Inside the sentences the extractor quotes as evidence, and in the file name.
        text = text.replace("atrophy is", f"atrophy {payload} is", 1).replace(
            ". ", f". {XSS_PAYLOADS[i + 4]} ", 3)
        name = next(p for p in XSS_PAYLOADS[i + 1:] if "/" not in p and "\\" not in p)
        files.append((f"{i}{name[:60]}.txt", text.encode()))
    html_doc = (
        "<html><head><title>&lt;script&gt;alert(1)&lt;/script&gt; notes</title>"
        "<script>alert(1)</script></head><body onload=alert(1)><p>"
        + seeds[0].read_text(encoding="utf-8").replace("\n", "</p><p>")
        + '</p><a href="javascript:alert(1)">x</a></body></html>'
    )
    files.append(("notes.html", html_doc.encode()))
    response = owner.post("/decks/generate", data={
        "title": "<img src=x onerror=alert(1)> draft",
        "files": [(io.BytesIO(data), name) for name, data in files],
        "csrf_token": csrf_token(owner, "/decks/generate")}, content_type="multipart/form-data")
    assert response.status_code == 303, re.findall(
        r'class="error"[^>]*>([^<]*)', response.get_data(as_text=True))
    deck = db.session.scalars(db.select(Deck).where(Deck.origin == "generated")).one()
    assert db.session.query(SourceDocument).filter_by(deck_id=deck.id).count() == len(files)
    review = page_of(owner, f"/decks/{deck.id}/review")
    assert_shown_literally(review, "<img src=x onerror=alert(1)> draft", "generated title")
    page_of(owner, f"/decks/{deck.id}")
    check_uploaded(app, world, owner, deck)


# --- display name (register) and class name ------------------------------------------


def test_display_names_and_class_names(auth, app, world):
    owner = as_role(app, world, "owner")
    class_ids = []
    for payload in XSS_PAYLOADS:
        response = post(owner, "/classes/", {"name": payload[:120]})
        assert response.status_code == 303
        class_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
        class_ids.append(class_id)
        page = page_of(owner, f"/classes/{class_id}", "class dashboard")  # shows the flash
        assert_shown_literally(page, payload[:120], "class name")
    page_of(owner, "/classes/")
    codes = re.findall(r"\b[A-HJ-NP-Z2-9]{8}\b", page_of(owner, "/classes/"))
    for number, payload in enumerate(PLAIN_SAMPLE):
        client = app.test_client()
        response = post(client, "/auth/register", {
            "email": f"x{number}@example.org", "display_name": payload,
            "password": "long-enough-1", "confirm": "long-enough-1", "timezone": "UTC"},
            token_page="/auth/register")
        assert response.status_code == 303, payload
        auth.login(f"x{number}@example.org", "long-enough-1", client=client)
        home = page_of(client, "/", "home of a hostile name")
        assert_shown_literally(home, payload, "display name in the menu")
        for code in set(codes[:3]) | {"JOINME22"}:
            joined = post(client, "/classes/join", {"code": code})
            assert joined.status_code == 303
        page_of(client, "/classes/", "joined classes")
        page_of(client, "/progress/", "progress")
        page_of(client, "/auth/password", "password form")
    dashboard = page_of(owner, f"/classes/{world.ids['class']}", "members")
    for payload in PLAIN_SAMPLE:
        assert_shown_literally(dashboard, payload, "member name on the dashboard")
    for class_id in class_ids[:3]:
        page_of(owner, f"/classes/{class_id}", "members of hostile classes")


def test_register_form_echo_is_escaped(client, app):
    for payload in PLAIN_SAMPLE:
        response = post(client, "/auth/register", {
            "email": payload, "display_name": payload, "password": "short",
            "confirm": "other", "timezone": payload}, token_page="/auth/register")
        assert response.status_code == 400
        assert_inert(response.get_data(as_text=True), f"register echo {payload}")
        response = post(client, "/auth/login", {"email": payload, "password": payload})
        assert response.status_code == 400
        assert_inert(response.get_data(as_text=True), f"login echo {payload}")


def test_no_payload_reaches_the_database_as_markup(app, world):
    """Belt and braces: what the sanitizer stores from card HTML has no script left."""
    owner = as_role(app, world, "owner")
    for payload in XSS_PAYLOADS:
        post(owner, f"/decks/{world.ids['pub']}/cards/new",
             {"kind": "basic", "prompt": f"x {payload}", "answer": payload})
    for card in db.session.scalars(db.select(Card)):
        for field in (card.prompt, card.answer):
            assert audit_html(f"<div>{field}</div>") == [], field


def test_the_checker_flags_every_payload_left_raw():
    """The audit has teeth: each payload pasted unescaped into a page is caught."""
    # The nested <scr<script>ipt> only becomes a script after a naive filter strips the
    # inner tag; raw, browsers and html.parser alike read a tag named "scr<script".
    inert = {"{{7*7}}", "{% raw %}{{ config }}{% endraw %}", "${7*7}",
             "<scr<script>ipt>alert(1)</scr</script>ipt>"}
    for payload in XSS_PAYLOADS:
        found = audit_html(f"<html><body><div>{payload}</div></body></html>")
        assert bool(found) == (payload not in inert), (payload, found)
