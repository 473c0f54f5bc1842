"""Reading an Anki collection's SQLite file: note types, deck names, notes and cards.

Pure Python. Both layouts: the older one keeps note types and decks as JSON in the ``col``
table; the newer one (``collection.anki21b``) has ``notetypes``, ``fields``, ``templates``
and ``decks`` tables holding protobuf blobs. The file is hostile until proven otherwise: it
is opened read-only with untrusted schema features off, its schema is checked before any
row is read (no generated columns, views or virtual tables, which compute values at read
time), rows are read one at a time with a cap on each value and on all values together,
and every query stops after a bounded amount of work.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any, NamedTuple
from urllib.parse import quote

from quizapp.formats import ImportFailed, megabytes
from quizapp.formats.anki.protobuf import protobuf_fields, protobuf_string

MAX_NOTES = 50_000
MAX_CARDS = 200_000
MAX_NOTE_TYPES = 2_000
MAX_DECKS = 10_000
MAX_SCHEMA_ENTRIES = 500
# One value (a note's fields, the legacy JSON of all note types) and all values together.
MAX_SQLITE_VALUE_BYTES = 8 * 1024 * 1024
MAX_COLLECTION_READ_BYTES = 32 * 1024 * 1024
# The progress handler runs every SQLITE_STEPS_PER_CHECK virtual-machine steps; a hostile
# file whose queries need more than SQLITE_MAX_CHECKS of those is refused.
SQLITE_STEPS_PER_CHECK = 1_000
SQLITE_MAX_CHECKS = 200_000

FIELD_SEPARATOR = "\x1f"
CLOZE_NOTE_TYPE = 1
MODERN_TABLES = frozenset({"notetypes", "fields", "templates", "decks"})
# Tables whose columns any reader (decks here, a learner's schedule in .scheduling) reads.
READ_TABLES = frozenset({"col", "notes", "cards", "revlog", "config"}) | MODERN_TABLES
_SIZED = (str, bytes)  # values counted against the read budget


@dataclass(frozen=True)
class NoteType:
    name: str
    is_cloze: bool
    fields: tuple[str, ...]
    templates: tuple[tuple[str, str], ...]


class Note(NamedTuple):
    """One note's row (a tuple: tens of thousands are read per package)."""

    id: int
    guid: str
    note_type_id: int
    tags: tuple[str, ...]
    fields: tuple[str, ...]


@dataclass
class Collection:
    note_types: dict[int, NoteType]
    deck_names: dict[int, str]
    notes: list[Note]
    cards_by_note: dict[int, list[tuple[int, int]]]


def read_collection(path: str) -> Collection:
    """Note types, deck names, notes and cards of the SQLite collection at ``path``."""
    connection = _open_read_only(path)
    try:
        _check_schema(connection)
        return _query_collection(_Reader(connection))
    finally:
        connection.close()


def _open_read_only(path: str) -> sqlite3.Connection:
    uri = f"file:{quote(path)}?mode=ro&immutable=1"
    connection = sqlite3.connect(uri, uri=True)
    connection.execute("PRAGMA trusted_schema=OFF")
    connection.execute("PRAGMA cell_size_check=ON")
    connection.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_SQLITE_VALUE_BYTES)
    # Anki declares some name columns with its own collation; comparing them needs one.
    connection.create_collation("unicase", _compare_ignoring_case)
    checks = 0

    def stop_runaway_query() -> int:
        nonlocal checks
        checks += 1
        return int(checks > SQLITE_MAX_CHECKS)

    connection.set_progress_handler(stop_runaway_query, SQLITE_STEPS_PER_CHECK)
    return connection


def _check_schema(connection: sqlite3.Connection) -> None:
    """Refuse anything that computes values while they are read.

    A generated column (``GENERATED ALWAYS AS (hex(zeroblob(n)))``), a view or a virtual
    table standing where Anki keeps a plain table produces its values only when a query
    reads them, so no size on disk bounds them. Anki's collections have none of these.
    """
    tables: dict[str, str | None] = {}
    for kind, name, sql in connection.execute(
        "SELECT type, name, sql FROM sqlite_master LIMIT ?", (MAX_SCHEMA_ENTRIES + 1,)
    ):
        if len(tables) >= MAX_SCHEMA_ENTRIES:
            raise ImportFailed("The collection inside the Anki package has too many tables.")
        if kind in ("view", "trigger") or (
            isinstance(sql, str) and sql.lstrip()[:20].upper().startswith("CREATE VIRTUAL")
        ):
            what = "virtual table" if kind == "table" else kind
            raise ImportFailed(
                f"The collection inside the Anki package has a {what} ({str(name)[:40]!r}) "
                "that Anki collections never have, so it was refused."
            )
        if kind == "table" and isinstance(name, str):
            tables[name] = sql
    if not {"col", "notes", "cards"} <= set(tables):
        raise ImportFailed("The database inside the package is not an Anki collection.")
    for name in READ_TABLES & set(tables):
        columns = connection.execute(f'PRAGMA table_xinfo("{name}")').fetchall()
        # table_xinfo's "hidden" column: 2 and 3 mark generated columns.
        if any(column[6] != 0 for column in columns):
            raise ImportFailed(
                f"The table {name!r} in the Anki package computes its values (generated "
                "columns), which Anki collections never do, so it was refused."
            )


def _compare_ignoring_case(left: str, right: str) -> int:
    left, right = left.casefold(), right.casefold()
    return (left > right) - (left < right)


def _query_collection(reader: _Reader) -> Collection:
    tables = {
        row[0]
        for row in reader.connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        if isinstance(row[0], str)
    }
    if tables >= MODERN_TABLES:
        note_types = _modern_note_types(reader)
        deck_names = _modern_deck_names(reader)
    else:
        note_types, deck_names = _legacy_note_types_and_decks(reader)
    # Notes and cards are the bulk of a collection: their rows are checked inline, the
    # common row (every value of the type Anki writes) without a call per value.
    notes: list[Note] = []
    cursor = reader.cursor("SELECT id, guid, mid, tags, flds FROM notes", MAX_NOTES)
    for row in islice(cursor, MAX_NOTES):
        note_id, guid, note_type_id, tags, fields = row
        if (
            type(guid) is str and type(tags) is str and type(fields) is str
            and type(note_id) is int and type(note_type_id) is int
        ):  # fmt: skip
            reader.spend(len(guid) + len(tags) + len(fields))
        else:
            reader.spend(_size(row))
            raise _damaged()
        notes.append(
            Note(note_id, guid, note_type_id, tuple(tags.split()),
                 tuple(fields.split(FIELD_SEPARATOR)))
        )
    reader.refuse_more(cursor, MAX_NOTES, "notes")
    cards_by_note: dict[int, list[tuple[int, int]]] = defaultdict(list)
    cursor = reader.cursor("SELECT nid, did, odid, ord FROM cards", MAX_CARDS)
    for row in islice(cursor, MAX_CARDS):
        note_id, deck_id, original_deck_id, ordinal = row
        # A card in a filtered deck belongs to its original (home) deck.
        if (
            type(note_id) is int and type(deck_id) is int and type(original_deck_id) is int
            and type(ordinal) is int
        ):  # fmt: skip
            home_deck = original_deck_id or deck_id
        else:
            reader.spend(_size(row))
            home_deck = _integer(original_deck_id) or _integer(deck_id)
            note_id, ordinal = _integer(note_id), _integer(ordinal)
        cards_by_note[note_id].append((ordinal, home_deck))
    reader.refuse_more(cursor, MAX_CARDS, "cards")
    return Collection(note_types, deck_names, notes, cards_by_note)


class _Reader:
    """Rows read one at a time, every value counted against one budget for the collection."""

    def __init__(self, connection: sqlite3.Connection):
        self.connection = connection
        self.left = MAX_COLLECTION_READ_BYTES

    def rows(self, query: str, limit: int, what: str) -> Iterator[tuple[Any, ...]]:
        cursor = self.cursor(query, limit)
        for row in islice(cursor, limit):
            self.spend(_size(row))
            yield row
        self.refuse_more(cursor, limit, what)

    def cursor(self, query: str, limit: int) -> sqlite3.Cursor:
        """The rows of ``query``, one more than ``limit`` (see :meth:`refuse_more`)."""
        return self.connection.execute(f"{query} LIMIT ?", (limit + 1,))

    def spend(self, size: int) -> None:
        """Count ``size`` characters or bytes read against the collection's budget."""
        self.left -= size
        if self.left < 0:
            raise ImportFailed(
                f"The notes and note types in the Anki package hold more than "
                f"{megabytes(MAX_COLLECTION_READ_BYTES)} MB of text, so it was refused."
            )

    @staticmethod
    def refuse_more(cursor: sqlite3.Cursor, limit: int, what: str) -> None:
        """After ``limit`` rows of ``cursor`` were read: refuse the package if there are more."""
        if cursor.fetchone() is not None:
            raise ImportFailed(f"The Anki package has more than {limit} {what}.")


def _size(row: tuple[Any, ...]) -> int:
    """What a row's text and blob values count against the read budget."""
    return sum([len(value) for value in row if isinstance(value, _SIZED)])


def _damaged() -> ImportFailed:
    return ImportFailed("The collection inside the Anki package has damaged rows.")


def _integer(value: object) -> int:
    if type(value) is not int:  # what SQLite hands back for an integer (never a bool)
        raise _damaged()
    return value


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise _damaged()
    return value


def _legacy_note_types_and_decks(
    reader: _Reader,
) -> tuple[dict[int, NoteType], dict[int, str]]:
    row = next(reader.rows("SELECT models, decks FROM col", 1, "collections"), None)
    if row is None:
        raise ImportFailed("The collection inside the Anki package is empty.")
    try:
        models, decks = json.loads(_text(row[0])), json.loads(_text(row[1]))
    except (json.JSONDecodeError, RecursionError):
        raise ImportFailed("The note types in the Anki package are damaged.") from None
    if not isinstance(models, dict) or not isinstance(decks, dict):
        raise ImportFailed("The note types in the Anki package are damaged.")
    if len(models) > MAX_NOTE_TYPES or len(decks) > MAX_DECKS:
        raise ImportFailed("The Anki package has too many note types or decks.")
    note_types = {}
    for key, model in models.items():
        if not isinstance(model, dict):
            raise ImportFailed("The note types in the Anki package are damaged.")
        fields = [f for f in model.get("flds", []) if isinstance(f, dict)]
        templates = [t for t in model.get("tmpls", []) if isinstance(t, dict)]
        fields.sort(key=_ordinal_of)
        templates.sort(key=_ordinal_of)
        note_types[_numeric_key(key)] = NoteType(
            name=str(model.get("name", "")),
            is_cloze=model.get("type") == CLOZE_NOTE_TYPE,
            fields=tuple(str(f.get("name", "")) for f in fields),
            templates=tuple((str(t.get("qfmt", "")), str(t.get("afmt", ""))) for t in templates),
        )
    deck_names = {
        _numeric_key(key): str(deck.get("name", ""))
        for key, deck in decks.items()
        if isinstance(deck, dict)
    }
    return note_types, deck_names


def _ordinal_of(item: dict[str, Any]) -> int:
    value = item.get("ord", 0)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _numeric_key(key: str) -> int:
    try:
        return int(key)
    except ValueError:
        raise ImportFailed("The note types in the Anki package are damaged.") from None


def _modern_note_types(reader: _Reader) -> dict[int, NoteType]:
    fields: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for note_type_id, ordinal, name in reader.rows(
        "SELECT ntid, ord, name FROM fields", MAX_NOTE_TYPES * 50, "fields"
    ):
        fields[_integer(note_type_id)].append((_integer(ordinal), _text(name)))
    templates: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    for note_type_id, ordinal, config in reader.rows(
        "SELECT ntid, ord, config FROM templates", MAX_NOTE_TYPES * 50, "templates"
    ):
        parsed = protobuf_fields(_blob(config), "card template")
        question = protobuf_string(parsed, 1, "card template")
        answer = protobuf_string(parsed, 2, "card template")
        templates[_integer(note_type_id)].append((_integer(ordinal), question, answer))
    note_types = {}
    for note_type_id, name, config in reader.rows(
        "SELECT id, name, config FROM notetypes", MAX_NOTE_TYPES, "note types"
    ):
        key = _integer(note_type_id)
        kind = protobuf_fields(_blob(config), "note type").get(1, [0])[-1]
        note_types[key] = NoteType(
            name=_text(name),
            is_cloze=kind == CLOZE_NOTE_TYPE,
            fields=tuple(field for _, field in sorted(fields[key])),
            templates=tuple((q, a) for _, q, a in sorted(templates[key])),
        )
    return note_types


def _modern_deck_names(reader: _Reader) -> dict[int, str]:
    return {
        _integer(deck_id): _text(name).replace(FIELD_SEPARATOR, "::")
        for deck_id, name in reader.rows("SELECT id, name FROM decks", MAX_DECKS, "decks")
    }


def _blob(value: object) -> bytes:
    if isinstance(value, bytes):
        return value
    raise ImportFailed("The collection inside the Anki package has damaged rows.")
