"""Accounts: register, log in, log out, change password, CSRF, roles."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from conftest import CSRF_RE, csrf_token, make_user
from study_helpers import basic, make_deck

from quizapp.extensions import db
from quizapp.models import Deck, User


def register(client, email="new@example.org", password="long-enough-1", **extra):
    data = {
        "email": email, "display_name": "New Person", "password": password,
        "confirm": password, "timezone": "Europe/Paris",
        "csrf_token": csrf_token(client, "/auth/register"),
    }
    data.update(extra)
    return client.post("/auth/register", data=data)


def test_register_then_log_in_as_a_learner(auth, client, app):
    response = register(client)
    assert response.status_code == 303 and response.headers["Location"] == "/auth/login"
    user = db.session.scalars(db.select(User)).one()
    assert (user.email, user.role, user.timezone) == ("new@example.org", "learner", "Europe/Paris")
    assert user.password_hash != "long-enough-1"
    form = client.get("/auth/login").get_data(as_text=True)
    assert "your account is ready" in form
    assert 'value="new@example.org"' in form  # only the password left to type
    auth.login("new@example.org", "long-enough-1")
    assert "New Person" in client.get("/").get_data(as_text=True)


def registration_answer(client, email: str) -> tuple[int, str | None, str]:
    response = register(client, email=email, display_name="Someone")
    page = client.get("/auth/login").get_data(as_text=True)
    page = CSRF_RE.sub("TOKEN", page).replace(email, "EMAIL")
    return response.status_code, response.headers.get("Location"), page


def test_register_answers_alike_for_new_and_taken_emails(auth, client, app):
    """No account enumeration: a taken address (whatever its case) gets the very answer a
    new one gets, and the existing account is left as it was."""
    owner = make_user("Taken@Example.org", password="owners-password")
    taken = registration_answer(app.test_client(), "taken@example.ORG")
    new = registration_answer(app.test_client(), "fresh@example.org")
    assert taken == new
    assert "nothing about it has changed" in taken[2]
    db.session.expire_all()
    assert db.session.get(User, owner.id).check_password("owners-password")
    assert db.session.get(User, owner.id).display_name == "Taken"
    assert db.session.query(User).count() == 2
    auth.login("taken@example.org", "owners-password")


def test_parallel_registrations_of_one_address_end_alike(app):
    clients = [app.test_client() for _ in range(8)]
    forms = [{"email": "race@example.org", "display_name": "R", "password": "long-enough-1",
              "confirm": "long-enough-1", "timezone": "UTC",
              "csrf_token": csrf_token(c, "/auth/register")} for c in clients]
    barrier = threading.Barrier(len(clients))

    def send(job):
        client, form = job
        barrier.wait()
        return client.post("/auth/register", data=form).status_code

    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        assert list(pool.map(send, zip(clients, forms, strict=True))) == [303] * len(clients)
    assert db.session.query(User).count() == 1


def test_register_validates_fields(client, app):
    response = register(client, password="short", timezone="Mars/Olympus")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "8 to 200 characters" in page
    assert "time zone" in page
    assert db.session.query(User).count() == 0


def test_login_is_case_insensitive_and_errors_are_identical(auth, client, app):
    make_user("ann@example.org", password="right-password")
    wrong_password = client.post("/auth/login", data={
        "email": "ann@example.org", "password": "nope-nope",
        "csrf_token": csrf_token(client, "/auth/login")})
    unknown = client.post("/auth/login", data={
        "email": "nobody@example.org", "password": "nope-nope",
        "csrf_token": csrf_token(client, "/auth/login")})
    assert wrong_password.status_code == unknown.status_code == 400
    assert "Wrong email or password." in wrong_password.get_data(as_text=True)
    assert "Wrong email or password." in unknown.get_data(as_text=True)
    auth.login("ANN@example.org", "right-password")
    assert "Log out" in client.get("/").get_data(as_text=True)


def test_login_refuses_a_foreign_next_url(client, app):
    make_user("ann@example.org")
    response = client.post("/auth/login?next=https://evil.example/", data={
        "email": "ann@example.org", "password": "correct-horse-1",
        "csrf_token": csrf_token(client, "/auth/login")})
    assert response.headers["Location"] == "/"


def test_forms_without_csrf_token_are_rejected(client, app):
    make_user("ann@example.org")
    response = client.post("/auth/login", data={
        "email": "ann@example.org", "password": "correct-horse-1"})
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)
    forged = client.post("/auth/login", data={
        "email": "ann@example.org", "password": "correct-horse-1", "csrf_token": "forged"})
    assert forged.status_code == 400


def test_logout_ends_every_copy_of_the_session(auth, client, app):
    make_user("ann@example.org")
    auth.login("ann@example.org")
    stolen_cookie = client.get_cookie("session").value
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/")})
    assert client.get("/progress/").status_code == 302
    other = app.test_client()
    other.set_cookie("session", stolen_cookie)
    assert other.get("/progress/").status_code == 302


def test_password_change_logs_out_other_sessions(auth, client, app):
    make_user("ann@example.org")
    auth.login("ann@example.org")
    elsewhere = app.test_client()
    auth.login("ann@example.org", client=elsewhere)
    response = client.post("/auth/password", data={
        "current": "correct-horse-1", "password": "brand-new-pass", "confirm": "brand-new-pass",
        "csrf_token": csrf_token(client, "/auth/password")})
    assert response.status_code == 302
    assert client.get("/progress/").status_code == 200
    assert elsewhere.get("/progress/").status_code == 302
    fresh = app.test_client()
    auth.login("ann@example.org", "brand-new-pass", client=fresh)


def test_password_change_needs_the_current_password(auth, client, app):
    make_user("ann@example.org")
    auth.login("ann@example.org")
    response = client.post("/auth/password", data={
        "current": "wrong-one-here", "password": "brand-new-pass", "confirm": "brand-new-pass",
        "csrf_token": csrf_token(client, "/auth/password")})
    assert response.status_code == 400
    assert db.session.scalars(db.select(User)).one().check_password("correct-horse-1")


def test_learner_is_refused_instructor_pages(auth, client, learner):
    auth.login(learner.email)
    for url in ("/decks/upload", "/decks/generate", "/decks/mine"):
        assert client.get(url).status_code == 403, url


def test_anonymous_visitor_is_sent_to_log_in(client, app):
    response = client.get("/decks/upload")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_instructor_edits_only_own_decks_admin_edits_all(auth, client, app, instructor, admin):
    other = make_user("other@example.org", "instructor")
    theirs = Deck(slug="theirs", title="Theirs", owner_id=other.id, published=True)
    mine = Deck(slug="mine", title="Mine", owner_id=instructor.id)
    db.session.add_all([theirs, mine])
    db.session.commit()
    auth.login(instructor.email)
    assert client.get(f"/decks/{theirs.id}/settings").status_code == 403
    assert client.post(f"/decks/{theirs.id}/publish", data={
        "published": "0", "csrf_token": csrf_token(client, "/")}).status_code == 403
    assert client.get(f"/decks/{mine.id}/settings").status_code == 200
    admin_client = app.test_client()
    auth.login(admin.email, client=admin_client)
    assert admin_client.get(f"/decks/{theirs.id}/settings").status_code == 200


def test_unknown_email_costs_a_password_check_too(client, app, monkeypatch):
    from quizapp.blueprints import auth

    checked = []
    real = auth.check_password_hash
    monkeypatch.setattr(auth, "check_password_hash",
                        lambda hashed, password: checked.append(password) or real(hashed, password))
    client.post("/auth/login", data={"email": "nobody@example.org", "password": "guess-guess",
                                     "csrf_token": csrf_token(client, "/auth/login")})
    assert checked == ["guess-guess"]


def test_account_page_changes_name_and_time_zone(auth, client, app):
    make_user("ann@example.org")
    auth.login("ann@example.org")
    token = csrf_token(client, "/auth/account")
    bad = client.post("/auth/account", data={"display_name": "Ann B", "timezone": "Nowhere/X",
                                             "csrf_token": token})
    assert bad.status_code == 400 and "Choose a time zone" in bad.get_data(as_text=True)
    good = client.post("/auth/account", data={"display_name": "Ann B",
                                              "timezone": "Pacific/Auckland",
                                              "csrf_token": token})
    assert good.status_code == 303
    user = db.session.scalars(db.select(User)).one()
    assert (user.display_name, user.timezone) == ("Ann B", "Pacific/Auckland")


def test_study_pages_log_out_a_stale_or_deleted_session(auth, client, app):
    # A study URL loads the user with its deck (rows.get_with): the session check holds there.
    deck = make_deck([basic("a")])
    ann = make_user("ann@example.org")
    auth.login("ann@example.org")
    elsewhere = app.test_client()
    auth.login("ann@example.org", client=elsewhere)
    study = f"/study/{deck.id}"
    assert client.get(study).status_code == 200
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/")})
    response = elsewhere.get(study)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    auth.login("ann@example.org", client=elsewhere)
    assert elsewhere.get(study).status_code == 200
    db.session.execute(db.delete(User).where(User.id == ann.id))
    db.session.commit()
    assert elsewhere.get(study).status_code == 302
