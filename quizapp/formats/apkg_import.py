"""Reading decks from Anki packages (``.apkg``, and whole collections in ``.colpkg``).

Pure Python. Both package layouts are read:

* older: ``collection.anki21`` or ``collection.anki2`` (plain SQLite with note types and
  decks as JSON in the ``col`` table) and a JSON media map ``{"0": "name.png"}``;
* newer: ``collection.anki21b`` (zstd-compressed SQLite with ``notetypes``, ``fields``,
  ``templates`` and ``decks`` tables holding protobuf blobs) and a zstd-compressed protobuf
  media list whose files are zstd-compressed too.

Each Anki deck that holds cards becomes one deck titled with its full nested name
(``Parent::Child``); a note whose cards sit in several decks goes with its first card. The
card kind follows the note type's structure, not its name: the cloze flag, Question,
Choices and Correct fields (multiple choice, as quizapp's own export writes it), a single
template with ``{{type:...}}`` (type-in), two mirrored templates (reversed, or basic when
an optional reverse card was not made) or one template (basic); any other note type gives
basic cards from its first two fields, with a warning. Fields the answer side shows only
inside ``{{#Field}}...{{/Field}}`` sections (and every extra field of a cloze) become the
explanation, except a Source field, which names a document the app cannot link back to.
Only images that notes show are returned, under safe names that their ``<img src>`` is
rewritten to.

The upload is treated as hostile: every byte unpacked counts against one budget, member
and media names must be plain, and the SQLite file is opened read-only with untrusted
schema features off and a cap on the work any query may do. Every failure is an
:class:`~quizapp.formats.ImportFailed`.
"""

from __future__ import annotations

import hashlib
import html
import io
import json
import lzma
import os
import re
import sqlite3
import tempfile
import zipfile
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import quote, unquote, urlsplit

import zstandard

from quizapp.cloze import MAX_CLOZE_NUMBER, cloze_problem, has_cloze_gap
from quizapp.deckfile import (
    GUID_RE,
    MAX_CHOICES,
    MAX_FIELD,
    MAX_GUID,
    MAX_TAG,
    MAX_TITLE,
    CardData,
    DeckData,
    MediaFile,
)
from quizapp.formats import ImportFailed, checked_deck
from quizapp.formats.sanitize import plain_text, sanitize_html

MAX_UNPACKED_BYTES = 256 * 1024 * 1024
MAX_ZIP_MEMBERS = 20_000
MAX_NOTES = 50_000
MAX_CARDS = 200_000
MAX_NOTE_TYPES = 2_000
MAX_DECKS = 10_000
MAX_SQLITE_VALUE_BYTES = 32 * 1024 * 1024
# The progress handler runs every SQLITE_STEPS_PER_CHECK virtual-machine steps; a hostile
# file whose queries need more than SQLITE_MAX_CHECKS of those is refused.
SQLITE_STEPS_PER_CHECK = 1_000
SQLITE_MAX_CHECKS = 200_000

COLLECTION_MEMBERS = ("collection.anki21b", "collection.anki21", "collection.anki2")
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
FIELD_SEPARATOR = "\x1f"
DEFAULT_DECK_TITLE = "Imported deck"
CLOZE_NOTE_TYPE = 1
# Field names, compared without case, of a multiple-choice note type: the question, its
# choices as an HTML list and the 1-based number of the right choice.
MCQ_FIELDS = ("question", "choices", "correct")
MCQ_ANSWER_FIELD = "answer"
SOURCE_FIELD_NAMES = frozenset({"source", "sources"})

IMAGE_SIGNATURES = {
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".gif": (b"GIF87a", b"GIF89a"),
    ".webp": (b"RIFF",),
    ".bmp": (b"BM",),
}

_UNREADABLE = "The Anki package is damaged or not an Anki package, so it cannot be imported."
_FIELD_REF_RE = re.compile(r"\{\{([^{}]*)\}\}")
# Each tag's inside stops at the next "<": on unclosed "<li<li..." no match rescans the rest.
_IMG_SRC_RE = re.compile(r'(<img\b[^<>]*?\bsrc=")([^"]*)(")', re.IGNORECASE)
_LIST_OPEN_RE = re.compile(r"<(ol|ul)\b[^<>]*>", re.IGNORECASE)
_LIST_TAG_RE = re.compile(r"<(/?)(ol|ul|li)\b[^<>]*>", re.IGNORECASE)
_CHOICE_NUMBER_RE = re.compile(r"[0-9]{1,3}")
_SAFE_MEDIA_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,150}$")
_MEDIA_NAME_FORBIDDEN_RE = re.compile(r"[/\\\x00-\x1f\x7f]")


def read_anki_package(data: bytes) -> tuple[list[DeckData], list[str]]:
    """One deck per Anki deck holding cards, and warnings about what was left out."""
    try:
        return _read_package(data)
    except ImportFailed:
        raise
    except sqlite3.DatabaseError:
        raise ImportFailed(
            "The collection inside the Anki package is damaged or not an Anki database."
        ) from None
    except zstandard.ZstdError:
        raise ImportFailed("Compressed data inside the Anki package is damaged.") from None
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        zlib.error,
        lzma.LZMAError,
        EOFError,
        NotImplementedError,
        RuntimeError,
        OSError,
        ValueError,
        KeyError,
        TypeError,
        OverflowError,
    ):
        raise ImportFailed(_UNREADABLE) from None


# --- unpacking -------------------------------------------------------------------------


class _Budget:
    """Bytes that may still be unpacked; shared by every member of one package."""

    def __init__(self, limit: int):
        self.limit = limit
        self.left = limit

    def spend(self, size: int) -> None:
        self.left -= size
        if self.left < 0:
            raise ImportFailed(
                f"The Anki package unpacks to more than {self.limit // (1024 * 1024)} MB, "
                "so it was refused (it may be a zip bomb)."
            )


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: _Budget) -> bytes:
    # The sizes in the zip header are the uploader's claim; count what really comes out.
    unpacked = bytearray()
    with archive.open(info) as stream:
        while chunk := stream.read(1 << 16):
            budget.spend(len(chunk))
            unpacked += chunk
    return bytes(unpacked)


def _unzstd(compressed: bytes, budget: _Budget, what: str) -> bytes:
    if not compressed.startswith(ZSTD_MAGIC):
        raise ImportFailed(f"The {what} in the Anki package is damaged.")
    unpacked = bytearray()
    decompressor = zstandard.ZstdDecompressor()
    with decompressor.stream_reader(io.BytesIO(compressed), read_across_frames=True) as stream:
        while chunk := stream.read(1 << 16):
            budget.spend(len(chunk))
            unpacked += chunk
    return bytes(unpacked)


def _unsafe_member_name(name: str) -> bool:
    normalized = name.replace("\\", "/")
    return (
        not name
        or "\x00" in name
        or normalized.startswith("/")
        or (len(name) > 1 and name[1] == ":")
        or ".." in normalized.split("/")
    )


def _read_package(data: bytes) -> tuple[list[DeckData], list[str]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise ImportFailed(
            "The file is not a readable zip archive, so not an Anki package."
        ) from None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ZIP_MEMBERS:
            raise ImportFailed(f"The Anki package holds more than {MAX_ZIP_MEMBERS} files.")
        for info in infos:
            if _unsafe_member_name(info.filename):
                raise ImportFailed(
                    f"The Anki package contains a file with an unsafe path "
                    f"({info.filename[:80]!r}), so it was refused."
                )
        members = {info.filename: info for info in infos}
        collection_name = next((n for n in COLLECTION_MEMBERS if n in members), None)
        if collection_name is None:
            raise ImportFailed(
                "This zip file holds no Anki collection, so it is not an Anki package."
            )
        budget = _Budget(MAX_UNPACKED_BYTES)
        collection_bytes = _read_member(archive, members[collection_name], budget)
        if collection_name == "collection.anki21b":
            collection_bytes = _unzstd(collection_bytes, budget, "collection")
        collection = _read_collection(collection_bytes)
        media = _MediaStore(archive, members, budget)
        return _DeckBuilder(collection, media).build()


# --- the SQLite collection ---------------------------------------------------------------


@dataclass(frozen=True)
class _NoteType:
    name: str
    is_cloze: bool
    fields: tuple[str, ...]
    templates: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class _Note:
    id: int
    guid: str
    note_type_id: int
    tags: tuple[str, ...]
    fields: tuple[str, ...]


@dataclass
class _Collection:
    note_types: dict[int, _NoteType]
    deck_names: dict[int, str]
    notes: list[_Note]
    cards_by_note: dict[int, list[tuple[int, int]]]


def _read_collection(database: bytes) -> _Collection:
    with tempfile.TemporaryDirectory(prefix="quizapp-apkg-") as folder:
        path = os.path.join(folder, "collection.sqlite")
        with open(path, "wb") as file:
            file.write(database)
        connection = _open_read_only(path)
        try:
            return _query_collection(connection)
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


def _compare_ignoring_case(left: str, right: str) -> int:
    left, right = left.casefold(), right.casefold()
    return (left > right) - (left < right)


def _query_collection(connection: sqlite3.Connection) -> _Collection:
    tables = {
        row[0]
        for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        if isinstance(row[0], str)
    }
    if not {"col", "notes", "cards"} <= tables:
        raise ImportFailed("The database inside the package is not an Anki collection.")
    if {"notetypes", "fields", "templates", "decks"} <= tables:
        note_types = _modern_note_types(connection)
        deck_names = _modern_deck_names(connection)
    else:
        note_types, deck_names = _legacy_note_types_and_decks(connection)
    notes = [
        _Note(
            id=_integer(note_id),
            guid=_text(guid),
            note_type_id=_integer(note_type_id),
            tags=tuple(_text(tags).split()),
            fields=tuple(_text(fields).split(FIELD_SEPARATOR)),
        )
        for note_id, guid, note_type_id, tags, fields in _rows(
            connection, "SELECT id, guid, mid, tags, flds FROM notes", MAX_NOTES, "notes"
        )
    ]
    cards_by_note: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for note_id, deck_id, original_deck_id, ordinal in _rows(
        connection, "SELECT nid, did, odid, ord FROM cards", MAX_CARDS, "cards"
    ):
        # A card in a filtered deck belongs to its original (home) deck.
        home_deck = _integer(original_deck_id) or _integer(deck_id)
        cards_by_note[_integer(note_id)].append((_integer(ordinal), home_deck))
    return _Collection(note_types, deck_names, notes, cards_by_note)


def _rows(connection: sqlite3.Connection, query: str, limit: int, what: str) -> list[tuple]:
    rows = connection.execute(f"{query} LIMIT ?", (limit + 1,)).fetchall()
    if len(rows) > limit:
        raise ImportFailed(f"The Anki package has more than {limit} {what}.")
    return rows


def _integer(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ImportFailed("The collection inside the Anki package has damaged rows.")
    return value


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise ImportFailed("The collection inside the Anki package has damaged rows.")
    return value


def _legacy_note_types_and_decks(
    connection: sqlite3.Connection,
) -> tuple[dict[int, _NoteType], dict[int, str]]:
    row = connection.execute("SELECT models, decks FROM col LIMIT 1").fetchone()
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
        note_types[_numeric_key(key)] = _NoteType(
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


def _ordinal_of(item: dict) -> int:
    value = item.get("ord", 0)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _numeric_key(key: str) -> int:
    try:
        return int(key)
    except ValueError:
        raise ImportFailed("The note types in the Anki package are damaged.") from None


def _modern_note_types(connection: sqlite3.Connection) -> dict[int, _NoteType]:
    fields: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for note_type_id, ordinal, name in _rows(
        connection, "SELECT ntid, ord, name FROM fields", MAX_NOTE_TYPES * 50, "fields"
    ):
        fields[_integer(note_type_id)].append((_integer(ordinal), _text(name)))
    templates: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    for note_type_id, ordinal, config in _rows(
        connection, "SELECT ntid, ord, config FROM templates", MAX_NOTE_TYPES * 50, "templates"
    ):
        parsed = _protobuf_fields(_blob(config), "card template")
        question = _protobuf_string(parsed, 1, "card template")
        answer = _protobuf_string(parsed, 2, "card template")
        templates[_integer(note_type_id)].append((_integer(ordinal), question, answer))
    note_types = {}
    for note_type_id, name, config in _rows(
        connection, "SELECT id, name, config FROM notetypes", MAX_NOTE_TYPES, "note types"
    ):
        key = _integer(note_type_id)
        kind = _protobuf_fields(_blob(config), "note type").get(1, [0])[-1]
        note_types[key] = _NoteType(
            name=_text(name),
            is_cloze=kind == CLOZE_NOTE_TYPE,
            fields=tuple(field for _, field in sorted(fields[key])),
            templates=tuple((q, a) for _, q, a in sorted(templates[key])),
        )
    return note_types


def _modern_deck_names(connection: sqlite3.Connection) -> dict[int, str]:
    return {
        _integer(deck_id): _text(name).replace(FIELD_SEPARATOR, "::")
        for deck_id, name in _rows(connection, "SELECT id, name FROM decks", MAX_DECKS, "decks")
    }


def _blob(value: object) -> bytes:
    if isinstance(value, bytes):
        return value
    raise ImportFailed("The collection inside the Anki package has damaged rows.")


# --- protobuf wire format ------------------------------------------------------------------


def _varint(data: bytes, position: int, what: str) -> tuple[int, int]:
    value = 0
    for shift in range(0, 70, 7):
        if position >= len(data):
            break
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, position
    raise ImportFailed(f"The {what} data in the Anki package is damaged.")


def _protobuf_fields(data: bytes, what: str) -> dict[int, list[int | bytes]]:
    """Field number → values, in order; length-delimited values stay bytes."""
    fields: dict[int, list[int | bytes]] = defaultdict(list)
    position = 0
    while position < len(data):
        key, position = _varint(data, position, what)
        number, wire_type = key >> 3, key & 7
        value: int | bytes
        if number == 0:
            raise ImportFailed(f"The {what} data in the Anki package is damaged.")
        if wire_type == 0:
            value, position = _varint(data, position, what)
        elif wire_type in (1, 5):
            width = 8 if wire_type == 1 else 4
            value, position = data[position : position + width], position + width
        elif wire_type == 2:
            length, position = _varint(data, position, what)
            value, position = data[position : position + length], position + length
        else:
            raise ImportFailed(f"The {what} data in the Anki package is damaged.")
        if position > len(data):
            raise ImportFailed(f"The {what} data in the Anki package is damaged.")
        fields[number].append(value)
    return fields


def _protobuf_string(fields: dict[int, list[int | bytes]], number: int, what: str) -> str:
    value = fields.get(number, [b""])[-1]
    if not isinstance(value, bytes):
        raise ImportFailed(f"The {what} data in the Anki package is damaged.")
    return value.decode("utf-8")


# --- media -----------------------------------------------------------------------------------


class _MediaStore:
    """The package's media list, with files unpacked only when a note refers to them."""

    def __init__(
        self, archive: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo], budget: _Budget
    ):
        self.archive = archive
        self.members = members
        self.budget = budget
        self.compressed = False
        self.member_by_name: dict[str, str] = {}
        if "media" in members:
            self._read_media_list(_read_member(archive, members["media"], budget))
        self.contents: dict[str, bytes | None] = {}

    def _read_media_list(self, raw: bytes) -> None:
        if raw.startswith(ZSTD_MAGIC):
            self.compressed = True
            entries = _protobuf_fields(_unzstd(raw, self.budget, "media list"), "media list")
            for index, entry in enumerate(entries.get(1, [])):
                if not isinstance(entry, bytes):
                    raise ImportFailed("The media list data in the Anki package is damaged.")
                parsed = _protobuf_fields(entry, "media list")
                member = parsed.get(255, [index])[-1]
                self._add(_protobuf_string(parsed, 1, "media list"), str(member))
            return
        try:
            listing = json.loads(raw.decode("utf-8") or "{}")
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            raise ImportFailed("The media list in the Anki package is damaged.") from None
        if not isinstance(listing, dict):
            raise ImportFailed("The media list in the Anki package is damaged.")
        for member, name in listing.items():
            if not isinstance(name, str):
                raise ImportFailed("The media list in the Anki package is damaged.")
            self._add(name, member)

    def _add(self, name: str, member: str) -> None:
        if (
            not name
            or name in (".", "..")
            or len(name) > 255
            or _MEDIA_NAME_FORBIDDEN_RE.search(name)
        ):
            raise ImportFailed(
                f"The Anki package has a media file with an unsafe name ({name[:80]!r}), "
                "so it was refused."
            )
        self.member_by_name[name] = member

    def find(self, reference: str) -> str | None:
        """The media list's name for an ``<img src>`` value, if the package has it."""
        for candidate in (reference, unquote(reference)):
            if candidate in self.member_by_name:
                return candidate
        return None

    def content(self, name: str) -> bytes | None:
        if name not in self.contents:
            info = self.members.get(self.member_by_name[name])
            data = None if info is None else _read_member(self.archive, info, self.budget)
            if data is not None and self.compressed:
                data = _unzstd(data, self.budget, "media file")
            self.contents[name] = data
        return self.contents[name]


def _has_url_scheme(reference: str) -> bool:
    try:
        return bool(urlsplit(reference).scheme)
    except ValueError:
        return True


def _safe_media_name(name: str) -> str:
    if _SAFE_MEDIA_NAME_RE.match(name):
        return name
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:16]
    return f"media-{digest}{PurePosixPath(name).suffix.lower()}"


def _looks_like_image(name: str, data: bytes) -> bool:
    signatures = IMAGE_SIGNATURES.get(PurePosixPath(name).suffix.lower(), ())
    if not any(data.startswith(signature) for signature in signatures):
        return False
    return not name.lower().endswith(".webp") or data[8:12] == b"WEBP"


# --- notes to cards ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Shape:
    """How a note type's fields become a card: which kind and which fields go where."""

    kind: str
    front: int
    back: int | None
    extras: tuple[int, ...] = ()
    choices: int | None = None
    correct: int | None = None
    recognised: bool = True


@dataclass(frozen=True)
class _References:
    """The field names one template uses, each listed once in order of first use."""

    shown: tuple[str, ...]  # displayed as they are, inside conditional sections or not
    unconditional: tuple[str, ...]  # displayed outside every {{#F}}/{{^F}} section
    typed: tuple[str, ...]  # {{type:F}}
    clozed: tuple[str, ...]  # {{cloze:F}}

    @property
    def conditional_only(self) -> tuple[str, ...]:
        return tuple(name for name in self.shown if name not in self.unconditional)


def _template_references(template: str) -> _References:
    shown: dict[str, None] = {}
    unconditional: dict[str, None] = {}
    typed: dict[str, None] = {}
    clozed: dict[str, None] = {}
    open_sections: list[str] = []
    for match in _FIELD_REF_RE.finditer(template):
        reference = match.group(1).strip()
        if not reference or reference[0] == "!" or reference == "FrontSide":
            continue
        if reference[0] in "#^":
            open_sections.append(reference[1:].strip())
            continue
        if reference[0] == "/":
            # Anki refuses to render mismatched sections; a stray closing tag is ignored
            # here rather than failing the whole import.
            name = reference[1:].strip()
            if name in open_sections:
                while open_sections.pop() != name:
                    pass
            continue
        *filters, name = reference.split(":")
        name = name.strip()
        filters = [f.strip() for f in filters]
        if "type" in filters:
            typed[name] = None
        elif "cloze" in filters:
            clozed[name] = None
        else:
            shown[name] = None
            if not open_sections:
                unconditional[name] = None
    return _References(tuple(shown), tuple(unconditional), tuple(typed), tuple(clozed))


def _is_source_field(name: str) -> bool:
    # quizapp's own export shows the name of the document a card came from in a Source
    # field. A card refers to its source by a location in a stored document, which a name
    # cannot restore, and the name is no explanation either, so the field is left out.
    return name.casefold() in SOURCE_FIELD_NAMES


def _extras(answer: _References, index: dict[str, int], taken: set[str]) -> tuple[int, ...]:
    """Fields the answer side shows only when they are filled in: explanations, notes."""
    return tuple(
        index[name]
        for name in answer.conditional_only
        if name in index and name not in taken and not _is_source_field(name)
    )


def _multiple_choice_shape(note_type: _NoteType, index: dict[str, int]) -> _Shape | None:
    """A note type asking a question with numbered choices, as quizapp's export writes it.

    Recognised by its fields: Question, Choices (an HTML list) and Correct (the 1-based
    number of the right choice), with Answer optionally repeating the right choice. Anki
    itself has no multiple-choice type, and without a Correct number a list of choices
    cannot be told apart from a list that is the answer, so other types stay basic.
    """
    by_name = {name.casefold(): name for name in index}
    if len(note_type.templates) != 1 or not set(MCQ_FIELDS) <= set(by_name):
        return None
    question, choices, correct = (by_name[field] for field in MCQ_FIELDS)
    front_side, back_side = map(_template_references, note_type.templates[0])
    if not {question, choices} <= set(front_side.shown):
        return None
    answer = by_name.get(MCQ_ANSWER_FIELD)
    taken = {question, choices, correct, answer}
    return _Shape(
        kind="mcq",
        front=index[question],
        back=None if answer is None else index[answer],
        extras=_extras(back_side, index, taken),
        choices=index[choices],
        correct=index[correct],
    )


def _shape_of(note_type: _NoteType) -> _Shape:
    index = {name: position for position, name in enumerate(note_type.fields)}
    fallback = _Shape(kind="basic", front=0, back=1, recognised=False)
    if not note_type.templates:
        return fallback
    if note_type.is_cloze:
        question, answer = map(_template_references, note_type.templates[0])
        cloze_field = index.get(question.clozed[0], 0) if question.clozed else 0
        # Anki's own Cloze type shows Back Extra unconditionally; it is an extra all the same.
        extras = tuple(
            index[name]
            for name in answer.shown
            if name in index and index[name] != cloze_field and not _is_source_field(name)
        )
        return _Shape(kind="cloze", front=cloze_field, back=None, extras=extras)
    multiple_choice = _multiple_choice_shape(note_type, index)
    if multiple_choice is not None:
        return multiple_choice
    sides = [tuple(map(_template_references, template)) for template in note_type.templates]
    question, answer = sides[0]
    if question.clozed or len(question.shown) != 1 or question.shown[0] not in index:
        return fallback
    front = question.shown[0]
    if len(sides) == 1 and question.typed:
        back = question.typed[0]
        if len(question.typed) == 1 and back in index and back != front:
            extras = _extras(answer, index, {front, back})
            return _Shape(kind="typein", front=index[front], back=index[back], extras=extras)
        return fallback
    revealed = [name for name in answer.unconditional if name != front]
    if question.typed or len(revealed) != 1 or revealed[0] not in index:
        return fallback
    back = revealed[0]
    extras = _extras(answer, index, {front, back})
    if len(sides) == 1:
        return _Shape(kind="basic", front=index[front], back=index[back], extras=extras)
    if len(sides) == 2:
        reverse_question, reverse_answer = sides[1]
        if (
            reverse_question.shown == (back,)
            and not reverse_question.typed
            and not reverse_question.clozed
            and [name for name in reverse_answer.unconditional if name != back] == [front]
        ):
            return _Shape(kind="reversed", front=index[front], back=index[back], extras=extras)
    return fallback


def _list_items(markup: str) -> list[str] | None:
    """The items of a field that holds one HTML list (or bare ``<li>`` items), else None.

    Works on sanitized markup, whose tags are balanced, so counting list tags finds where
    each top-level item ends even when an item holds a list of its own.
    """
    inner = markup.strip()
    wrapper = _LIST_OPEN_RE.match(inner)
    if wrapper:
        closing = f"</{wrapper.group(1).lower()}>"
        if not inner.lower().endswith(closing):
            return None
        inner = inner[wrapper.end() : -len(closing)]
    items: list[str] = []
    depth = 0
    item_start = 0
    gap_start = 0
    for tag in _LIST_TAG_RE.finditer(inner):
        is_closing, name = tag.group(1) == "/", tag.group(2).lower()
        if depth == 0:
            if is_closing or name != "li" or inner[gap_start : tag.start()].strip():
                return None
            item_start = tag.end()
        depth += -1 if is_closing else 1
        if depth == 0:
            if name != "li":
                return None
            items.append(inner[item_start : tag.start()].strip())
            gap_start = tag.end()
    if depth != 0 or inner[gap_start:].strip():
        return None
    return items


def _choices_and_correct(
    choices_markup: str, correct_markup: str
) -> tuple[tuple[str, ...], int] | None:
    """The choices and the index of the right one, if the fields hold a usable question."""
    items = _list_items(choices_markup)
    number = plain_text(correct_markup)
    if items is None or not _CHOICE_NUMBER_RE.fullmatch(number):
        return None
    correct = int(number) - 1
    if (
        not 2 <= len(items) <= MAX_CHOICES
        or any(_is_blank(item) for item in items)
        or len(set(items)) != len(items)
        or not 0 <= correct < len(items)
    ):
        return None
    return tuple(items), correct


def _is_blank(markup: str) -> bool:
    return not plain_text(markup) and "<img" not in markup


def _stable_guid(guid: str) -> str:
    if guid and len(guid) <= MAX_GUID and GUID_RE.match(guid):
        return guid
    return "anki-" + hashlib.sha256(guid.encode("utf-8", "surrogatepass")).hexdigest()[:24]


def _deck_title(name: str) -> str:
    title = " ".join(name.split())[:MAX_TITLE].strip()
    return title or DEFAULT_DECK_TITLE


class _DeckBuilder:
    def __init__(self, collection: _Collection, media: _MediaStore):
        self.collection = collection
        self.media = media
        self.skipped: Counter[str] = Counter()
        self.fallback_notes: Counter[str] = Counter()
        self.unreadable_choices = 0
        self.missing_images: set[str] = set()
        self.refused_images: set[str] = set()
        self.shapes = {key: _shape_of(nt) for key, nt in collection.note_types.items()}

    def build(self) -> tuple[list[DeckData], list[str]]:
        cards_by_title: dict[str, list[CardData]] = defaultdict(list)
        media_by_title: dict[str, dict[str, bytes]] = defaultdict(dict)
        seen_guids: set[str] = set()
        for note in sorted(self.collection.notes, key=lambda n: n.id):
            placed = self._card_for(note)
            if placed is None:
                continue
            card, deck_id, images = placed
            if card.guid in seen_guids:
                self.skipped["it repeats another note's guid"] += 1
                continue
            seen_guids.add(card.guid)
            title = _deck_title(self.collection.deck_names.get(deck_id, ""))
            cards_by_title[title].append(card)
            media_by_title[title].update(images)
        decks = [
            checked_deck(
                DeckData(
                    title=title,
                    origin="imported",
                    cards=cards,
                    media=[
                        MediaFile(name=name, data=data)
                        for name, data in sorted(media_by_title[title].items())
                    ],
                )
            )
            for title, cards in sorted(cards_by_title.items())
        ]
        if not decks:
            raise ImportFailed("The Anki package holds no cards that could be imported.")
        return decks, self._warnings()

    def _warnings(self) -> list[str]:
        warnings = [
            f"Note type {name!r} is not a Basic, reversed, type-in, multiple-choice or Cloze "
            f"type: {count} note(s) became basic cards from their first two fields."
            for name, count in sorted(self.fallback_notes.items())
        ]
        if self.unreadable_choices:
            warnings.append(
                f"{self.unreadable_choices} multiple-choice note(s) did not hold 2 to "
                f"{MAX_CHOICES} different choices as a list and the number of the right one, "
                "so they became basic cards with the choices in the question."
            )
        warnings += [
            f"{count} note(s) were skipped because {reason}."
            for reason, count in sorted(self.skipped.items())
        ]
        if self.missing_images:
            warnings.append(
                f"{len(self.missing_images)} image(s) used by notes are not in the package: "
                + ", ".join(sorted(self.missing_images)[:5])
            )
        if self.refused_images:
            warnings.append(
                f"{len(self.refused_images)} image(s) were left out because they are not PNG, "
                "JPEG, GIF, WebP or BMP images: " + ", ".join(sorted(self.refused_images)[:5])
            )
        return warnings

    def _card_for(self, note: _Note) -> tuple[CardData, int, dict[str, bytes]] | None:
        note_type = self.collection.note_types.get(note.note_type_id)
        cards = sorted(self.collection.cards_by_note.get(note.id, []))
        if note_type is None:
            self.skipped["their note type is missing"] += 1
            return None
        if not cards:
            self.skipped["they have no cards"] += 1
            return None
        shape = self.shapes[note.note_type_id]
        if not shape.recognised:
            self.fallback_notes[note_type.name] += 1
        images: dict[str, bytes] = {}

        def field(position: int | None) -> str:
            if position is None or position >= len(note.fields):
                return ""
            return self._with_local_images(sanitize_html(note.fields[position]), images)

        prompt, answer = field(shape.front), field(shape.back)
        explanation = "<br>".join(part for part in map(field, shape.extras) if part)
        kind = shape.kind
        choices: tuple[str, ...] = ()
        correct = None
        if kind == "reversed" and not any(ordinal == 1 for ordinal, _ in cards):
            kind = "basic"
        if kind == "mcq":
            choices_markup = field(shape.choices)
            question = _choices_and_correct(choices_markup, field(shape.correct))
            if question is None:
                self.unreadable_choices += 1
                kind, prompt = "basic", prompt + choices_markup
            else:
                choices, correct = question
        problem = self._problem(kind, prompt, answer, explanation, choices)
        if problem:
            self.skipped[problem] += 1
            return None
        tags = tuple(tag for tag in note.tags if len(tag) <= MAX_TAG)
        card = CardData(
            guid=_stable_guid(note.guid),
            kind=kind,
            prompt=prompt,
            answer=answer,
            choices=choices,
            correct=correct,
            explanation=explanation,
            tags=tags,
        )
        return card, cards[0][1], images

    @staticmethod
    def _problem(
        kind: str, prompt: str, answer: str, explanation: str, choices: tuple[str, ...]
    ) -> str | None:
        if max(len(text) for text in (prompt, answer, explanation, *choices)) > MAX_FIELD:
            return f"a field is longer than {MAX_FIELD} characters"
        if _is_blank(prompt):
            return "their question side is empty"
        if kind == "cloze" and "image-occlusion:" in prompt:
            return "image occlusion notes are not supported"
        if kind == "cloze" and not has_cloze_gap(prompt):
            return "their cloze text has no {{c1::...}} gaps"
        if kind == "cloze" and cloze_problem(prompt):
            return f"their cloze gaps are not numbered within c1 to c{MAX_CLOZE_NUMBER}"
        # A multiple-choice card's answer is its right choice, even when no field repeats it.
        if kind not in ("cloze", "mcq") and _is_blank(answer):
            return "their answer side is empty"
        return None

    def _with_local_images(self, markup: str, images: dict[str, bytes]) -> str:
        def localize(match: re.Match) -> str:
            reference = html.unescape(match.group(2))
            if _has_url_scheme(reference):
                return match.group(0)
            name = self.media.find(reference)
            if name is None:
                self.missing_images.add(reference[:80])
                return match.group(0)
            data = self.media.content(name)
            if data is None:
                self.missing_images.add(name[:80])
                return match.group(0)
            if not _looks_like_image(name, data):
                self.refused_images.add(name[:80])
                return match.group(0)
            safe_name = _safe_media_name(name)
            images[safe_name] = data
            return f"{match.group(1)}{html.escape(safe_name)}{match.group(3)}"

        return _IMG_SRC_RE.sub(localize, markup)
