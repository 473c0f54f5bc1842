"""Generation on topics it was not built on (issue 12): every topic of
``tests/generation_corpus`` and the seeds, scored strictly against a hand annotation.

The corpus tests judge the extractor; the scorer tests at the end judge the scorer itself."""

from __future__ import annotations

from functools import cache

import pytest
from conftest import SEEDS
from generation_names import NameBook, fragment_reasons, key
from generation_scorer import (
    CORPUS,
    knowledge_base,
    load_topics,
    precision_recall,
    score,
    table,
)

from quizapp.generation import generate_deck

TOPICS = {name: (documents, gold) for name, documents, gold in load_topics(SEEDS)}
NEW_TOPICS = [name for name in TOPICS if "seeds" not in name]
LAYOUT_ZOO = "hypothyroidism-layout-zoo"


@cache
def scored(topic: str):
    """The topic's score, generated once for all the tests that judge it."""
    documents, gold = TOPICS[topic]
    deck = generate_deck(documents)
    names = {source.id: source.name for source in deck.sources}
    return score(topic, gold, deck.knowledge, names)


def test_the_corpus_has_at_least_four_new_conditions_each_with_a_gold_file():
    assert len(NEW_TOPICS) >= 4
    for topic in NEW_TOPICS:
        documents, gold = TOPICS[topic]
        assert len(documents) >= 3, topic
        assert {name for name, _ in documents} == set(gold["sources"]), topic
    assert (CORPUS / "README.md").is_file()


@pytest.mark.parametrize("topic", list(TOPICS))
def test_cause_type_pairs_and_types_reach_0_9(topic):
    result = scored(topic)
    print("\n" + table([result]) + "\n" + result.details())
    assert result.pair_precision >= 0.9 and result.pair_recall >= 0.9
    assert result.type_precision >= 0.9 and result.type_recall >= 0.9


@pytest.mark.parametrize("topic", list(TOPICS))
def test_no_fragment_causes_and_no_anatomy_taken_as_a_cause(topic):
    result = scored(topic)
    assert result.fragments == []
    assert result.not_causes == []


@pytest.mark.parametrize("topic", list(TOPICS))
def test_every_conflict_in_the_gold_is_found(topic):
    assert scored(topic).conflicts_missed == []


@pytest.mark.parametrize("topic", list(TOPICS))
def test_each_gold_type_is_one_type_and_minor_types_stay_out(topic):
    result = scored(topic)
    assert result.duplicate_types == []
    assert result.minor_as_main == []
    assert result.condition_found


@pytest.mark.parametrize("topic", list(TOPICS))
def test_reversibility_per_type_matches_the_gold(topic):
    assert scored(topic).reversibility_wrong == []


def test_print_the_table_for_every_topic():
    results = [scored(topic) for topic in TOPICS]
    print("\n" + table(results))
    assert all(result.passed for result in results)


def test_the_same_facts_in_every_layout_give_the_same_knowledge_base():
    documents, gold = TOPICS[LAYOUT_ZOO]
    assert len(documents) >= 6
    expected_pairs = sorted(
        {
            (cause, type_id)
            for annotation in gold["sources"].values()
            for type_id, causes in annotation["causes"].items()
            for cause in causes
        }
    )
    bases = {name: knowledge_base(gold, generate_deck([(name, text)]).knowledge)
             for name, text in documents}
    for name, base in bases.items():
        print(f"\n{name}: {base}")
    first_name, first = next(iter(bases.items()))
    differing = sorted(name for name, base in bases.items() if base != first)
    assert differing == [], f"these layouts read differently from {first_name}"
    assert first["types"] == sorted(gold["types"])
    assert first["pairs"] == expected_pairs
    assert first["reversibility"] == {t: row["reversible"] for t, row in gold["types"].items()}


# The scorer itself.

GOLD = {
    "condition": {"name": "kidney injury", "aliases": ["aki"]},
    "types": {
        "prerenal": {"aliases": ["pre-renal"], "reversible": "yes"},
        "postrenal": {"aliases": [], "reversible": "yes"},
    },
    "minor_typology": {"axis": "stage", "types": ["stage 1", "stage 2"]},
    "cause_names": {
        "enlarged prostate": ["benign prostatic hyperplasia"],
        "severe dehydration": [],
        "kidney stones": [],
    },
    "not_causes": ["ureters"],
    "sources": {
        "a.txt": {
            "types": ["prerenal", "postrenal"],
            "causes": {"prerenal": ["severe dehydration"], "postrenal": ["enlarged prostate"]},
        },
        "b.txt": {"types": ["postrenal"], "causes": {"postrenal": ["kidney stones"]}},
    },
    "conflicts": [
        {"about": "type-count", "positions": {"2 types": ["a.txt"], "1 types": ["b.txt"]}}
    ],
}


def type_row(type_id, name, sources, reversible=None, aliases=()):
    return {"id": type_id, "name": name, "aliases": list(aliases), "sources": sources,
            "reversibility": {"value": reversible}}


def cause_row(cause_id, name, assignments, aliases=()):
    return {"id": cause_id, "name": name, "aliases": list(aliases),
            "assignments": [{"source": s, "type": t} for s, t in assignments]}


def perfect_knowledge():
    return {
        "condition": {"name": "AKI"},
        "types": [
            type_row("pre", "pre-renal kidney injury", ["a"], "yes"),
            type_row("post", "postrenal kidney injury", ["a", "b"], "yes"),
        ],
        "causes": [
            cause_row("c1", "Severe dehydration", [("a", "pre")]),
            cause_row("c2", "benign prostatic hyperplasia", [("a", "post")]),
            cause_row("c3", "kidney stone", [("b", "post")]),
        ],
        "conflicts": [
            {"id": "type-count", "positions": [
                {"position": "2 types", "sources": ["a"]},
                {"position": "1 types", "sources": ["b"]},
            ]}
        ],
    }


def test_scorer_gives_full_marks_to_a_perfect_reading_through_aliases_and_variants():
    result = score("t", GOLD, perfect_knowledge())
    assert (result.pair_precision, result.pair_recall) == (1.0, 1.0)
    assert (result.type_precision, result.type_recall) == (1.0, 1.0)
    assert result.passed and result.condition_found
    assert result.reversibility_wrong == [] and result.conflicts_missed == []


def test_scorer_never_matches_a_fragment_to_a_longer_gold_name():
    knowledge = perfect_knowledge()
    knowledge["causes"][1] = cause_row("c2", "prostate", [("a", "post")])
    result = score("t", GOLD, knowledge)
    assert ("a.txt", "enlarged prostate", "postrenal") in result.missed_pairs
    assert ("a.txt", "unmatched:prostate", "postrenal") in result.extra_pairs
    assert [name for name, _ in result.fragments] == ["prostate"]
    assert not result.passed


def test_scorer_precision_and_recall_arithmetic():
    knowledge = perfect_knowledge()
    # One wrong pair added, one right pair lost: 2 of 3 found are right, 2 of 3 gold found.
    knowledge["causes"][2] = cause_row("c3", "kidney stones", [("b", "pre")])
    result = score("t", GOLD, knowledge)
    assert result.pair_precision == pytest.approx(2 / 3)
    assert result.pair_recall == pytest.approx(2 / 3)
    assert precision_recall({1, 2, 3, 4}, {1, 2, 5}) == (0.5, pytest.approx(2 / 3))
    assert precision_recall(set(), set()) == (1.0, 1.0)
    assert precision_recall(set(), {1}) == (0.0, 0.0)


def test_scorer_flags_function_word_edges_brackets_and_placeholders():
    book = NameBook(GOLD["cause_names"])
    assert fragment_reasons("kidney stones", book) == []
    assert fragment_reasons("Kidney-stones", book) == []
    assert fragment_reasons("following conditions", book)
    assert fragment_reasons("management depends on finding the", book)
    assert fragment_reasons("that lower the pressure in the veins", book)
    assert fragment_reasons("blockage (stones", book)
    assert fragment_reasons("stones", book)
    assert fragment_reasons("dehydration", book)
    assert fragment_reasons("drugs that can harm the kidneys", book) == []
    assert fragment_reasons("sepsis", book) == []
    assert fragment_reasons("being overweight", book) == []
    assert fragment_reasons("not using the kidneys", book) == []
    assert fragment_reasons("sepsis can", book)


def test_scorer_normalises_case_plural_hyphen_article_and_accents_only():
    assert key("The Build-ups") == key("buildup") == key("build up")
    assert key("Guillain-Barré syndrome") == key("guillain barre syndromes")
    assert key("Lou Gehrig’s disease") == key("lou gehrig disease")
    assert key("prostate") != key("enlarged prostate")


def test_scorer_finds_anatomy_duplicates_minor_types_reversibility_and_missed_conflicts():
    knowledge = perfect_knowledge()
    knowledge["types"].append(type_row("pre2", "pre renal", ["b"], None))
    knowledge["types"].append(type_row("s1", "stage 1 AKI", ["a"], None))
    knowledge["types"][1]["reversibility"]["value"] = "no"
    knowledge["causes"].append(cause_row("c4", "the ureters", [("a", "post")]))
    knowledge["conflicts"] = []
    result = score("t", GOLD, knowledge)
    assert result.duplicate_types == [("prerenal", ["pre-renal kidney injury", "pre renal"])]
    assert result.minor_as_main == ["stage 1 AKI (stage 1)"]
    assert ("postrenal", "no", "yes") in result.reversibility_wrong
    assert result.not_causes == ["the ureters"]
    assert result.conflicts_missed == GOLD["conflicts"]
    assert ("b.txt", "prerenal") in result.extra_types
    assert not result.passed


def test_knowledge_base_is_the_same_for_the_same_facts_written_differently():
    knowledge = perfect_knowledge()
    other = perfect_knowledge()
    other["causes"][1] = cause_row("x", "Enlarged prostates", [("a", "post")])
    other["types"][0]["name"] = "prerenal AKI"
    assert knowledge_base(GOLD, knowledge) == knowledge_base(GOLD, other)
    other["causes"][1] = cause_row("x", "prostate", [("a", "post")])
    assert knowledge_base(GOLD, knowledge) != knowledge_base(GOLD, other)
