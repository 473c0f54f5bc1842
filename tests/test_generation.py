"""Deck generation from source documents (issue 4): the seeds, the gold annotation, a second
condition, no copied sentences, deterministic output."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pytest
from conftest import REPO, SEEDS

from quizapp.deckfile import dumps, loads, to_dict
from quizapp.generation import evidence_text, generate_deck, generate_deck_from_paths

GOLD = json.loads((REPO / "tests" / "gold" / "muscle-atrophy.json").read_text())
FIXTURES = REPO / "tests" / "fixtures" / "generation"
DECK_FILE = REPO / "decks" / "muscle-atrophy.json"


def seed_paths() -> list[Path]:
    return sorted(SEEDS.glob("*.txt"))


@pytest.fixture(scope="module")
def deck():
    return generate_deck_from_paths(seed_paths())


def plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.replace("’", "'"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower().strip()


def gold_cause(name: str) -> str | None:
    wanted = plain(name)
    for canonical, aliases in GOLD["cause_names"].items():
        if wanted == canonical or wanted in aliases:
            return canonical
    return None


def canonical_of(row: dict) -> str:
    for candidate in [row["name"], *row["aliases"]]:
        found = gold_cause(candidate)
        if found:
            return found
    return "unmatched:" + plain(row["name"])


def precision_recall(found: set, expected: set) -> tuple[float, float]:
    hits = len(found & expected)
    return hits / max(len(found), 1), hits / max(len(expected), 1)


def test_seed_files_are_present():
    assert len(seed_paths()) == 5


def test_cause_type_pairs_and_types_match_the_gold_annotation(deck):
    names = {source.id: source.name for source in deck.sources}
    found_pairs = {
        (names[assignment["source"]], canonical_of(row), assignment["type"])
        for row in deck.knowledge["causes"]
        for assignment in row["assignments"]
        if assignment["type"] is not None
    }
    gold_pairs = {
        (source, cause, type_word)
        for source, annotation in GOLD["sources"].items()
        for type_word, causes in annotation["causes"].items()
        for cause in causes
    }
    found_types = {
        (names[source], row["id"]) for row in deck.knowledge["types"] for source in row["sources"]
    }
    gold_types = {
        (source, type_word)
        for source, annotation in GOLD["sources"].items()
        for type_word in annotation["types"]
    }
    pair_precision, pair_recall = precision_recall(found_pairs, gold_pairs)
    type_precision, type_recall = precision_recall(found_types, gold_types)
    print(
        f"\ncause->type pairs: precision {pair_precision:.3f} recall {pair_recall:.3f} "
        f"({len(found_pairs & gold_pairs)} of {len(found_pairs)} found, {len(gold_pairs)} gold)"
        f"\ntypes per source: precision {type_precision:.3f} recall {type_recall:.3f}"
    )
    print("missed:", sorted(gold_pairs - found_pairs))
    print("extra:", sorted(found_pairs - gold_pairs))
    assert pair_precision >= 0.9 and pair_recall >= 0.9
    assert type_precision >= 0.9 and type_recall >= 0.9


def test_type_aliases_and_reversibility_match_the_gold(deck):
    types = {row["id"]: row for row in deck.knowledge["types"]}
    assert set(types) == set(GOLD["types"])
    for type_word, expected in GOLD["types"].items():
        aliases = {name.split()[0] for name in types[type_word]["aliases"]}
        assert aliases == set(expected["aliases"])
        assert types[type_word]["reversibility"]["value"] == expected["reversible"]
    for statement in types["neurogenic"]["reversibility"]["statements"]:
        assert statement["value"] == "no"
        assert set(statement["location"]) == {"source", "sentence", "start", "end"}


def test_every_conflict_between_the_sources_is_found(deck):
    names = {source.id: source.name for source in deck.sources}
    by_cause = {row["id"]: canonical_of(row) for row in deck.knowledge["causes"]}
    found = []
    for conflict in deck.knowledge["conflicts"]:
        positions = {
            p["position"]: sorted(names[s] for s in p["sources"]) for p in conflict["positions"]
        }
        if conflict["id"].startswith("cause-type:"):
            cause = by_cause[conflict["id"].removeprefix("cause-type:")]
            found.append({"about": "cause-type", "cause": cause, "positions": positions})
        else:
            found.append({"about": conflict["id"], "positions": positions})
        assert conflict["handling"] in ("taught as disagreement", "left out")
    for expected in GOLD["conflicts"]:
        assert expected in found, expected
    assert len(found) == len(GOLD["conflicts"])


def test_conflicting_causes_are_taught_as_disagreement_not_asked(deck):
    conflicted = {
        c["id"].removeprefix("cause-type:")
        for c in deck.knowledge["conflicts"]
        if c["id"].startswith("cause-type:")
    }
    names = {row["id"]: row["name"] for row in deck.knowledge["causes"]}
    for key in conflicted:
        name = names[key]
        asked = [c for c in deck.cards if c.kind == "mcq" and f"Cause: {name}." in c.prompt]
        taught = [
            c for c in deck.cards if "conflict::sources-disagree" in c.tags and name in c.prompt
        ]
        assert not asked
        assert len(taught) == 1 and taught[0].answer.startswith("No:")


def test_cards_are_well_formed_unique_and_sourced(deck):
    assert 40 <= len(deck.cards) <= 120
    kinds = {card.kind for card in deck.cards}
    assert {"mcq", "basic", "reversed", "typein"} <= kinds
    prompts = [plain(card.prompt) for card in deck.cards]
    assert len(prompts) == len(set(prompts))
    source_ids = {source.id for source in deck.sources}
    for card in deck.cards:
        assert re.fullmatch(r"[\x21-\x7e]{1,64}", card.guid)
        assert card.sources and all(ref.source in source_ids for ref in card.sources)
        if card.kind == "mcq":
            assert len(set(card.choices)) == len(card.choices) >= 2
    cause_cards = [c for c in deck.cards if c.prompt.startswith("Cause:")]
    assert len(cause_cards) >= 20
    for card in cause_cards:
        assert all(choice.endswith("atrophy") for choice in card.choices)


def test_no_junk_causes_from_page_clutter(deck):
    names = " ".join(plain(row["name"]) for row in deck.knowledge["causes"])
    for clutter in ("pound", "calorie", "advert", "cleveland", "getty", "appointment"):
        assert clutter not in names


def test_guids_follow_the_fact_not_the_wording(deck):
    als = [c for c in deck.cards if c.prompt.startswith("Cause: amyotrophic lateral sclerosis")]
    assert len(als) == 1
    documents = [(p.name, p.read_text()) for p in seed_paths()]
    changed = [
        (name, text.replace("Polio ( poliomyelitis )", "Polio"))
        if name.startswith("000")
        else (name, text)
        for name, text in documents
    ]
    changed_deck = generate_deck(changed)
    same = {c.guid: c for c in changed_deck.cards}
    assert als[0].guid in same
    polio = next(c for c in deck.cards if c.prompt.startswith("Cause: polio"))
    assert polio.guid in same and same[polio.guid].sources != polio.sources


def source_ngrams(size: int = 8) -> set[tuple[str, ...]]:
    grams = set()
    for path in seed_paths():
        tokens = re.findall(r"\w+", plain(path.read_text()))
        grams.update(tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1))
    return grams


def strings_in(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for key, item in value.items() for s in [key, *strings_in(item)]]
    if isinstance(value, list | tuple):
        return [s for item in value for s in strings_in(item)]
    return []


def test_no_run_of_eight_source_words_is_copied_into_the_deck(deck):
    grams = source_ngrams()
    copied = []
    for text in strings_in(to_dict(deck)):
        tokens = re.findall(r"\w+", plain(text))
        for i in range(len(tokens) - 7):
            if tuple(tokens[i : i + 8]) in grams:
                copied.append(text)
                break
    assert not copied


def test_the_copy_check_itself_catches_a_copied_sentence():
    grams = source_ngrams()
    sentence = "Disuse atrophy is caused by not using the muscles enough."
    tokens = re.findall(r"\w+", plain(sentence))
    assert any(tuple(tokens[i : i + 8]) in grams for i in range(len(tokens) - 7))


def test_committed_deck_is_regenerated_byte_for_byte():
    regenerated = dumps(generate_deck_from_paths(seed_paths()))
    assert DECK_FILE.read_text(encoding="utf-8") == regenerated
    assert dumps(generate_deck_from_paths(list(reversed(seed_paths())))) == regenerated
    deck = loads(regenerated)
    assert deck.origin == "generated"
    assert [s.name for s in deck.sources] == [p.name for p in seed_paths()]
    assert "/" not in regenerated.split('"cards"')[0].replace("https://", "")


def test_evidence_text_returns_the_stating_sentence(deck):
    texts = {p.name: p.read_text() for p in seed_paths()}
    names = {source.id: source.name for source in deck.sources}
    card = next(c for c in deck.cards if c.prompt.startswith("Can neurogenic atrophy"))
    sentences = [evidence_text(texts[names[r.source]], names[r.source], r) for r in card.sources]
    assert all("reversib" in s or "reversed" in s for s in sentences)
    assert any("generally not reversible" in s for s in sentences)


def test_another_condition_is_read_by_the_same_code():
    deck = generate_deck_from_paths(sorted(FIXTURES.glob("hearing-loss*")))
    knowledge = deck.knowledge
    assert knowledge["condition"]["name"] == "hearing loss"
    types = {row["id"]: row for row in knowledge["types"]}
    assert set(types) == {"conductive", "sensorineural", "mixed"}
    assert types["sensorineural"]["aliases"] == ["nerve hearing loss"]
    assert types["conductive"]["reversibility"]["value"] == "yes"
    assert types["sensorineural"]["reversibility"]["value"] == "no"
    assert types["mixed"]["reversibility"]["value"] is None
    causes = {plain(row["name"]): row["types"] for row in knowledge["causes"]}
    assert causes == {
        "ear wax buildup": ["conductive"],
        "middle ear infections": ["conductive"],
        "perforated eardrum": ["conductive"],
        "otosclerosis": ["conductive"],
        "aging": ["sensorineural"],
        "loud noise exposure": ["sensorineural"],
        "meniere's disease": ["sensorineural"],
        "head injury": ["sensorineural"],
    }
    assert {plain(row["name"]) for row in knowledge["tests"]} == {"audiometry", "tympanometry"}
    assert "hearing aids" in {plain(row["name"]) for row in knowledge["treatments"]}
    prompts = [card.prompt for card in deck.cards]
    assert any("Which type of hearing loss" in p for p in prompts)
    assert not any("atrophy" in p for p in prompts)


def test_a_slip_in_one_source_takes_the_spelling_another_source_writes(deck):
    causes = {plain(row["name"]): row for row in deck.knowledge["causes"]}
    assert "best rest" not in causes
    assert causes["bed rest"]["aliases"] == ["best rest"]
    prompts = [card.prompt for card in deck.cards]
    assert any(p.startswith("Cause: bed rest.") for p in prompts)
    assert not any("best rest" in p for p in prompts)


def test_a_treatment_and_its_program_or_plan_are_one_treatment(deck):
    names = [plain(row["name"]) for row in deck.knowledge["treatments"]]
    assert "exercise" in names
    assert not any(name.startswith("exercise ") and name.split()[1] in ("plan", "program")
                   for name in names)
    exercise = next(row for row in deck.knowledge["treatments"] if plain(row["name"]) == "exercise")
    assert len(exercise["sources"]) == 3


FROSTBITE_A = """There are two types of frostbite: superficial and deep.
Causes of deep frostbite include coler weather, wind exposre, head injury and spinal cord injyry.
Deep frostbite can be treated with a rewarming program."""
FROSTBITE_B = """There are two types of frostbite: superficial and deep.
Cold weather and wind exposure harm the skin. Causes of deep frostbite include hand injury and
spinal cord injury.
Deep frostbite can be treated with rewarming."""
FROSTBITE_C = "Causes of superficial frostbite include wet gloves. Frostbite follows wind exposure."


def frostbite_names(documents: list[tuple[str, str]], category: str) -> dict[str, list[str]]:
    knowledge = generate_deck(documents).knowledge
    return {row["name"]: row["aliases"] for row in knowledge[category]}


def test_near_identical_names_are_merged_for_any_condition():
    two = [("a.txt", FROSTBITE_A), ("b.txt", FROSTBITE_B)]
    causes = frostbite_names(two, "causes")
    # One letter apart, named by both sources: one cause.
    assert causes["spinal cord injury"] == ["spinal cord injyry"]
    # Typed with the end of the next word, and another source writes the phrase.
    assert causes["cold weather"] == ["coler weather"]
    # Two different words, not a slip.
    assert causes["head injury"] == [] and causes["hand injury"] == []
    # One letter apart, but the other spelling is no better attested: left as written.
    assert "wind exposre" in causes
    assert frostbite_names(two, "treatments") == {"rewarming": []}
    # A third source writing the other spelling makes it the better attested one.
    three = [*two, ("c.txt", FROSTBITE_C)]
    assert frostbite_names(three, "causes")["wind exposure"] == ["wind exposre"]
