"""Turning an Anki collection's notes into quizapp cards, grouped into decks.

Pure Python. Each Anki deck that holds cards becomes one deck titled with its full nested
name (``Parent::Child``); a note whose cards sit in several decks goes with its first card.
Only images that notes show are kept, under safe names that their ``<img src>`` is
rewritten to. What cannot be imported is skipped with a warning naming why.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections import Counter, defaultdict

from quizapp import kinds
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
    new_card,
)
from quizapp.formats import ImportFailed, checked_deck, megabytes
from quizapp.formats.anki.choices import choice_lines, choices_and_correct
from quizapp.formats.anki.collection import Collection, Note
from quizapp.formats.anki.media import (
    MediaStore,
    has_url_scheme,
    looks_like_image,
    safe_media_name,
)
from quizapp.formats.anki.notetypes import shape_of
from quizapp.formats.sanitize import all_kept_as_written, sanitize_html, shows_nothing

DEFAULT_DECK_TITLE = "Imported deck"
# Each tag's inside stops at the next "<": on unclosed "<img<img..." no match rescans the rest.
_IMG_SRC_RE = re.compile(r'(<img\b[^<>]*?\bsrc=")([^"]*)(")', re.IGNORECASE)


class _Kinds(dict[str, kinds.CardKind]):
    """Card kinds by name, each looked up in the registry once per package (a note asks up to
    thrice)."""

    def __missing__(self, name: str) -> kinds.CardKind:
        found = self[name] = kinds.get(name)
        return found


def _stable_guid(guid: str) -> str:
    if guid and len(guid) <= MAX_GUID and GUID_RE.match(guid):
        return guid
    return "anki-" + hashlib.sha256(guid.encode("utf-8", "surrogatepass")).hexdigest()[:24]


def _deck_title(name: str) -> str:
    title = " ".join(name.split())[:MAX_TITLE].strip()
    return title or DEFAULT_DECK_TITLE


class DeckBuilder:
    def __init__(self, collection: Collection, media: MediaStore):
        self.collection = collection
        self.media = media
        self.skipped: Counter[str] = Counter()
        self.fallback_notes: Counter[str] = Counter()
        self.unreadable_choices = 0
        self.missing_images: set[str] = set()
        self.refused_images: set[str] = set()
        # Note type name -> names of its fields that held text no card keeps.
        self.unused_fields: defaultdict[str, dict[str, None]] = defaultdict(dict)
        self.shapes = {key: shape_of(nt) for key, nt in collection.note_types.items()}
        self.kinds = _Kinds()

    def build(self) -> tuple[list[DeckData], list[str]]:
        cards_by_title: dict[str, list[CardData]] = defaultdict(list)
        media_by_title: dict[str, dict[str, bytes]] = defaultdict(dict)
        seen_guids: set[str] = set()
        titles: dict[int, str] = {}
        for note in sorted(self.collection.notes, key=lambda n: n.id):
            placed = self._card_for(note)
            if placed is None:
                continue
            card, deck_id, images = placed
            if card.guid in seen_guids:
                self.skipped["it repeats another note's guid"] += 1
                continue
            seen_guids.add(card.guid)
            title = titles.get(deck_id)
            if title is None:
                title = titles[deck_id] = _deck_title(self.collection.deck_names.get(deck_id, ""))
            cards_by_title[title].append(card)
            if images:
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
            f"type: {count} note(s) became basic cards from their first two fields (the other "
            "fields are in the explanation)."
            for name, count in sorted(self.fallback_notes.items())
        ]
        warnings += [
            f"Note type {name!r}: field(s) " + ", ".join(repr(field) for field in fields)
            + " will not be imported (a source's name cannot be linked to a document)."
            for name, fields in sorted(self.unused_fields.items())
        ]
        if self.unreadable_choices:
            warnings.append(
                f"{self.unreadable_choices} multiple-choice note(s) did not hold 2 to "
                f"{MAX_CHOICES} different choices and the letter, number or text of the right "
                "one, so they became basic cards with the choices in the question."
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
        if self.media.too_large:
            warnings.append(
                f"{len(self.media.too_large)} image(s) were left out because each is larger "
                f"than {megabytes(self.media.limits.file_bytes)} MB: "
                + ", ".join(sorted(self.media.too_large)[:5])
            )
        if self.refused_images:
            warnings.append(
                f"{len(self.refused_images)} image(s) were left out because they are not PNG, "
                "JPEG, GIF, WebP or BMP images: " + ", ".join(sorted(self.refused_images)[:5])
            )
        return warnings

    def _card_for(self, note: Note) -> tuple[CardData, int, dict[str, bytes]] | None:
        note_type = self.collection.note_types.get(note.note_type_id)
        if note_type is None:
            self.skipped["their note type is missing"] += 1
            return None
        cards = self.collection.cards_by_note.get(note.id)
        if not cards:
            self.skipped["they have no cards"] += 1
            return None
        if len(cards) > 1:
            cards = sorted(cards)
        shape = self.shapes[note.note_type_id]
        fields = note.fields
        if not shape.recognised:
            self.fallback_notes[note_type.name] += 1
        for position in shape.unused:
            if position < len(fields) and fields[position].strip():
                self.unused_fields[note_type.name][note_type.fields[position]] = None
        images: dict[str, bytes] = {}
        # Most notes' fields are all plain text or simple markup that sanitizing hands back as
        # it is, found for the whole note in one pass; otherwise each field used is sanitized.
        kept = all_kept_as_written(fields)

        def field(position: int | None) -> str:
            if position is None or position >= len(fields):
                return ""
            markup = fields[position] if kept else sanitize_html(fields[position])
            # Sanitized markup spells its tags in lower case.
            return self._with_local_images(markup, images) if "<img" in markup else markup

        prompt, answer = field(shape.front), field(shape.back)
        explanation = "<br>".join([part for part in map(field, shape.extras) if part])
        kind = self.kinds[shape.kind].kind_for_anki_cards([ordinal for ordinal, _ in cards])
        choices: tuple[str, ...] = ()
        correct = None
        if self.kinds[kind].has_choices:
            if len(shape.choices) == 1:
                listed = field(shape.choices[0])
                offered = choice_lines(listed)
            else:
                offered = [text for text in map(field, shape.choices) if not shows_nothing(text)]
                listed = "<ol>" + "".join(f"<li>{text}</li>" for text in offered) + "</ol>"
            stated = field(shape.correct)
            question = choices_and_correct(offered, stated)
            if question is None:
                self.unreadable_choices += 1
                kind, prompt, answer = kinds.DEFAULT_KIND, prompt + listed, answer or stated
            else:
                choices, correct = question
        problem = self._problem(kind, prompt, answer, explanation, choices)
        if problem:
            self.skipped[problem] += 1
            return None
        tags = note.tags
        if tags and max(map(len, tags)) > MAX_TAG:
            tags = tuple(tag for tag in tags if len(tag) <= MAX_TAG)
        if correct is not None:
            answer = choices[correct]  # as reading a deck file fills it in (not the field's)
        card = new_card(
            _stable_guid(note.guid), kind, prompt, answer, choices, correct, explanation, tags
        )
        return card, cards[0][1], images

    def _problem(
        self, kind: str, prompt: str, answer: str, explanation: str, choices: tuple[str, ...]
    ) -> str | None:
        if max(len(prompt), len(answer), len(explanation), *map(len, choices)) > MAX_FIELD:
            return f"a field is longer than {MAX_FIELD} characters"
        if shows_nothing(prompt):
            return "their question side is empty"
        card_kind = self.kinds[kind]
        if problem := card_kind.anki_prompt_problem(prompt):
            return problem
        if card_kind.requires_answer and shows_nothing(answer):
            return "their answer side is empty"
        return None

    def _with_local_images(self, markup: str, images: dict[str, bytes]) -> str:
        def localize(match: re.Match[str]) -> str:
            reference = html.unescape(match.group(2))
            if has_url_scheme(reference):
                return match.group(0)
            name = self.media.find(reference)
            if name is None:
                self.missing_images.add(reference[:80])
                return match.group(0)
            data = self.media.content(name)
            if data is None:
                self.missing_images.add(name[:80])
                return match.group(0)
            if not looks_like_image(name, data):
                self.refused_images.add(name[:80])
                return match.group(0)
            safe_name = safe_media_name(name)
            images[safe_name] = data
            return f"{match.group(1)}{html.escape(safe_name)}{match.group(3)}"

        return _IMG_SRC_RE.sub(localize, markup)
