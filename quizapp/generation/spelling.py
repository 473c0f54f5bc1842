"""Names one source writes with a slip, corrected to the spelling another source writes.

A name of several words, written so in its source, is corrected to a phrase another source
writes that differs in one word, when that word looks like a slip ("best rest" for "bed
rest": typed with letters of the neighbouring word), or is one edit away and the other
spelling is written by more sources than the name is.
"""

from __future__ import annotations

import re
from collections import defaultdict
from itertools import accumulate

from quizapp.generation.extract import DocumentFacts, Mention
from quizapp.generation.names import MAX_NAME_WORDS
from quizapp.generation.text import STOP_WORDS, fold
from quizapp.textutil import within_one_edit

# Words shorter than this differ by one letter too often on purpose ("pain" and "paint").
MIN_SLIP_WORD = 5
# Letters a slip copies from the neighbouring word ("best rest": "st" from "rest").
MIN_COPIED_LETTERS = 2
# A phrase that more different words complete than this is a pattern of the text ("X rest"
# for many X), not one name spelt two ways; its names are not respelled.
MAX_FRAME_FILLERS = 12
# A name of so many words with the word at a position left out: (length, position, others).
Frame = tuple[int, int, tuple[str, ...]]
TOKEN_RE = re.compile(r"[a-z0-9]+(?:['-][a-z0-9]+)*")


def _looks_like_slip(words: list[str], position: int, intended: str) -> bool:
    """Whether ``words[position]`` is ``intended`` typed with letters of a neighbouring word.

    Typing ahead overwrites the end of a word with the end of the next one ("best rest" for
    "bed rest"); typing behind overwrites its start with the start of the previous one.
    """
    typed = words[position]
    if typed == intended:
        return False
    following = words[position + 1] if position + 1 < len(words) else ""
    preceding = words[position - 1] if position > 0 else ""
    for kept in range(1, len(typed) - MIN_COPIED_LETTERS + 1):
        copied_end = typed[kept:]
        if typed[:kept] == intended[:kept] and following.endswith(copied_end):
            return intended[kept:] != copied_end
        copied_start = typed[:-kept]
        if typed[-kept:] == intended[-kept:] and preceding.startswith(copied_start):
            return intended[:-kept] != copied_start
    return False


def source_words(facts: list[DocumentFacts]) -> dict[str, list[str]]:
    """Each source's words as written, folded, in order."""
    return {document.source: TOKEN_RE.findall(fold(document.text)) for document in facts}


def attested_spellings(
    mentions: list[Mention], words_by_source: dict[str, list[str]]
) -> dict[str, str]:
    """Corrections for names that only one source uses and that look like a slip.

    A name of several words, written so in its source, is corrected to a phrase another
    source writes that differs in one word, when that word looks like a slip
    (``_looks_like_slip``), or is one edit away and the other spelling is written by more
    sources than the name is.
    """
    sources_of: dict[str, set[str]] = defaultdict(set)
    for mention in mentions:
        sources_of[mention.name].add(mention.location.source)
    candidates: dict[Frame, list[tuple[str, list[str]]]] = defaultdict(list)
    wanted: set[str] = set()
    for name, sources in sorted(sources_of.items()):
        words = fold(name).split()
        if len(sources) != 1 or not 2 <= len(words) <= MAX_NAME_WORDS:
            continue
        if len(name.split()) != len(words) or not all(TOKEN_RE.fullmatch(w) for w in words):
            continue  # a correction replaces a word of the name as it is displayed
        wanted.update(words)
        for position, word in enumerate(words):
            if word in STOP_WORDS:
                continue
            others = (len(words), position, (*words[:position], *words[position + 1 :]))
            candidates[others].append((name, words))
    # For each candidate's frame (the name with one word left out), the words the sources
    # write in the gap and which sources write each.
    fillers: dict[Frame, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    lengths = sorted({key[0] for key in candidates})
    for source, tokens in sorted(words_by_source.items()):
        known = [token in wanted for token in tokens]
        # unknown_before[i]: how many of the first i tokens no candidate has, so a window's
        # count is one subtraction and most windows are passed over without a look inside.
        unknown_before = [0, *accumulate(not is_known for is_known in known)]
        for size in lengths:
            for start in range(len(tokens) - size + 1):
                if unknown_before[start + size] - unknown_before[start] > 1:
                    continue  # a phrase differing from every candidate in two words or more
                unknown = [i for i in range(size) if not known[start + i]]
                window = tokens[start : start + size]
                for position in unknown or range(size):
                    frame = (size, position, (*window[:position], *window[position + 1 :]))
                    if frame in candidates:
                        fillers[frame][window[position]].add(source)
    corrections: dict[str, tuple[int, str]] = {}
    for frame, names in sorted(candidates.items()):
        written = fillers.get(frame, {})
        if len(written) > MAX_FRAME_FILLERS:
            continue
        position = frame[1]
        for name, words in names:
            typed = words[position]
            own = written.get(typed, set())
            for word, sources in sorted(written.items()):
                if word == typed or not own or not sources - sources_of[name]:
                    continue
                slip = _looks_like_slip(words, position, word)
                misspelt = (
                    min(len(word), len(typed)) >= MIN_SLIP_WORD
                    and within_one_edit(word, typed)
                    and len(sources) > len(own)
                )
                best = corrections.get(name)
                if (slip or misspelt) and (best is None or len(sources) > best[0]):
                    display = name.split()
                    capital = display[position][:1].isupper()
                    display[position] = word.capitalize() if capital else word
                    corrections[name] = (len(sources), " ".join(display))
    return {name: spelling for name, (_, spelling) in corrections.items()}
