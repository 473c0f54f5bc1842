"""``flask decks load``: validation, idempotence, updates that keep progress."""

from __future__ import annotations

import json
from datetime import date

import pytest
from conftest import ANKI_SAMPLES, REPO, SEEDS
from study_helpers import sm2_of, sm2_row

from quizapp.extensions import db
from quizapp.models import Card, CardState, Deck, SourceDocument


def deck_file(tmp_path, cards, name="biology.json", title="Biology", **deck_meta):
    document = {
        "format": "quizapp.deck",
        "format_version": 1,
        "deck": {"title": title, **deck_meta},
        "sources": [{"id": "s1", "name": "notes.txt"}],
        "cards": cards,
    }
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return path


BASIC = {"guid": "b1", "kind": "basic", "prompt": "Cell powerhouse?", "answer": "Mitochondria",
         "tags": ["cells"], "sources": [{"source": "s1", "start": 0, "end": 10}]}
MCQ = {"guid": "m1", "kind": "mcq", "prompt": "Largest organ?",
       "choices": ["Liver", "Skin", "Brain"], "correct": 1, "explanation": "By area."}
CLOZE = {"guid": "c1", "kind": "cloze", "prompt": "{{c1::DNA}} is copied by {{c2::polymerase}}"}
REVERSED = {"guid": "r1", "kind": "reversed", "prompt": "H2O", "answer": "water"}


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def load(runner, *paths):
    return runner.invoke(args=["decks", "load", *map(str, paths)])


def test_load_creates_a_published_deck_with_every_kind(runner, tmp_path):
    result = load(runner, deck_file(tmp_path, [BASIC, MCQ, CLOZE, REVERSED]))
    assert result.exit_code == 0, result.output
    assert "'Biology' created: 4 added" in result.output
    deck = db.session.scalars(db.select(Deck)).one()
    assert deck.published and deck.slug == "biology" and deck.owner_id is None
    cards = {c.guid: c for c in deck.cards}
    assert cards["m1"].choices == ["Liver", "Skin", "Brain"]
    assert cards["m1"].correct_index == 1 and cards["m1"].answer == "Skin"
    assert cards["c1"].ordinals == [0, 1] and cards["r1"].ordinals == [0, 1]
    assert cards["b1"].sources == [{"source": "s1", "start": 0, "end": 10}]
    assert [s.name for s in deck.sources] == ["notes.txt"]


def test_loading_twice_changes_nothing(runner, tmp_path):
    path = deck_file(tmp_path, [BASIC, MCQ])
    load(runner, path)
    before = {c.guid: (c.id, c.content_changed_at) for c in db.session.scalars(db.select(Card))}
    result = load(runner, path)
    assert "unchanged: 0 added, 0 updated, 2 unchanged, 0 retired" in result.output
    db.session.expire_all()
    after = {c.guid: (c.id, c.content_changed_at) for c in db.session.scalars(db.select(Card))}
    assert before == after
    assert db.session.scalars(db.select(Deck)).one().version == 1


def test_changed_card_is_updated_and_keeps_progress(runner, tmp_path, learner):
    load(runner, deck_file(tmp_path, [BASIC, MCQ]))
    card = db.session.scalars(db.select(Card).where(Card.guid == "b1")).one()
    db.session.add(sm2_row(learner, card, interval=6, repetitions=2, due=date(2030, 1, 1)))
    db.session.commit()
    changed = dict(BASIC, answer="The mitochondrion")
    result = load(runner, deck_file(tmp_path, [changed]))
    assert "1 updated, 0 unchanged, 1 retired" in result.output
    db.session.expire_all()
    cards = {c.guid: c for c in db.session.scalars(db.select(Card))}
    assert cards["b1"].id == card.id and cards["b1"].answer == "The mitochondrion"
    assert cards["m1"].retired  # kept with its history, not deleted
    state = db.session.scalars(db.select(CardState)).one()
    assert (state.card_id, sm2_of(state).interval, state.due) == (card.id, 6, date(2030, 1, 1))
    assert db.session.scalars(db.select(Deck)).one().version == 2


def test_hostile_html_is_sanitized_on_load(runner, tmp_path):
    hostile = dict(BASIC, prompt='<b>Bold</b><script>alert(1)</script><img src=x onerror=alert(1)>')
    load(runner, deck_file(tmp_path, [hostile]))
    prompt = db.session.scalars(db.select(Card)).one().prompt
    assert "<b>Bold</b>" in prompt
    assert "script" not in prompt and "onerror" not in prompt


@pytest.mark.parametrize(
    ("card", "message"),
    [
        ({"kind": "basic", "prompt": "p", "answer": "a"}, "card 1: field 'guid' is required"),
        (dict(BASIC, kind="essay"), "card 1 (guid b1): field 'kind' must be one of"),
        (dict(BASIC, answer=""), "card 1 (guid b1): field 'answer' is required for basic"),
        (dict(MCQ, correct=7), "card 1 (guid m1): field 'correct' is not an index"),
        (dict(MCQ, choices=["only one"]), "card 1 (guid m1): field 'choices' must list 2"),
        (dict(CLOZE, prompt="no gap"), "card 1 (guid c1): field 'prompt' of a cloze card"),
        (dict(BASIC, tags="not a list"), "card 1 (guid b1): field 'tags' must be a list"),
        (dict(BASIC, sources=[{"source": "s9"}]), "names unknown source 's9'"),
        (dict(BASIC, prompt=5), "card 1 (guid b1): field 'prompt' must be a string"),
    ],
)
def test_bad_card_is_named_and_nothing_loads(runner, tmp_path, card, message):
    good = deck_file(tmp_path, [MCQ], name="good.json", title="Good")
    bad = deck_file(tmp_path, [card], name="bad.json")
    result = load(runner, good, bad)
    assert result.exit_code == 1
    assert "bad.json" in result.output and message in result.output
    assert "Traceback" not in result.output
    assert db.session.query(Deck).count() == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[]", "top level must be a JSON object"),
        (json.dumps({"format": "other"}), "field 'format' must be 'quizapp.deck'"),
        (json.dumps({"format": "quizapp.deck", "format_version": 9, "deck": {"title": "x"},
                     "cards": []}), "field 'format_version' must be 1"),
        (json.dumps({"format": "quizapp.deck", "format_version": 1, "deck": {}, "cards": []}),
         "deck: field 'title' is required"),
        (json.dumps({"format": "quizapp.deck", "format_version": 1, "deck": {"title": "t"},
                     "cards": [MCQ, MCQ]}), "field 'guid' is repeated"),
    ],
)
def test_bad_file_is_rejected_with_its_reason(runner, tmp_path, content, message):
    path = tmp_path / "broken.json"
    path.write_text(content)
    result = load(runner, path)
    assert result.exit_code == 1
    assert f"{path}" in result.output and message in result.output
    assert db.session.query(Deck).count() == 0


def test_missing_file_is_a_one_line_error(runner, tmp_path):
    result = load(runner, tmp_path / "nope.json")
    assert result.exit_code == 1
    assert "nope.json: cannot read" in result.output


def test_users_create_and_demo(runner, app):
    result = runner.invoke(args=["users", "create", "t@example.org", "--role", "instructor",
                                 "--password", "long-password"])
    assert result.exit_code == 0 and "Created instructor t@example.org" in result.output
    again = runner.invoke(args=["users", "create", "T@example.org"])
    assert again.exit_code == 1 and "exists already" in again.output
    bad_role = runner.invoke(args=["users", "create", "x@example.org", "--role", "king"])
    assert bad_role.exit_code == 2
    demo = runner.invoke(args=["users", "demo"])
    assert "Demo learner: learner@example.com / learn-demo-1" in demo.output
    assert "Demo instructor: instructor@example.com / teach-demo-1" in demo.output


def test_export_finds_the_deck_by_id_or_exact_title(runner, tmp_path):
    load(runner, deck_file(tmp_path, [BASIC, MCQ]))
    deck = db.session.scalars(db.select(Deck)).one()
    by_title = runner.invoke(args=["decks", "export", "Biology", "-o", str(tmp_path / "b.json")])
    assert by_title.exit_code == 0, by_title.output
    exported = json.loads((tmp_path / "b.json").read_text())
    assert [c["guid"] for c in exported["cards"]] == ["b1", "m1"]
    by_id = runner.invoke(args=["decks", "export", str(deck.id), "-o", str(tmp_path / "b.csv")])
    assert by_id.exit_code == 0 and "b1" in (tmp_path / "b.csv").read_text()
    missing = runner.invoke(args=["decks", "export", "Chemistry", "-o", str(tmp_path / "c.apkg")])
    assert missing.exit_code == 1 and "no deck with id or title 'Chemistry'" in missing.output
    wrong_suffix = runner.invoke(args=["decks", "export", "Biology", "-o", str(tmp_path / "x")])
    assert wrong_suffix.exit_code == 1 and "must end in" in wrong_suffix.output


def test_reimport_without_provenance_keeps_the_cards_sources(runner, tmp_path):
    load(runner, deck_file(tmp_path, [BASIC]))
    without_sources = {k: v for k, v in BASIC.items() if k != "sources"}
    result = load(runner, deck_file(tmp_path, [without_sources]))
    assert "1 unchanged" in result.output
    db.session.expire_all()
    assert db.session.scalars(db.select(Card)).one().sources == BASIC["sources"]


def test_load_keeps_source_texts_that_match_the_deck(runner, tmp_path):
    result = runner.invoke(args=["decks", "load", str(REPO / "decks" / "muscle-atrophy.json"),
                                 "--sources", str(SEEDS)])
    assert result.exit_code == 0, result.output
    docs = db.session.scalars(db.select(SourceDocument)).all()
    assert docs and all(doc.text == (SEEDS / doc.name).read_text() for doc in docs)
    # A changed document is not taken as the deck's evidence.
    altered = tmp_path / "seeds"
    altered.mkdir()
    for doc in docs:
        (altered / doc.name).write_text(doc.text + " changed")
    db.session.execute(db.update(SourceDocument).values(text=None))
    db.session.commit()
    runner.invoke(args=["decks", "load", str(REPO / "decks" / "muscle-atrophy.json"),
                        "--sources", str(altered)])
    db.session.expire_all()
    assert all(doc.text is None for doc in db.session.scalars(db.select(SourceDocument)))


def test_import_command_reads_anki_packages_for_an_owner(runner, instructor, tmp_path):
    result = runner.invoke(args=["decks", "import", str(ANKI_SAMPLES / "sample_legacy_sched.apkg"),
                                 "--owner", instructor.email])
    assert result.exit_code == 0, result.output
    decks = db.session.scalars(db.select(Deck).order_by(Deck.title)).all()
    assert [d.title for d in decks] == [
        "Quiz Sample::Basics", "Quiz Sample::Cloze", "Quiz Sample::Reversed"]
    assert {d.owner_id for d in decks} == {instructor.id} and not any(d.published for d in decks)
    again = runner.invoke(args=["decks", "import", str(ANKI_SAMPLES / "sample_legacy_sched.apkg"),
                                "--owner", instructor.email])
    assert again.output.count("' unchanged: 0 added, 0 updated") == 3
    broken = tmp_path / "broken.apkg"
    broken.write_bytes(b"PK\x03\x04garbage")
    failed = runner.invoke(args=["decks", "import", str(broken)])
    assert failed.exit_code == 1 and "broken.apkg:" in failed.output
    assert "Traceback" not in failed.output
    nobody = runner.invoke(args=["decks", "import", str(broken), "--owner", "x@example.org"])
    assert nobody.exit_code == 1 and "no account for x@example.org" in nobody.output


def test_load_shows_a_bar_for_each_deck(runner, tmp_path):
    first = deck_file(tmp_path, [BASIC, MCQ], name="biology.json", title="Biology")
    second = deck_file(tmp_path, [CLOZE], name="chemistry.json", title="Chemistry")
    result = load(runner, first, second)
    assert result.exit_code == 0, result.output
    assert "Loading Biology" in result.stderr and "Loading Chemistry" in result.stderr
    # The bars go to stderr; stdout keeps one summary line a deck.
    assert "Loading" not in result.stdout and result.stdout.count("created") == 2
