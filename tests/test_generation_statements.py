"""Cause statements, reversibility wordings, merging and confidence (issue 12, items 3-8).

Every document here is written for these tests, about conditions outside the corpus."""

from __future__ import annotations

import pytest

from quizapp.deckfile import from_dict, to_dict
from quizapp.generation import generate_deck

TYPES = "There are two types of gout: acute gout and chronic gout.\n"


def causes_of(*documents: tuple[str, str]) -> dict[str, list[str]]:
    deck = generate_deck(list(documents))
    return {row["name"]: row["types"] for row in deck.knowledge["causes"]}


@pytest.mark.parametrize(
    "sentence",
    [
        "Dehydration causes acute gout.",
        "Dehydration can lead to acute gout.",
        "Dehydration often results in acute gout.",
        "Acute gout is often caused by dehydration.",
        "Acute gout can result from dehydration.",
        "Acute gout can be from dehydration.",
        "Acute gout may be due to dehydration.",
        "Causes of acute gout include dehydration.",
        "The most common cause of acute gout is dehydration.",
        "Among the causes of acute gout are dehydration and fasting.",
        "Dehydration is a common cause of acute gout.",
        "Acute gout has several causes, such as dehydration.",
    ],
)
def test_a_cause_stated_either_way_is_filed_under_its_type(sentence):
    assert causes_of(("a.txt", TYPES + sentence))["dehydration"] == ["acute"]


@pytest.mark.parametrize(
    "sentence",
    [
        "Acute gout is not caused by dehydration.",
        "Dehydration does not cause acute gout.",
        "Dehydration is not a cause of acute gout.",
        "Acute gout is never due to dehydration.",
    ],
)
def test_a_denied_cause_is_not_a_cause(sentence):
    assert "dehydration" not in causes_of(("a.txt", TYPES + sentence))


def test_an_origin_stated_as_an_adjective_is_a_cause():
    causes = causes_of(("a.txt", TYPES + "Chronic gout can be inherited or acquired."))
    assert causes == {"inherited": ["chronic"]}


def test_every_match_in_a_sentence_and_coordination_sharing_its_head():
    causes = causes_of(
        (
            "a.txt",
            TYPES + "Causes of chronic gout include kidney disease, and cancer of the blood, "
            "bone or lymph nodes.",
        )
    )
    assert causes == {
        "kidney disease": ["chronic"],
        "cancer of the blood": ["chronic"],
        "cancer of the bone": ["chronic"],
        "cancer of the lymph nodes": ["chronic"],
    }


def test_pronouns_and_label_lines_carry_the_type_down_the_page():
    handout = (
        TYPES + "\nType: Chronic gout\n\nIt is usually caused by years of high uric acid.\n\n"
        "These deposits have several sources; they include kidney disease.\n"
    )
    causes = causes_of(("handout.md", handout))
    assert causes["years of high uric acid"] == ["chronic"]
    assert causes["kidney disease"] == ["chronic"]


def test_a_cause_of_a_cause_is_filed_under_the_type_at_the_end_of_the_chain():
    causes = causes_of(("a.txt", TYPES + "Fasting can lead to ketosis, which causes acute gout."))
    assert causes == {"fasting": ["acute"], "ketosis": ["acute"]}


def test_risk_factor_and_treatment_sections_stay_untyped_and_mechanisms_are_not_causes():
    page = (
        "Gout\n\n" + TYPES + "\nAcute gout\n\nAcute gout happens when crystals form in the "
        "joint, including the toe, the ankle and the knee. Acute gout is caused by damage to "
        "the joint lining.\n\nRisk factors\n\nObesity\nA diet rich in red meat\nOlder age\n"
    )
    deck = generate_deck([("a.txt", page)])
    names = {row["name"] for row in deck.knowledge["causes"]}
    suggested = {s["statement"] for s in deck.knowledge["suggestions"]}
    assert not names & {"toe", "ankle", "knee", "damage to the joint lining"}
    assert all(row["types"] == [] for row in deck.knowledge["causes"])
    assert any(s.startswith("obesity") for s in suggested)


@pytest.mark.parametrize(
    ("sentence", "value"),
    [
        ("Acute gout is temporary.", "yes"),
        ("Acute gout can be cured.", "yes"),
        ("Acute gout usually resolves within a week.", "yes"),
        ("Acute gout can sometimes be reversed.", "sometimes"),
        ("Acute gout is permanent.", "no"),
        ("Acute gout cannot be corrected.", "no"),
        ("Acute gout is irreversible.", "no"),
    ],
)
def test_reversibility_in_its_wordings(sentence, value):
    deck = generate_deck([("a.txt", TYPES + sentence)])
    types = {row["id"]: row["reversibility"]["value"] for row in deck.knowledge["types"]}
    assert types["acute"] == value


def test_an_exception_for_part_of_a_type_is_kept_apart():
    deck = generate_deck(
        [
            (
                "a.txt",
                TYPES + "Chronic gout is permanent. Early chronic gout may be reversed if "
                "treated promptly.",
            )
        ]
    )
    chronic = next(row for row in deck.knowledge["types"] if row["id"] == "chronic")
    assert chronic["reversibility"]["value"] == "no"
    assert [e["value"] for e in chronic["exceptions"]] == ["sometimes"]


def test_names_differing_in_order_plural_or_general_synonyms_are_one_cause():
    causes = causes_of(
        ("a.txt", TYPES + "Causes of acute gout include medicines and build-up of crystals."),
        ("b.txt", TYPES + "Causes of acute gout include crystal buildup and certain drugs."),
        ("c.txt", TYPES + "Causes of chronic gout include exposure to lead."),
        ("d.txt", TYPES + "Causes of chronic gout include lead exposure."),
    )
    assert len(causes) == 3
    assert sorted(causes.values()) == [["acute"], ["acute"], ["chronic"]]


def test_confidence_threshold_and_suggestions_follow_the_contract():
    deck = generate_deck(
        [
            ("a.txt", TYPES + "Causes of acute gout include fasting. Obesity may increase risk."),
            (
                "b.txt",
                TYPES + "Causes of acute gout include fasting.\n\nRisk factors:\n\nSmoking\n",
            ),
        ]
    )
    knowledge = deck.knowledge
    threshold = knowledge["threshold"]
    for category in ("types", "causes", "symptoms", "tests", "treatments"):
        for row in knowledge[category]:
            assert 0 <= row["confidence"] <= 1
    fasting = next(row for row in knowledge["causes"] if row["name"] == "fasting")
    assert fasting["confidence"] >= threshold
    smoking = next(s for s in knowledge["suggestions"] if s["statement"].startswith("smoking"))
    assert smoking["confidence"] < threshold
    assert smoking["kind"] == "cause" and smoking["reasons"] and smoking["locations"]
    ids = [s["id"] for s in knowledge["suggestions"]]
    assert len(ids) == len(set(ids))
    deck_guids = {card.guid for card in deck.cards}
    for suggestion in knowledge["suggestions"]:
        for card in suggestion["cards"]:
            assert card["guid"] not in deck_guids
        # Ready to add as they are: the deck format accepts them as cards.
        as_deck = to_dict(deck)
        as_deck["cards"] = suggestion["cards"] or as_deck["cards"]
        from_dict(as_deck)


def test_a_card_never_claims_agreement_when_a_source_was_not_read_for_the_cause():
    read = ("a.txt", TYPES + "Causes of acute gout include fasting.")
    dropped = ("b.txt", TYPES + "References\n\nFasting and chronic gout, a review. 2020.\n")
    deck = generate_deck([read, dropped])
    card = next(c for c in deck.cards if c.prompt.startswith("Cause: fasting."))
    assert "no source files it under another type" not in card.explanation
    alone = generate_deck([read])
    card = next(c for c in alone.cards if c.prompt.startswith("Cause: fasting."))
    assert "no source files it under another type" in card.explanation


def test_a_disagreement_stays_in_the_deck_even_when_each_side_is_weakly_stated():
    deck = generate_deck(
        [
            ("a.txt", TYPES + "Causes of acute gout may include fasting."),
            ("b.txt", TYPES + "Causes of chronic gout may include fasting."),
        ]
    )
    causes = {row["id"]: row for row in deck.knowledge["causes"]}
    conflicts = [c for c in deck.knowledge["conflicts"] if c["id"].startswith("cause-type:")]
    assert len(conflicts) == 1
    key = conflicts[0]["id"].removeprefix("cause-type:")
    assert causes[key]["status"] == "conflict"
    assert any(c.answer.startswith("No:") for c in deck.cards if "fasting" in c.prompt)


def test_a_cause_holding_the_conditions_own_word_stays_whole():
    page = (
        "Hepatitis\n\nViral hepatitis\n\nViral hepatitis is caused by hepatitis viruses.\n\n"
        "Alcoholic hepatitis\n\nAlcoholic hepatitis results from drinking large amounts of "
        "alcohol over many years.\n"
    )
    assert causes_of(("a.txt", page)) == {
        "hepatitis viruses": ["viral"],
        "drinking large amounts of alcohol": ["alcoholic"],
    }
