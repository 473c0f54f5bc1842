import codecs
import json
from pathlib import Path

import pytest

from quizapp.deckfile import CardData, DeckData, dumps
from quizapp.formats import ImportFailed
from quizapp.formats.csv_export import build_csv
from quizapp.formats.detect import read_upload

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "import"

ENCODINGS = {
    "utf-8": lambda text: text.encode("utf-8"),
    "utf-8 with BOM": lambda text: codecs.BOM_UTF8 + text.encode("utf-8"),
    "utf-16 LE with BOM": lambda text: codecs.BOM_UTF16_LE + text.encode("utf-16-le"),
    "utf-16 BE with BOM": lambda text: codecs.BOM_UTF16_BE + text.encode("utf-16-be"),
    "windows-1252": lambda text: text.encode("cp1252"),
}


def _cards(result):
    assert len(result.decks) == 1
    return result.decks[0].cards


# --- fixtures from disk ------------------------------------------------------------------


def test_utf8_bom_comma_file_with_quoted_comma():
    result = read_upload("vocab.csv", (FIXTURES / "vocab_utf8_bom_comma.csv").read_bytes())
    assert result.kind == "csv"
    assert result.decks[0].title == "vocab"
    assert result.decks[0].origin == "uploaded"
    cards = _cards(result)
    assert [(c.kind, c.prompt, c.answer, c.tags) for c in cards] == [
        ("basic", "le café", "the coffee", ("french", "food")),
        ("basic", "l'été", "the summer, the season", ("french",)),
    ]


def test_utf16le_tab_separated_file():
    result = read_upload("german.tsv", (FIXTURES / "german_utf16le_tab.tsv").read_bytes())
    assert [(c.prompt, c.answer) for c in _cards(result)] == [
        ("Straße", "street"),
        ("Übung", "exercise"),
    ]


def test_cp1252_semicolon_mcq_with_answer_as_number_text_and_letter():
    result = read_upload("mcq.csv", (FIXTURES / "mcq_cp1252_semicolon.csv").read_bytes())
    cards = _cards(result)
    assert [c.kind for c in cards] == ["mcq", "mcq", "mcq"]
    assert cards[0].prompt == "Which is a fruit – the “apple”?"
    assert cards[0].choices == ("apple", "chair", "car")
    assert cards[0].correct == 0
    assert cards[0].explanation == "Apples grow on trees"
    assert (cards[1].correct, cards[1].answer) == (1, "café")
    assert (cards[2].correct, cards[2].answer) == (2, "z")
    assert cards[2].explanation == "€ sign not needed"


def test_utf16be_pipe_separated_file_keeps_given_guids():
    result = read_upload("capitals.txt", (FIXTURES / "capitals_utf16be_pipe.txt").read_bytes())
    cards = _cards(result)
    assert [c.guid for c in cards] == ["peru-1", "chile-1"]
    assert cards[0].choices == ("Lima", "Quito", "Bogotá")
    assert (cards[0].correct, cards[1].correct) == (0, 0)


# --- encodings and delimiters --------------------------------------------------------------


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("delimiter", [",", "\t", ";", "|"])
def test_every_encoding_and_delimiter(encoding, delimiter):
    rows = [["Question", "Answer", "Tags"], ["Où est la gare ?", "à gauche", "fr travel"]]
    text = "\r\n".join(delimiter.join(row) for row in rows) + "\r\n"
    result = read_upload("trip.csv", ENCODINGS[encoding](text))
    assert [(c.prompt, c.answer, c.tags) for c in _cards(result)] == [
        ("Où est la gare ?", "à gauche", ("fr", "travel"))
    ]


@pytest.mark.parametrize(
    "header",
    [
        "front,back",
        "FRONT,BACK",
        "Question,Answer",
        "prompt,answer",
        " Term , Definition ",
    ],
)
def test_header_synonyms_are_case_insensitive(header):
    result = read_upload("d.csv", f"{header}\nH2O,water\n".encode())
    assert [(c.prompt, c.answer) for c in _cards(result)] == [("H2O", "water")]


def test_choices_column_synonym_and_semicolon_separated_choices():
    data = "prompt,options,answer\nLargest planet?,Mars; Jupiter; Venus,jupiter\n"
    card = _cards(read_upload("d.csv", data.encode()))[0]
    assert card.choices == ("Mars", "Jupiter", "Venus")
    assert card.correct == 1


def test_mcq_rows_and_basic_rows_can_share_a_file():
    data = "question,choices,answer\n2+2?,3|4|5,2\nCapital of France?,,Paris\n"
    cards = _cards(read_upload("d.csv", data.encode()))
    assert [(c.kind, c.answer) for c in cards] == [("mcq", "4"), ("basic", "Paris")]


def test_cloze_front_becomes_a_cloze_card():
    data = "front,back\n{{c1::Canberra}} is the capital of Australia,not Sydney\n"
    card = _cards(read_upload("d.csv", data.encode()))[0]
    assert card.kind == "cloze"
    assert card.ordinals == (0,)
    assert card.answer == "not Sydney"


def test_unknown_columns_are_reported_as_warnings():
    data = "front,back,difficulty\nq,a,hard\n"
    result = read_upload("d.csv", data.encode())
    assert len(_cards(result)) == 1
    assert result.warnings == ["Column 3 ('difficulty') was not recognised and has been ignored."]


def test_blank_lines_are_skipped():
    data = "front,back\n\nq1,a1\n,\nq2,a2\n"
    assert [c.prompt for c in _cards(read_upload("d.csv", data.encode()))] == ["q1", "q2"]


def test_title_comes_from_the_file_name_stem():
    result = read_upload("C:\\Users\\me\\Spanish  Verbs.csv", b"front,back\nser,to be\n")
    assert result.decks[0].title == "Spanish Verbs"


# --- guids ----------------------------------------------------------------------------------


def test_rows_without_guid_get_a_guid_that_is_stable_across_uploads():
    first = _cards(read_upload("a.csv", b"front,back\nq1,a1\nq2,a2\n"))
    again = _cards(read_upload("b.csv", b"Question;Answer\nq2;changed answer\nq1;a1\n"))
    assert {c.prompt: c.guid for c in first} == {c.prompt: c.guid for c in again}
    assert first[0].guid != first[1].guid


def test_two_rows_with_the_same_front_are_reported():
    with pytest.raises(ImportFailed, match=r"row 3 has the same guid or front text as row 2"):
        read_upload("d.csv", b"front,back\nsame,a\nsame,b\n")


def test_round_trip_through_the_csv_export_keeps_every_card():
    deck = DeckData(
        title="t",
        cards=[
            CardData(guid="g1", kind="mcq", prompt="=1+1?", choices=("a|b", "2"), correct=1),
            CardData(guid="g2", kind="reversed", prompt="a &amp; b", answer="-neg"),
            CardData(guid="g3", kind="cloze", prompt="{{c1::x}} y", explanation="e"),
            CardData(guid="g4", kind="typein", prompt="p", answer="@a", tags=("t1", "t2")),
        ],
    )
    result = read_upload("t.csv", build_csv(deck).encode("utf-8-sig"))
    assert result.warnings == []
    expected = [c.content_key() for c in deck.cards]
    expected[0] = CardData(
        guid="g1", kind="mcq", prompt="=1+1?", answer="2", choices=("a|b", "2"), correct=1
    ).content_key()
    assert [c.content_key() for c in _cards(result)] == expected


# --- sanitizing -------------------------------------------------------------------------------


def test_cells_are_sanitized():
    data = (
        "front,back,choices,explanation\n"
        '"<b>Q</b><script>alert(1)</script>","A<img src=x onerror=alert(1)>",,'
        '"<a href=""javascript:alert(1)"">why</a>"\n'
    )
    card = _cards(read_upload("d.csv", data.encode()))[0]
    assert card.prompt == "<b>Q</b>"
    assert card.answer == 'A<img src="x">'
    assert card.explanation == '<a rel="noopener noreferrer nofollow">why</a>'


# --- the app's own JSON -------------------------------------------------------------------------


def test_quizapp_json_deck_is_read_sanitized_and_marked_uploaded():
    deck = DeckData(
        title="Mine",
        origin="generated",
        cards=[
            CardData(guid="j1", kind="basic", prompt="<b>q</b><script>x()</script>", answer="a"),
            CardData(guid="j2", kind="mcq", prompt="pick", choices=("x", "y"), correct=1),
        ],
    )
    result = read_upload("mine.json", dumps(deck).encode())
    assert result.kind == "quizapp-json"
    assert result.warnings == []
    [loaded] = result.decks
    assert loaded.title == "Mine"
    assert loaded.origin == "uploaded"
    assert [c.prompt for c in loaded.cards] == ["<b>q</b>", "pick"]
    assert loaded.cards[1].answer == "y"


def test_detection_is_by_content_not_file_name():
    deck = DeckData(title="J", cards=[CardData(guid="j", kind="basic", prompt="q", answer="a")])
    assert read_upload("looks.csv", dumps(deck).encode()).kind == "quizapp-json"
    assert read_upload("looks.json", b"front,back\nq,a\n").kind == "csv"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"format": "quizapp.deck", "cards": ', "not valid JSON"),
        (b'{"some": "other json"}', "not a quizapp deck"),
        (
            json.dumps({"format": "quizapp.deck", "format_version": 1, "deck": {}, "cards": []})
            .encode(),
            "field 'title' is required",
        ),
        (b"[1, 2]", "not a quizapp deck"),
        (b'{"format": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nested too deeply"),
    ],
)
def test_bad_json_gets_a_clear_message(data, message):
    with pytest.raises(ImportFailed, match=message):
        read_upload("d.json", data)


# --- malformed uploads ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (b"apple,red\npear,green\n", r"Row 1 must be a header .*'apple,red'"),
        (b"front,back\nq1,a1\nq2,a2,extra\nq3\n", r"row 3 has 3 fields but the header has 2"),
        (b"front,back\nq1\n", r"row 2 has 1 fields but the header has 2.*comma"),
        (b"front,back\n,a1\n", r"row 2: the front/question is empty"),
        (b"front,back\nq1,\n", r"row 2: the back/answer is empty"),
        (b"question,choices,answer\nq,a|b,c\n", r"row 2: the answer 'c' is not one of the"),
        (b"question,choices,answer\nq,only one,1\n", r"row 2: give 2 to 8 choices"),
        (b"question,choices,answer\nq,a|a,1\n", r"row 2: the same choice is listed twice"),
        (b"front,back,guid\nq,a,has space\n", r"row 2: the guid must be"),
        (b"front,back\n", "no cards"),
        (b"front,back\x00\x01\x02\x03\n", "not text"),
        (b"%PDF-1.7 binary", "PDF"),
        (b"SQLite format 3\x00rest", "SQLite"),
    ],
)
def test_malformed_csv_gets_a_clear_message(data, message):
    with pytest.raises(ImportFailed, match=message):
        read_upload("bad.csv", data)


def test_every_bad_row_is_named_at_once():
    data = b"front,back\nq1\nq2,a2\nq3,a3,x\n,a4\n"
    with pytest.raises(ImportFailed) as caught:
        read_upload("bad.csv", data)
    message = str(caught.value)
    for named in ("row 2 has 1 fields", "row 4 has 3 fields", "row 5: the front"):
        assert named in message


def test_a_fifty_megabyte_file_is_refused_by_the_size_cap():
    data = b"front,back\n" + b"q,a\n" * (50 * 1024 * 1024 // 4)
    with pytest.raises(ImportFailed, match=r"uploads are limited to 20 MB"):
        read_upload("huge.csv", data)


def test_the_size_cap_can_be_set_by_the_caller():
    with pytest.raises(ImportFailed, match="limited to"):
        read_upload("d.csv", b"front,back\nq,a\n", max_bytes=10)
    assert read_upload("d.csv", b"front,back\nq,a\n", max_bytes=100).decks
