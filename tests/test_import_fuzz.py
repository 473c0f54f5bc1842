"""Random and mutated uploads: ``read_upload`` either returns decks the app can store or
raises ``ImportFailed``; no other exception, and nothing executable in the HTML."""

import codecs
import io
import json
import zipfile

import zstandard
from conftest import ANKI_SAMPLES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quizapp.deckfile import CardData, DeckData, DeckFileError, dumps, from_dict, to_dict
from quizapp.formats import ImportFailed, ImportResult
from quizapp.formats.detect import read_upload

SAMPLE_NAMES = [
    "sample_modern_sched.apkg",
    "sample_legacy_nosched.apkg",
    "genanki_sample.apkg",
    "sample_collection.colpkg",
]
SAMPLE_BYTES = {name: (ANKI_SAMPLES / name).read_bytes() for name in SAMPLE_NAMES}
FUZZ = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

mutations = st.lists(
    st.tuples(
        st.floats(min_value=0, max_value=1, allow_nan=False),
        st.sampled_from(["flip", "set", "insert", "delete", "truncate"]),
        st.integers(min_value=0, max_value=255),
    ),
    min_size=1,
    max_size=8,
)


def _mutated(data: bytes, steps) -> bytes:
    buffer = bytearray(data)
    for fraction, operation, value in steps:
        position = min(int(fraction * len(buffer)), max(len(buffer) - 1, 0))
        if operation == "truncate":
            del buffer[position:]
        elif not buffer or operation == "insert":
            buffer[position:position] = bytes([value])
        elif operation == "delete":
            del buffer[position]
        elif operation == "flip":
            buffer[position] ^= 1 << (value % 8)
        else:
            buffer[position] = value
    return bytes(buffer)


def _assert_acceptable(filename: str, data: bytes) -> None:
    try:
        result = read_upload(filename, data)
    except ImportFailed as failure:
        assert str(failure).strip()
        assert "Traceback" not in str(failure)
        return
    assert isinstance(result, ImportResult)
    assert result.kind in ("quizapp-json", "csv", "apkg")
    assert result.decks
    assert all(isinstance(warning, str) for warning in result.warnings)
    for deck in result.decks:
        assert isinstance(deck, DeckData)
        try:
            from_dict(to_dict(deck))
        except DeckFileError as problem:
            raise AssertionError(f"importer returned a deck the app rejects: {problem}") from None
        for card in deck.cards:
            for markup in (card.prompt, card.answer, card.explanation, *card.choices):
                assert "<script" not in markup.lower()


def _rezipped(sample: str, member: str, transform) -> bytes:
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(SAMPLE_BYTES[sample])) as source,
        zipfile.ZipFile(buffer, "w") as target,
    ):
        for info in source.infolist():
            data = source.read(info)
            target.writestr(info.filename, transform(data) if info.filename == member else data)
    return buffer.getvalue()


@settings(FUZZ, max_examples=600)
@given(data=st.binary(max_size=4096), filename=st.sampled_from(["x.csv", "x.apkg", "x.json"]))
def test_random_bytes(data, filename):
    _assert_acceptable(filename, data)


@settings(FUZZ, max_examples=300)
@given(
    prefix=st.sampled_from([b"PK\x03\x04", b"PK\x05\x06", b"{", b"\xef\xbb\xbf"]),
    rest=st.binary(max_size=2048),
)
def test_random_bytes_behind_a_recognised_start(prefix, rest):
    _assert_acceptable("x", prefix + rest)


@settings(FUZZ, max_examples=300)
@given(sample=st.sampled_from(SAMPLE_NAMES), steps=mutations)
def test_mutated_package_bytes(sample, steps):
    _assert_acceptable(sample, _mutated(SAMPLE_BYTES[sample], steps))


@settings(FUZZ, max_examples=800)
@given(steps=mutations, member=st.sampled_from(["collection.anki21", "media"]))
def test_mutated_members_of_a_legacy_package(steps, member):
    data = _rezipped("sample_legacy_nosched.apkg", member, lambda raw: _mutated(raw, steps))
    _assert_acceptable("legacy.apkg", data)


def _through_zstd(steps):
    def transform(raw: bytes) -> bytes:
        inner = zstandard.ZstdDecompressor().stream_reader(raw).read()
        return zstandard.ZstdCompressor().compress(_mutated(inner, steps))

    return transform


@settings(FUZZ, max_examples=800)
@given(steps=mutations, member=st.sampled_from(["collection.anki21b", "media", "0"]))
def test_mutated_members_of_a_modern_package(steps, member):
    data = _rezipped("sample_modern_sched.apkg", member, _through_zstd(steps))
    _assert_acceptable("modern.apkg", data)


CSV_SEEDS = [
    'front,back,tags\nle café,the coffee,french food\n"q, quoted","a""b",x\n',
    "question\tchoices\tanswer\texplanation\n2+2?\t3|4|5\t2\tarithmetic\nsky?\tblue;red\tA\t\n",
    "prompt;options;answer;guid\n{{c1::Paris}} is in France;;;g1\nPick;a|b|c;c;g2\n",
    "kind,front,back,choices,correct,explanation,tags,guid\nmcq,'=1+1,2,1|2,2,,t,g\n",
]
ENCODERS = [
    lambda text: text.encode("utf-8"),
    lambda text: codecs.BOM_UTF8 + text.encode("utf-8"),
    lambda text: codecs.BOM_UTF16_LE + text.encode("utf-16-le"),
    lambda text: codecs.BOM_UTF16_BE + text.encode("utf-16-be"),
    lambda text: text.encode("cp1252", errors="replace"),
]
csv_noise = st.text(
    alphabet=st.sampled_from(list(",;|\t\"'\n\r {}:<>&=c1ab\u00e9\u20ac")), max_size=6
)


@settings(FUZZ, max_examples=600)
@given(
    seed=st.sampled_from(CSV_SEEDS),
    edits=st.lists(
        st.tuples(
            st.floats(min_value=0, max_value=1, allow_nan=False),
            csv_noise,
            st.integers(min_value=0, max_value=4),
        ),
        max_size=6,
    ),
    encoder=st.sampled_from(ENCODERS),
)
def test_mutated_csv_text(seed, edits, encoder):
    text = seed
    for fraction, inserted, removed in edits:
        position = int(fraction * len(text))
        text = text[:position] + inserted + text[position + removed :]
    _assert_acceptable("mutated.csv", encoder(text))


JSON_SEED = to_dict(
    DeckData(
        title="Seed",
        cards=[
            CardData(guid="b1", kind="basic", prompt="<b>q</b>", answer="a", tags=("t",)),
            CardData(guid="m1", kind="mcq", prompt="pick", choices=("x", "y"), correct=0),
            CardData(guid="c1", kind="cloze", prompt="{{c1::gap}} here"),
        ],
    )
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*prefix, index))


JSON_PATHS = [path for path in _paths(JSON_SEED) if path]


@settings(FUZZ, max_examples=400)
@given(path=st.sampled_from(JSON_PATHS), replacement=json_values)
def test_json_deck_with_a_field_replaced(path, replacement):
    deck = json.loads(json.dumps(JSON_SEED))
    parent = deck
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = replacement
    _assert_acceptable("deck.json", json.dumps(deck).encode())


@settings(FUZZ, max_examples=300)
@given(steps=mutations)
def test_mutated_json_text(steps):
    _assert_acceptable("deck.json", _mutated(dumps(from_dict(JSON_SEED)).encode(), steps))
