"""The generator tells a progress bar how far it has got: facts per document, then cards."""

from conftest import SEEDS

from quizapp.generation import generate_deck


def test_progress_counts_documents_and_facts_then_cards():
    documents = [(p.name, p.read_text(encoding="utf-8")) for p in sorted(SEEDS.glob("*.txt"))]
    heard: list[dict] = []
    deck = generate_deck(documents, progress=lambda **counts: heard.append(counts))
    read = [h for h in heard if "documents_read" in h]
    assert [h["documents_read"] for h in read] == list(range(1, len(documents) + 1))
    facts = [h["facts"] for h in read]
    assert facts == sorted(facts) and facts[-1] > facts[0] > 0
    assert heard[-1] == {"cards": len(deck.cards)}


def test_progress_is_optional_and_changes_nothing():
    documents = [(p.name, p.read_text(encoding="utf-8")) for p in sorted(SEEDS.glob("*.txt"))]
    assert generate_deck(documents) == generate_deck(documents, progress=lambda **_: None)
