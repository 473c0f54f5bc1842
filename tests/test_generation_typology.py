"""How the generator finds a condition's typology however a page states it (issue 12, item 2).

Every document here is written for these tests, about conditions outside the corpus."""

from __future__ import annotations

from quizapp.generation import generate_deck, read_document
from quizapp.generation.vocabulary import find_vocabulary


def vocabulary_of(*texts: str):
    return find_vocabulary([read_document(f"doc{n}.txt", text) for n, text in enumerate(texts)])


def test_classified_as_names_multi_word_and_hyphenated_types():
    vocabulary = vocabulary_of(
        "Heart failure is classified as left-sided heart failure, right-sided heart failure "
        "or high-output heart failure.\nLeft-sided heart failure is the most common form."
    )
    assert vocabulary.condition == "heart failure"
    assert set(vocabulary.type_words) == {"left-sided", "right-sided", "high-output"}


def test_numbered_types_and_a_sort_into_categories_sentence():
    vocabulary = vocabulary_of(
        "Doctors sort gum disease into two categories according to depth: stage 1 and stage 2."
    )
    assert vocabulary.condition == "gum disease"
    assert set(vocabulary.type_words) == {"stage 1", "stage 2"}
    assert vocabulary.enumerations[0][0] == 2


def test_spelling_variants_and_an_abbreviation_name_one_type():
    vocabulary = vocabulary_of(
        "There are two types of chronic obstructive pulmonary disease (COPD): emphysema-dominant"
        " COPD and bronchitis-dominant COPD.",
        "Emphysema dominant COPD damages the air sacs. Bronchitis-dominant COPD inflames the "
        "airways. There are two types of COPD.",
    )
    assert vocabulary.condition == "chronic obstructive pulmonary disease"
    assert "copd" in vocabulary.synonyms
    assert set(vocabulary.type_words) == {"emphysema-dominant", "bronchitis-dominant"}
    assert vocabulary.canonical_type("emphysema dominant") == "emphysema-dominant"


def test_british_and_american_spellings_are_one_type():
    vocabulary = vocabulary_of(
        "There are two types of oedema: peripheral oedema and pulmonary oedema.",
        "Peripheral edema affects the legs. Pulmonary edema affects the lungs.",
    )
    assert vocabulary.canonical_type(["Peripheral", "Edema"][0]) == "peripheral"
    deck = generate_deck(
        [
            ("a.txt", "There are two types of oedema: peripheral oedema and pulmonary oedema."),
            ("b.txt", "Peripheral edema affects the legs. Pulmonary edema affects the lungs."),
        ]
    )
    types = {row["id"]: row["sources"] for row in deck.knowledge["types"]}
    assert types == {"peripheral": ["a", "b"], "pulmonary": ["a", "b"]}


def test_a_second_axis_is_kept_apart_from_the_main_typology():
    deck = generate_deck(
        [
            (
                "psoriasis.md",
                "# Psoriasis\n\nThe main types of psoriasis are:\n\n- Plaque psoriasis\n"
                "- Guttate psoriasis\n- Pustular psoriasis\n\nSeverity is a second "
                "classification:\n\n- Mild psoriasis\n- Severe psoriasis\n",
            )
        ]
    )
    main = {row["id"] for row in deck.knowledge["types"]}
    minor = {t["id"] for axis in deck.knowledge["minor_typologies"] for t in axis["types"]}
    assert main == {"plaque", "guttate", "pustular"}
    assert minor == {"mild", "severe"}
    for card in deck.cards:
        assert not any("Mild" in choice for choice in card.choices)


def test_a_type_named_after_the_condition_word_and_a_type_sharing_its_word():
    vocabulary = vocabulary_of(
        "Common types of anaemia include: Anaemia of chronic disease Aplastic anaemia "
        "Haemolytic anaemia"
    )
    assert set(vocabulary.type_words) == {"anemia of chronic disease", "aplastic", "hemolytic"}


def test_sources_that_disagree_on_the_count_are_a_conflict_and_no_count_card_is_asked():
    deck = generate_deck(
        [
            ("a.txt", "There are two types of migraine: classic and common."),
            ("b.txt", "There are three types of migraine: classic, common and chronic."),
        ]
    )
    conflicts = {c["id"]: c for c in deck.knowledge["conflicts"]}
    assert set(p["position"] for p in conflicts["type-count"]["positions"]) == {
        "2 types",
        "3 types",
    }
    count_cards = [c for c in deck.cards if "How many main types" in c.prompt]
    assert len(count_cards) == 1 and count_cards[0].answer.startswith("They disagree")


def test_the_count_card_lists_exactly_the_types_it_counts():
    deck = generate_deck(
        [("a.txt", "There are three main types of rosacea: vascular, papular and ocular.")]
    )
    card = next(c for c in deck.cards if "How many main types" in c.prompt)
    assert card.answer == "3: vascular rosacea, papular rosacea, and ocular rosacea."


def test_lines_under_a_types_heading_are_the_types():
    vocabulary = vocabulary_of(
        "Glaucoma\n\nTypes of glaucoma\n\nOpen-angle glaucoma\nAngle-closure glaucoma\n"
        "Normal-tension glaucoma\n\nMost people have no symptoms at first.\n"
    )
    assert set(vocabulary.type_words) == {"open-angle", "angle-closure", "normal-tension"}


def test_types_listed_with_including_or_are_when_each_is_named_with_the_condition():
    assert set(
        vocabulary_of(
            "There are several types of arthritis, including rheumatoid arthritis, psoriatic "
            "arthritis and reactive arthritis."
        ).type_words
    ) == {"rheumatoid", "psoriatic", "reactive"}
    assert not vocabulary_of(
        "The symptoms of some types of arthritis include pain and swelling."
    ).type_words


def test_a_type_named_as_a_type_of_the_condition():
    vocabulary = vocabulary_of(
        "Guttate psoriasis is a type of psoriasis that appears as small spots. Plaque "
        "psoriasis is the most common form of psoriasis. Another type of psoriasis is "
        "pustular psoriasis."
    )
    assert set(vocabulary.type_words) == {"guttate", "plaque", "pustular"}
