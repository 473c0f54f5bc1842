"""Reading decks from CSV/TSV text with a header row.

Pure Python. The header names the columns (synonyms accepted, case-insensitively); the
delimiter is whichever of comma, tab, semicolon or pipe makes the header recognisable.
Rows become basic cards (front/back), multiple-choice cards (question/choices/answer) or
cloze cards (a front with ``{{c1::...}}`` gaps); an optional ``kind`` column says so
explicitly (which also brings back reversed and type-in cards), and an optional ``correct``
column gives the right choice's number or letter. The layout written by
:mod:`quizapp.formats.csv_export` reads back unchanged, including its leading quote on cells
that a spreadsheet would take as formulas. Every problem in the file is collected and
reported together, naming its row (the header is row 1, as in a spreadsheet).
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Any

from quizapp import kinds
from quizapp.deckfile import (
    GUID_RE,
    MAX_CHOICES,
    MAX_GUID,
    MAX_TAG,
    MAX_TITLE,
    CardData,
    DeckData,
)
from quizapp.decoding import decode_upload
from quizapp.formats import ImportFailed, ImportResult, MediaLimits, Reader, checked_deck
from quizapp.formats.sanitize import plain_text, sanitize_html

MAX_ROWS = 20_000
MAX_CELL_CHARS = 100_000
DELIMITERS = (",", "\t", ";", "|")
DELIMITER_NAMES = {",": "comma", "\t": "tab", ";": "semicolon", "|": "pipe"}
DEFAULT_TITLE = "Imported deck"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

COLUMN_SYNONYMS = {
    "front": ("front", "question", "prompt", "term", "q"),
    "back": ("back", "answer", "definition", "a"),
    "choices": ("choices", "options", "alternatives"),
    "explanation": ("explanation", "explain", "extra", "notes", "rationale"),
    "tags": ("tags", "tag", "keywords"),
    "guid": ("guid", "id", "uid"),
    "kind": ("kind", "type", "card type"),
    "correct": ("correct", "correct choice", "right choice"),
}
_ROLE_BY_NAME = {name: role for role, names in COLUMN_SYNONYMS.items() for name in names}
_HEADER_NOISE_RE = re.compile(r"[\s_\-]+")
_LINE_END_RE = re.compile(r"\r\n|\r|\n")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_CHOICE_LETTERS = "ABCDEFGH"
_MAX_PROBLEMS_SHOWN = 5


def decode_text(data: bytes) -> str:
    """Text of an upload (:func:`~quizapp.decoding.decode_upload`), refused when it is not text."""
    try:
        text = decode_upload(data)
    except UnicodeDecodeError:
        raise ImportFailed(
            "The file's text encoding is damaged; save it again as UTF-8 and re-upload."
        ) from None
    if _CONTROL_RE.search(text[:4096]):
        raise ImportFailed(
            "This file is not text, an Anki package or a quizapp deck file, so it cannot be "
            "imported."
        )
    return text


def title_from_filename(filename: str) -> str:
    stem = PurePosixPath(filename.replace("\\", "/")).stem
    title = " ".join(stem.split())[:MAX_TITLE].strip()
    return title or DEFAULT_TITLE


def read_csv(text: str, title: str) -> tuple[DeckData, list[str]]:
    """The deck in the CSV/TSV text and warnings; raise :class:`ImportFailed` on problems."""
    delimiter, roles = _choose_delimiter(text)
    warnings = [
        f"Column {position} ({header!r}) was not recognised and has been ignored."
        for position, header in roles.pop("ignored")
    ]
    reader = csv.reader(_lines(text), delimiter=delimiter)
    problems: list[str] = []
    cards: list[CardData] = []
    first_row_by_guid: dict[str, int] = {}
    header_width = 0
    row_number = 0
    try:
        for row_number, cells in enumerate(reader, start=1):
            if row_number == 1:
                header_width = len(cells)
                continue
            if row_number > MAX_ROWS + 1:
                raise ImportFailed(f"The file has more than {MAX_ROWS} rows; split it up.")
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != header_width:
                problems.append(
                    f"row {row_number} has {len(cells)} fields but the header has "
                    f"{header_width} (check the {DELIMITER_NAMES[delimiter]} separators "
                    "and quotes)"
                )
                continue
            card = _card_from_row(cells, roles, row_number, problems)
            if card is None:
                continue
            earlier = first_row_by_guid.setdefault(card.guid, row_number)
            if earlier != row_number:
                problems.append(
                    f"row {row_number} has the same guid or front text as row {earlier} "
                    "(add a guid column to keep both)"
                )
                continue
            cards.append(card)
    except csv.Error as exc:
        raise ImportFailed(f"Row {row_number + 1} cannot be read as CSV: {exc}.") from None
    if problems:
        raise ImportFailed(_summarize(problems))
    if not cards:
        raise ImportFailed("The file has a header row but no cards.")
    return checked_deck(DeckData(title=title, origin="uploaded", cards=cards)), warnings


def _lines(text: str) -> Iterator[str]:
    """The text's lines with their endings (\\n, \\r\\n or \\r), one at a time.

    What ``io.StringIO(text, newline="")`` gives the csv reader, without the copy of the
    whole text StringIO makes (four bytes a character: 76 MB for a 19 MB upload).
    """
    start = 0
    for ending in _LINE_END_RE.finditer(text):
        yield text[start : ending.end()]
        start = ending.end()
    if start < len(text):
        yield text[start:]


def _summarize(problems: list[str]) -> str:
    shown = "; ".join(problems[:_MAX_PROBLEMS_SHOWN])
    hidden = len(problems) - _MAX_PROBLEMS_SHOWN
    more = f" (and {hidden} more)" if hidden > 0 else ""
    return f"The file has problems: {shown}{more}."


def _normal_header(cell: str) -> str:
    return _HEADER_NOISE_RE.sub(" ", cell.strip().strip("\ufeff").lower()).strip()


# Each role's column index, and under "ignored" the (column number, header) left unused.
Roles = dict[str, Any]


def _header_roles(cells: list[str]) -> Roles:
    roles: Roles = {"ignored": []}
    for index, cell in enumerate(cells):
        role = _ROLE_BY_NAME.get(_normal_header(cell))
        if role is None or role in roles:
            roles["ignored"].append((index + 1, cell))
        else:
            roles[role] = index
    return roles


def _is_usable(roles: Roles) -> bool:
    return "front" in roles and ("back" in roles or "choices" in roles)


def _choose_delimiter(text: str) -> tuple[str, Roles]:
    best: tuple[int, str, Roles] | None = None
    for delimiter in DELIMITERS:
        try:
            header = next(csv.reader(_lines(text), delimiter=delimiter), [])
        except csv.Error:
            continue
        roles = _header_roles(header)
        score = len(roles) - 1
        if _is_usable(roles) and (best is None or score > best[0]):
            best = (score, delimiter, roles)
    if best is None:
        first_line = text.lstrip("\ufeff").split("\n", 1)[0].strip()[:80]
        raise ImportFailed(
            "Row 1 must be a header naming the columns, such as 'front,back' or "
            f"'question,choices,answer'; it reads {first_line!r}."
        )
    return best[1], best[2]


def _cell(cells: list[str], roles: Roles, role: str) -> str:
    index: int | None = roles.get(role)
    if index is None:
        return ""
    cell = cells[index]
    # Spreadsheet exports (ours included) put a quote before a cell that would otherwise
    # run as a formula; the quote is not part of the text.
    if cell.startswith("'") and cell[1:2] in FORMULA_STARTS:
        cell = cell[1:]
    return cell.strip()


def _card_from_row(
    cells: list[str], roles: Roles, row_number: int, problems: list[str]
) -> CardData | None:
    where = f"row {row_number}"
    if any(len(cell) > MAX_CELL_CHARS for cell in cells):
        problems.append(f"{where} has a field longer than {MAX_CELL_CHARS} characters")
        return None
    start = len(problems)
    prompt = sanitize_html(_cell(cells, roles, "front"))
    back = sanitize_html(_cell(cells, roles, "back"))
    explanation = sanitize_html(_cell(cells, roles, "explanation"))
    choices_cell = _cell(cells, roles, "choices")
    kind = _cell(cells, roles, "kind").lower() or kinds.inferred(
        prompt, choices_given=bool(choices_cell)
    )
    card_kind = kinds.find(kind)
    if card_kind is None:
        problems.append(f"{where}: the kind must be one of {', '.join(kinds.names())}")
    if not prompt.strip():
        problems.append(f"{where}: the front/question is empty")
    tags = tuple(_cell(cells, roles, "tags").split())
    if any(len(tag) > MAX_TAG for tag in tags):
        problems.append(f"{where}: a tag is longer than {MAX_TAG} characters")
    guid = _cell(cells, roles, "guid") or _guid_from_front(prompt)
    if len(guid) > MAX_GUID or not GUID_RE.match(guid):
        problems.append(
            f"{where}: the guid must be at most {MAX_GUID} printable ASCII characters "
            "without spaces"
        )
    choices: tuple[str, ...] = ()
    correct = None
    if card_kind is None:
        pass  # reported above
    elif card_kind.has_choices:
        choices = _split_choices(choices_cell)
        stated = _cell(cells, roles, "correct")
        correct = _correct_choice(
            choices, sanitize_html(stated) if stated else back, where, problems
        )
        back = choices[correct] if correct < len(choices) else ""
    elif problem := card_kind.prompt_problem(prompt):
        problems.append(f"{where}: a {kind} card's front {problem}")
    elif card_kind.requires_answer and not back.strip():
        problems.append(f"{where}: the back/answer is empty")
    if len(problems) > start:
        return None
    return CardData(
        guid=guid,
        kind=kind,
        prompt=prompt,
        answer=back,
        choices=choices,
        correct=correct,
        explanation=explanation,
        tags=tags,
    )


def _guid_from_front(prompt: str) -> str:
    normalized = " ".join(prompt.split())
    return "csv-" + hashlib.sha256(normalized.encode("utf-8")).hexdigest()[:24]


def _split_choices(cell: str) -> tuple[str, ...]:
    separator = "|" if "|" in cell else ";"
    return tuple(
        choice
        for choice in (sanitize_html(part.strip()) for part in cell.split(separator))
        if choice.strip()
    )


def _correct_choice(choices: tuple[str, ...], answer: str, where: str, problems: list[str]) -> int:
    if not 2 <= len(choices) <= MAX_CHOICES:
        problems.append(f"{where}: give 2 to {MAX_CHOICES} choices (found {len(choices)})")
        return 0
    if len(set(choices)) != len(choices):
        problems.append(f"{where}: the same choice is listed twice")
        return 0
    wanted = plain_text(answer).casefold()
    for index, choice in enumerate(choices):
        if plain_text(choice).casefold() == wanted:
            return index
    if wanted.isascii() and wanted.isdigit() and 1 <= int(wanted) <= len(choices):
        return int(wanted) - 1
    letter = wanted.upper()
    if len(letter) == 1 and letter in _CHOICE_LETTERS[: len(choices)]:
        return _CHOICE_LETTERS.index(letter)
    if not wanted:
        problems.append(f"{where}: the answer is empty; give the right choice")
    else:
        last_letter = _CHOICE_LETTERS[len(choices) - 1]
        problems.append(
            f"{where}: the answer {plain_text(answer)[:40]!r} is not one of the choices, "
            f"nor a choice number (1-{len(choices)}) or letter (A-{last_letter})"
        )
    return 0


def read_csv_upload(data: bytes, filename: str, limits: MediaLimits) -> ImportResult:
    deck, warnings = read_csv(decode_text(data), title_from_filename(filename))
    return ImportResult(decks=[deck], warnings=warnings, kind="csv")


# Last in the registry: whatever text no other format claims is read as CSV or TSV.
READER = Reader(
    kind="csv",
    description="a CSV file with a header row",
    suffixes=(".csv", ".tsv"),
    claims=lambda data: True,
    read=read_csv_upload,
)
