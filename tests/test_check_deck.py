"""Importers' decks are checked in place (``check_deck``); the result must be what the deck
file format makes of the deck written out and read back."""

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from quizapp.deckfile import (
    MAX_FIELD,
    CardData,
    DeckData,
    DeckFileError,
    SourceDoc,
    SourceRef,
    check_deck,
    from_dict,
    to_dict,
)

texts = st.sampled_from(["", " ", "Term", "<b>Bold</b>", "x" * (MAX_FIELD + 1), "nul\x00",
                         "{{c1::gap}} text", "{{c99::far}}", "Choice A", "Choice B"])
refs = st.builds(SourceRef, source=st.sampled_from(["s1", "s2", "missing"]),
                 start=st.sampled_from([None, 0, 5]), end=st.sampled_from([None, 9]))
good_texts = st.sampled_from(["Term", "<b>Bold</b>", "Choice A", "Choice B"])


def card_strategy(text, guids, kinds, tags, ref):
    return st.builds(
        CardData,
        guid=guids,
        kind=kinds,
        prompt=text,
        answer=st.one_of(st.just(""), text),
        choices=st.lists(text, max_size=4).map(tuple),
        correct=st.sampled_from([None, 0, 1, 3, True]),
        explanation=text,
        tags=st.lists(tags, max_size=3).map(tuple),
        sources=st.lists(ref, max_size=2).map(tuple),
    )


def deck_strategy(cards):
    return st.builds(
        DeckData,
        title=st.sampled_from(["Deck", " Padded ", ""]),
        cards=st.lists(cards, max_size=4),
        sources=st.just([SourceDoc(id="s1", name="one.md"), SourceDoc(id="s2", name="two.pdf")]),
    )


kinds = st.sampled_from(["basic", "reversed", "cloze", "mcq", "typein"])
any_deck = deck_strategy(card_strategy(
    texts, st.sampled_from(["g1", "g2", "g3", "bad guid", ""]), st.one_of(kinds, st.just("essay")),
    st.sampled_from(["t", "two words", "x" * 101, "x" * 100, "nul\x00", "\ud800", "u"]), refs))


@st.composite
def good_card(draw):
    """A card the format accepts but for a repeated guid or tag: the values the check hands
    on are compared, not only its verdict."""
    kind = draw(kinds)
    choices = tuple(draw(st.lists(good_texts, min_size=2, max_size=4, unique=True))) \
        if kind == "mcq" else ()
    correct = draw(st.integers(0, len(choices) - 1)) if choices else None
    return CardData(
        guid=draw(st.sampled_from(["a", "b", "c", "d", "e", "f"])),
        kind=kind,
        prompt="{{c1::gap}} and {{c2::more}}" if kind == "cloze" else draw(good_texts),
        # An mcq card may come with its right choice as its answer (the Anki importer's).
        answer=draw(good_texts if kind not in ("mcq", "cloze") else
                    st.one_of(st.just(""), good_texts,
                              st.just(choices[correct] if choices else ""))),
        choices=choices,
        correct=correct,
        explanation=draw(st.one_of(st.just(""), good_texts)),
        tags=tuple(draw(st.lists(st.sampled_from(["t", "u", "v"]), max_size=3))),
        sources=tuple(draw(st.lists(st.builds(SourceRef, source=st.sampled_from(["s1", "s2"]),
                                              start=st.sampled_from([None, 3])), max_size=2))),
    )


mostly_good_deck = st.builds(DeckData, title=st.just("Deck"),
                             cards=st.lists(good_card(), max_size=4),
                             sources=st.just([SourceDoc(id="s1", name="one.md")]))


@given(st.one_of(any_deck, mostly_good_deck))
@settings(max_examples=600, deadline=None)
def test_checking_in_place_is_the_round_trip_through_the_file_format(deck):
    try:
        expected = from_dict(to_dict(deck), "deck")
    except DeckFileError as error:
        expected = error
    try:
        checked = check_deck(deck, "deck")
    except DeckFileError as error:
        assert isinstance(expected, DeckFileError), error.problems
        # The file's reader stops at a card's first unreadable field; the check goes on.
        assert set(expected.problems) <= set(error.problems)
        return
    assert checked == expected


def test_an_mcq_card_answering_its_right_choice_is_handed_on_as_it_is():
    card = CardData(guid="m", kind="mcq", prompt="Which?", answer="Lyon",
                    choices=("Paris", "Lyon"), correct=1)
    checked = check_deck(DeckData(title="Deck", cards=[card]), "deck")
    assert checked.cards[0] is card
    assert checked == from_dict(to_dict(DeckData(title="Deck", cards=[card])), "deck")
    # An answer of its own is not kept: the file holds the right choice only.
    other = replace(card, answer="Paris")
    assert check_deck(DeckData(title="Deck", cards=[other]), "deck").cards[0].answer == "Lyon"


def test_tags_found_good_before_do_not_let_a_bad_tag_through():
    good = CardData(guid="g", kind="basic", prompt="Q", answer="A", tags=("fine", "good"))
    assert check_deck(DeckData(title="Deck", cards=[good]), "deck").cards == [good]
    for bad in ("fine two", "x" * 101, "nul\x00", "\ud800"):
        card = replace(good, tags=("fine", bad))
        try:
            check_deck(DeckData(title="Deck", cards=[card]), "deck")
        except DeckFileError as error:
            assert error.problems == [
                "card 1 (guid g): field 'tags' must be a list of words without spaces"]
        else:
            raise AssertionError(f"tag {bad!r} was let through")


def test_many_distinct_tags_are_each_judged():
    # More good tags than are remembered, then bad ones: the memory is bounded and forgets.
    cards = [CardData(guid=f"g{i}", kind="basic", prompt="Q", answer="A", tags=(f"t{i}",))
             for i in range(10_000)]
    assert len(check_deck(DeckData(title="Deck", cards=cards), "deck").cards) == 10_000
    from quizapp import deckfile_check

    assert len(deckfile_check._GOOD_TAGS) <= deckfile_check._MAX_GOOD_TAGS + 1
    bad = [replace(cards[0], tags=("t1 x",))]
    try:
        check_deck(DeckData(title="Deck", cards=bad), "deck")
    except DeckFileError:
        pass
    else:
        raise AssertionError("a tag with a space was let through")


def test_new_card_is_the_card_the_dataclass_makes():
    from dataclasses import FrozenInstanceError, fields

    from quizapp.deckfile import new_card

    values = dict(guid="g", kind="mcq", prompt="Q", answer="B", choices=("A", "B"), correct=1,
                  explanation="E", tags=("t",))
    card = new_card(**values)
    made = CardData(**values)
    assert card == made and hash(card) == hash(made) and repr(card) == repr(made)
    # Every field is set (a field added to CardData must be added to new_card too).
    assert {f.name for f in fields(CardData)} == set(vars(card))
    try:
        card.answer = "A"  # type: ignore[misc]
    except FrozenInstanceError:
        pass
    else:
        raise AssertionError("new_card made a card that can be changed")
