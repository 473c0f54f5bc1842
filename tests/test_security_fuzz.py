"""Hypothesis throws random values at every form: no answer may be a server error.

Each test builds one world and then sends a few hundred random submissions to one endpoint
(as the role allowed to use it, with a valid CSRF token so the view itself is exercised).
Values mix random Unicode (NUL and surrogate-free control characters included), numbers out
of range, huge strings and markup; fields may be missing or repeated.
"""

from __future__ import annotations

import io
import re

import pytest
from conftest import csrf_token
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from security_payloads import XSS_PAYLOADS, World, log_in_as

from quizapp.extensions import db
from quizapp.models import Deck

EXAMPLES = 200
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=False,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])

SPECIAL = st.sampled_from([
    "", " ", "0", "-1", "1", "5", "8", "9" * 40, "1e309", "nan", "-0", "0x10", "\x00",
    "a\x00b", "\u202e", "\ufeff", "\ud7ff", "x" * 5000, "²", "٣", "1²", "Europe/Paris",
    "UTC", "../../etc",
    "basic", "mcq", "typein", "cloze", "reversed", "JOINME22", "joinme22",
    "learner@example.org", "correct-horse-1", "{{c1::gap}}", *XSS_PAYLOADS[:6],
])
VALUE = st.one_of(SPECIAL, st.text(max_size=300), st.integers().map(str),
                  st.text(alphabet=st.characters(codec="utf-8"), max_size=40))


def form(*fields: str, extra: bool = True):
    """Any subset of the fields with random values, sometimes a stray field or a list."""
    optional = {name: st.one_of(VALUE, st.lists(VALUE, min_size=2, max_size=3))
                for name in fields}
    base = st.fixed_dictionaries({}, optional=optional)
    if extra:
        base = st.tuples(base, st.dictionaries(st.text(max_size=10), VALUE, max_size=2)).map(
            lambda pair: {**pair[1], **pair[0]})
    return base


@pytest.fixture
def world(app):
    return World()


def client_for(app, world, role: str | None):
    client = app.test_client()
    log_in_as(client, world.users.get(role) if role else None)
    client.csrf = csrf_token(client, "/auth/login")
    return client


def send(client, url: str, data: dict):
    response = client.post(url, data={**data, "csrf_token": client.csrf})
    assert response.status_code < 500, (url, data, response.get_data(as_text=True)[:300])
    db.session.rollback()
    return response


def test_register(app, world):
    client = client_for(app, world, None)

    @FUZZ
    @given(form("email", "display_name", "password", "confirm", "timezone"))
    def run(data):
        send(client, "/auth/register", data)

    run()


def test_login(app, world):
    client = client_for(app, world, None)

    @FUZZ
    @given(form("email", "password", "remember"))
    def run(data):
        response = send(client, "/auth/login", data)
        assert response.status_code in (302, 400)

    run()


def test_password_change(app, world):
    client = client_for(app, world, "learner")

    @FUZZ
    @given(form("current", "password", "confirm"))
    def run(data):
        data.pop("current", None)  # never the right one: the account stays usable
        send(client, "/auth/password", data)

    run()


def test_account_form(app, world):
    client = client_for(app, world, "learner")

    @FUZZ
    @given(form("display_name", "timezone"))
    def run(data):
        response = send(client, "/auth/account", data)
        assert response.status_code in (303, 400)

    run()


def test_card_form(app, world):
    client = client_for(app, world, "owner")
    urls = [f"/decks/{world.ids['draft']}/cards/new",
            f"/decks/{world.ids['pub']}/cards/{world.ids['pub_card']}/edit"]

    @FUZZ
    @given(st.sampled_from(urls),
           form("kind", "prompt", "answer", "choices", "correct", "explanation", "tags"))
    def run(url, data):
        send(client, url, data)

    run()
    # The fuzzed deck still renders and studies.
    for url in (f"/decks/{world.ids['pub']}", f"/decks/{world.ids['draft']}",
                f"/study/{world.ids['draft']}", f"/decks/{world.ids['draft']}/export.csv",
                f"/decks/{world.ids['draft']}/export.apkg"):
        assert client.get(url).status_code == 200, url


def test_deck_settings(app, world):
    client = client_for(app, world, "owner")

    @FUZZ
    @given(form("title", "description", "new_per_day", "reviews_per_day"))
    def run(data):
        send(client, f"/decks/{world.ids['draft']}/settings", data)

    run()
    for url in ("/", "/decks/mine", f"/decks/{world.ids['draft']}",
                f"/study/{world.ids['draft']}"):
        assert client.get(url).status_code == 200, url


def test_class_create_join_and_assign(app, world):
    owner = client_for(app, world, "owner")
    learner = client_for(app, world, "learner")
    class_id = world.ids["class"]

    @FUZZ
    @given(form("name"), form("code"), form("deck_id"))
    def run(create, join, assign):
        send(owner, "/classes/", create)
        send(learner, "/classes/join", join)
        send(owner, f"/classes/{class_id}/decks", assign)

    run()
    assert owner.get("/classes/").status_code == 200
    assert owner.get(f"/classes/{class_id}").status_code == 200
    assert owner.get(f"/classes/{class_id}/dashboard.csv").status_code == 200
    assert learner.get("/classes/").status_code == 200


def test_study_answer_and_undo(app, world):
    client = client_for(app, world, "learner")
    deck_id = world.ids["pub"]
    page = client.get(f"/study/{deck_id}").get_data(as_text=True)
    real_token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    token = st.one_of(VALUE, st.just(real_token),
                      st.text(max_size=20).map(lambda s: real_token[:-4] + s))

    @FUZZ
    @given(form("grade", "choice", "typed"), token, st.booleans())
    def run(data, token_value, undo):
        send(client, f"/study/{deck_id}/answer", {**data, "token": token_value})
        if undo:
            send(client, f"/study/{deck_id}/undo", {})

    run()
    assert client.get(f"/study/{deck_id}").status_code == 200
    assert client.get("/progress/").status_code == 200


def test_upload_confirm_and_publish(app, world):
    client = client_for(app, world, "owner")

    @FUZZ
    @given(form("token"), form("published"))
    def run(confirm, publish):
        send(client, "/decks/upload/confirm", confirm)
        send(client, f"/decks/{world.ids['draft']}/publish", publish)

    run()


@pytest.mark.parametrize("url", [
    "/decks/{pub}/media/pic%00.png", "/static/app.css%00", "/classes/?x=%00",
    "/auth/login?next=%00", "/decks/99999999999999999999", "/decks/2147483648/export.csv",
    "/classes/99999999999999999999", "/study/9223372036854775808",
])
def test_nul_or_a_huge_id_in_a_url_is_a_client_error(app, world, url):
    client = client_for(app, world, "owner")
    response = client.get(url.format(**world.ids))
    assert 400 <= response.status_code < 500, url


def test_nul_in_a_form_or_file_name_is_refused_on_every_engine(app, world):
    client = client_for(app, world, "owner")
    deck_id = world.ids["draft"]
    response = send(client, f"/decks/{deck_id}/settings", {
        "title": "a\x00b", "description": "", "new_per_day": "1", "reviews_per_day": "1"})
    assert response.status_code == 400 and "NUL" in response.get_data(as_text=True)
    response = client.post("/decks/upload", data={
        "file": (io.BytesIO(b"front,back\nq,a\n"), "deck\x00.csv"), "csrf_token": client.csrf},
        content_type="multipart/form-data")
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Deck, deck_id).title == "Secret draft deck"
