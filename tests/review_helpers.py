"""A generated draft deck in the knowledge contract's shape, made without the generator."""

from __future__ import annotations

from quizapp.deckfile import CardData, DeckData, SourceDoc, SourceRef
from quizapp.extensions import db
from quizapp.models import Deck
from quizapp.services.decks import deck_data_of, store_deck

# Scraped pages: a sentence broken over lines with a space before its full stop, and a
# document stored under a machine-made name without a title of its own.
CLOT_TEXT = (
    "Deep vein thrombosis\n\nDeep vein thrombosis is a clot in a deep vein. "
    "It is usually caused by\nlong periods of  sitting .\nSome pages say that clot buildup "
    "may lead to the deep type , rarely.\n"
)
UNTITLED_TEXT = "Superficial thrombosis affects veins near the skin. Injury may cause it ."
CLOT_NAME, UNTITLED_NAME = "001_5be1c0ffee.txt", "002_849026bb6cd079b3.txt"


def _span(text: str, fragment: str) -> dict:
    start = text.index(fragment)
    return {"source": "001" if text is CLOT_TEXT else "002", "start": start,
            "end": start + len(fragment)}


SITTING = _span(CLOT_TEXT, "It is usually caused by\nlong periods of  sitting .")
BUILDUP = _span(CLOT_TEXT, "Some pages say that clot buildup may lead to the deep type , rarely.")
INJURY = _span(UNTITLED_TEXT, "Injury may cause it .")


def suggestion(suggestion_id: str, statement: str, guid: str, location: dict,
               confidence: float = 0.42, **card) -> dict:
    return {
        "id": suggestion_id,
        "kind": "cause",
        "statement": statement,
        "confidence": confidence,
        "reasons": ["one source only", "stated with 'may'"],
        "locations": [location],
        "cards": [{"guid": guid, "kind": "basic", "prompt": f"What may cause it? ({guid})",
                   "answer": statement.split(" → ")[0], "tags": ["topic::causes"],
                   "sources": [location]} | card],
    }


def knowledge() -> dict:
    return {
        "condition": {"name": "thrombosis"},
        "threshold": 0.6,
        "types": [
            {"id": "deep", "name": "deep vein thrombosis", "aliases": ["DVT"],
             "sources": ["001"], "confidence": 0.91,
             "reversibility": {"value": "yes", "statements": [{"wording": "can be treated"}]}},
            {"id": "superficial", "name": "superficial thrombosis", "sources": ["002"],
             "confidence": 0.64},
        ],
        "causes": [
            {"id": "sitting", "name": "long periods of sitting", "types": ["deep"],
             "status": "agreed", "agreeing_sources": 1, "confidence": 0.77},
        ],
        "conflicts": [
            {"about": "which type injury belongs to", "handling": "taught as disagreement",
             "positions": [{"position": "superficial", "sources": ["002"],
                            "locations": [INJURY]},
                           {"position": "deep", "sources": ["001"], "locations": [SITTING]}]},
        ],
        "symptoms": [{"name": "swelling", "confidence": 0.7}],
        "tests": [],
        "treatments": [],
        "suggestions": [
            suggestion("cause:clot-buildup", "clot buildup → deep type", "sg-buildup", BUILDUP),
            suggestion("cause:injury", "injury → superficial type", "sg-injury", INJURY,
                       confidence=0.35),
        ],
    }


def draft_deck(owner, *, knowledge_object: dict | None = None, published=False) -> Deck:
    data = DeckData(
        title="Thrombosis draft",
        origin="generated",
        cards=[
            CardData(guid="c-sitting", kind="basic", prompt="What usually causes DVT?",
                     answer="Long periods of sitting", tags=("topic::causes",),
                     sources=(SourceRef(**SITTING),)),
            CardData(guid="c-types", kind="mcq", prompt="Which type affects veins near the skin?",
                     choices=("Deep", "Superficial"), correct=1, answer="Superficial",
                     sources=(SourceRef(**INJURY),)),
            CardData(guid="c-count", kind="basic", prompt="How many types are named?",
                     answer="Two"),
        ],
        sources=[SourceDoc(id="001", name=CLOT_NAME, title="Deep vein thrombosis"),
                 SourceDoc(id="002", name=UNTITLED_NAME, title=UNTITLED_NAME)],
        knowledge=knowledge() if knowledge_object is None else knowledge_object,
    )
    report = store_deck(data, owner=owner, publish=published,
                        source_texts={"001": CLOT_TEXT, "002": UNTITLED_TEXT})
    db.session.commit()
    return report.deck


def deck_data_again(deck: Deck) -> DeckData:
    """What regenerating the same documents would store: the generator's cards only."""
    data = deck_data_of(deck)
    data.cards = [c for c in data.cards if not c.guid.startswith("sg-")]
    return data
