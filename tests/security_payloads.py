"""Shared pieces of the security tests: XSS payloads, an HTML checker, a role world,
database snapshots and the headers every response must carry."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from quizapp.deckfile import CardData, DeckData, MediaFile
from quizapp.extensions import db
from quizapp.models import ClassDeck, ClassMembership, Classroom, Job, PendingUpload, User
from quizapp.services.decks import store_deck

PASSWORD = "correct-horse-1"
# Hashing once keeps a world of six accounts cheap to build for every table row.
PASSWORD_HASH = generate_password_hash(PASSWORD)

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    '<a href="javascript:alert(1)">click</a>',
    '<a href="JaVaScRiPt:alert(1)">click</a>',
    '<a href="  javascript:alert(1)">click</a>',
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    "<body onload=alert(1)>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<form action="javascript:alert(1)"><button>x</button></form>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "{{7*7}}",
    "{% raw %}{{ config }}{% endraw %}",
    "${7*7}",
]

# What must never appear in a page built from the payloads above.
EXECUTABLE_URL = re.compile(r"^\s*(javascript|vbscript|data:text/html)", re.IGNORECASE)
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "srcdoc", "xlink:href",
                  "poster", "background"}
DANGEROUS_TAGS = {"iframe", "object", "embed", "frame", "frameset", "base", "meta"}

SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy")


def _reloads_itself(tag: str, attrs: dict) -> bool:
    """A refresh of the same page after some seconds (the job page's no-JS fallback): it names
    no URL, so nothing injected can ride on it."""
    return (tag == "meta" and (attrs.get("http-equiv") or "").lower() == "refresh"
            and (attrs.get("content") or "").strip().isdigit())


class PageAudit(HTMLParser):
    """Everything in a page that a browser could run."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False
        self.text = []

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self._in_script = True
            if not dict(attrs).get("src"):
                self.problems.append("inline <script> element")
        if tag == "style":
            self.problems.append("<style> element")
        if tag in DANGEROUS_TAGS and not (tag == "meta" and set(dict(attrs)) <= {
                "charset", "name", "content"}) and not _reloads_itself(tag, dict(attrs)):
            self.problems.append(f"<{tag}> element")
        for name, value in attrs:
            name = name.lower()
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...> event handler")
            if name == "style":
                self.problems.append(f"<{tag} style=...> attribute")
            if name in URL_ATTRIBUTES and value and EXECUTABLE_URL.match(value):
                self.problems.append(f"<{tag} {name}={value!r}> script URL")

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.problems.append(f"script body {data.strip()[:60]!r}")
        self.text.append(data)


def audit_html(page: str) -> list[str]:
    parser = PageAudit()
    parser.feed(page)
    parser.close()
    return parser.problems


def visible_text(page: str) -> str:
    parser = PageAudit()
    parser.feed(page)
    parser.close()
    return "".join(parser.text)


def assert_security_headers(response, where: str) -> None:
    csp = response.headers.get("Content-Security-Policy", "")
    assert csp, f"{where}: no Content-Security-Policy"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, f"{where}: {csp}"
    assert "frame-ancestors 'none'" in csp, f"{where}: CSP lets the page be framed: {csp}"
    assert response.headers.get("X-Content-Type-Options") == "nosniff", where
    assert response.headers.get("Referrer-Policy") in (
        "same-origin", "strict-origin", "strict-origin-when-cross-origin", "no-referrer"
    ), where


# --- a world with one account of every role --------------------------------------------

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7"
       b"5\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82")
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'

ROLES = ("anon", "learner", "other_learner", "owner", "other_instructor", "admin")


def add_user(email: str, role: str, name: str | None = None) -> User:
    user = User(email=email, display_name=name or email.split("@")[0], role=role,
                timezone="UTC", password_hash=PASSWORD_HASH)
    db.session.add(user)
    db.session.flush()
    return user


# A generated draft's suggestion (a fact below the confidence threshold) to accept or drop.
DRAFT_KNOWLEDGE = {"threshold": 0.6, "suggestions": [{
    "id": "cause:draft-fact", "kind": "cause", "statement": "draft fact → a type",
    "confidence": 0.4, "reasons": ["one source only"], "locations": [],
    "cards": [{"guid": "s1", "kind": "basic", "prompt": "Draft suggestion", "answer": "x"}],
}]}


class World:
    """Instructor A owns a published and a draft deck and a class the learner is in."""

    def __init__(self):
        self.users = {
            "learner": add_user("learner@example.org", "learner"),
            "other_learner": add_user("other-learner@example.org", "learner"),
            "owner": add_user("owner@example.org", "instructor"),
            "other_instructor": add_user("other-teacher@example.org", "instructor"),
            "admin": add_user("admin@example.org", "admin"),
        }
        owner = self.users["owner"]
        media = [MediaFile("pic.png", PNG), MediaFile("pic.svg", SVG)]
        self.pub = store_deck(DeckData(
            title="Published deck", cards=[CardData("p1", "basic", "Pub question", "Pub answer")],
            media=media), owner=owner, publish=True).deck
        self.draft = store_deck(DeckData(
            title="Secret draft deck", cards=[CardData("d1", "basic", "Draft question", "x")],
            media=media, knowledge=DRAFT_KNOWLEDGE), owner=owner, publish=False).deck
        # A deck the other instructor owns, which A may not assign.
        self.foreign = store_deck(DeckData(
            title="Foreign draft", cards=[CardData("f1", "basic", "Foreign question", "x")]),
            owner=self.users["other_instructor"], publish=False).deck
        self.classroom = Classroom(name="Biology 1", instructor_id=owner.id,
                                   join_code="JOINME22")
        db.session.add(self.classroom)
        db.session.flush()
        db.session.add(ClassMembership(class_id=self.classroom.id,
                                       user_id=self.users["learner"].id))
        db.session.add(ClassDeck(class_id=self.classroom.id, deck_id=self.pub.id))
        self.pending = PendingUpload(token="pending-token-of-a", user_id=owner.id,
                                     filename="deck.csv", data=b"front,back\nQ1,A1\n")
        db.session.add(self.pending)
        # A job of A's, still running: only A may follow it.
        self.job = Job(user_id=owner.id, kind="generate", status="running",
                       stage="Reading notes.pdf: page 3 of 9", percent=20)
        db.session.add(self.job)
        db.session.commit()
        self.ids = {
            "pub": self.pub.id, "draft": self.draft.id, "foreign": self.foreign.id,
            "pub_card": self.pub.cards[0].id, "draft_card": self.draft.cards[0].id,
            "class": self.classroom.id, "job": self.job.id,
        }


def log_in_as(client, user: User | None) -> None:
    """A logged-in session cookie, as Flask-Login writes it after a password check."""
    if user is None:
        return
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every table: what a refused request must leave untouched."""
    db.session.expire_all()
    state = {}
    for table in db.metadata.sorted_tables:
        rows = db.session.execute(select(table)).all()
        state[table.name] = sorted(tuple(repr(v) for v in row) for row in rows)
    db.session.rollback()
    return state


def empty_tables() -> None:
    """What the ``app`` fixture does after a test, for tests that need several worlds."""
    db.session.remove()
    # DELETE, not TRUNCATE: on PostgreSQL it is far quicker for a handful of rows.
    with db.engine.begin() as connection:
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())
