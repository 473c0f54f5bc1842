"""Names in lists and clauses: split enumerations and clean their entries.

``expand_entries`` turns the text of a list (or of a clause after "include", "such as",
"caused by") into entries, sharing a coordinated head ("cancer of the A, B or C" is three
cancers) and keeping coordination inside one name ("bleeding in the stomach or gut").
The quality gate every cause name then passes is ``gate.fragment_reason``.
"""

from __future__ import annotations

import re

from quizapp.generation.text import STOP_WORDS, acronym_matches, fold, is_acronym, word_set

MAX_NAME_WORDS = 7
# Nouns and modifiers that name no particular thing ("other conditions", "various reasons").
GENERIC_WORDS = word_set(
    """condition conditions disease diseases disorder disorders problem problems reason
    reasons ailment ailments issue issues illness illnesses cause causes thing things factor
    factors medical health number variety various certain serious many some underlying other
    others type types kind kinds form forms something anything way ways a an the of tests
    test treatments treatment symptoms symptom signs sign options option things cases case
    people person patients risk risks examples example more less factors following"""
)
LIGHT_VERBS = word_set(
    "have has are is be being get gets lead leads live lives suffer taking having getting using"
)
# Light verbs that are also nouns ("lead exposure"): stripped only before a determiner.
NOUN_LIKE_VERBS = word_set("lead leads live lives get gets")
# Nouns naming a kind of thing, whose examples ("such as ...") are the names to keep.
CATEGORY_NOUNS = word_set(
    """disease diseases disorder disorders condition conditions syndrome syndromes infection
    infections illness illnesses problem problems damage injury injuries ailment ailments
    things factors causes reasons blockage blockages obstruction medicines medicine drugs
    drug medications medication"""
)
DETERMINERS = word_set("a an the your their his her its some certain serious any")


def split_list(text: str) -> list[str]:
    """Split "a, b (x, y), or c" at top-level commas and conjunctions.

    Coordination inside one member stays in it: "bleeding in the stomach or gut", the
    examples after "such as" ("NSAIDs such as ibuprofen or naproxen"), and a nested list
    after the closing conjunction ("..., and cancer of the bladder, prostate or cervix" is
    three cancers).
    """
    text = re.sub(
        r",?\s*\b(?:in some cases|at times|very rarely|rarely|sometimes|often),\s*", " ", text
    )
    text = re.sub(r"\b(and|or),", r"\1", text)
    pieces: list[tuple[str, str]] = []  # (separator before, part)
    separator_before = ""
    depth = 0
    current = ""
    index = 0
    while index < len(text):
        char = text[index]
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        if depth == 0:
            rest = text[index:]
            separator = re.match(r",\s*(?:(?:and/or|and|or)\s+)?|\s+(?:and/or|and|or)\s+", rest)
            if (
                separator
                and not re.search(r"\b(?:little|few)$", current, re.IGNORECASE)
                and not (not rest.startswith(",") and _inside_phrase(current, rest))
                and not (not rest.startswith(",") and _inside_relative_clause(current, rest))
                and not (
                    not rest.startswith(",")
                    and re.search(r"\b(?:such as|like|including)\b", current)
                    and len(re.sub(r"^\s+\S+\s+", "", rest).split(",")[0].split()) <= 4
                )
            ):
                pieces.append((separator_before, current))
                separator_before = "conj" if re.search(r"and|or", separator.group(0)) else ","
                current = ""
                index += separator.end()
                continue
        current += char
        index += 1
    pieces.append((separator_before, current))
    parts = _nested_after_closing(pieces)
    return [p.strip(" .;:-") for p in _without_afterthoughts(parts, text) if p.strip(" .;:-")]


def _nested_after_closing(pieces: list[tuple[str, str]]) -> list[str]:
    """ "A, B and cancer of the C, D or E": after the list's closing conjunction, a member
    "X of (the) C" followed by one-word members and a second conjunction shares its head."""
    parts = [part for _, part in pieces]
    for position, (separator, part) in enumerate(pieces):
        head = re.match(r"^(.+? of (?:the )?)(\S+)$", part.strip())
        rest = pieces[position + 1 :]
        if (
            separator == "conj"
            and head
            and len(rest) >= 1
            and rest[-1][0] == "conj"
            and all(len(p.split()) <= 2 for _, p in rest)
        ):
            return parts[:position] + [part] + [head.group(1) + p.strip() for _, p in rest]
    return parts


def _without_afterthoughts(parts: list[str], text: str) -> list[str]:
    """Drop a part after the list's closing conjunction that describes the last member
    ("A or B (AVM), a tangle of weak vessels"): English puts "and"/"or" before the last
    member, so what follows it is an apposition. A repeated preposition goes too ("or by")."""
    cleaned = [re.sub(r"^\s*(?:by|from|with)\s+", "", p) if i else p for i, p in enumerate(parts)]
    closing = [m.start() for m in re.finditer(r"\s(?:and|or)\s", text)]
    if not closing or len(cleaned) < 3:
        return cleaned
    last = cleaned[-1].strip()
    if re.match(r"(?:an?|the)\s", last) and re.search(r"\b(?:that|which|who)\b", last):
        tail_start = text.rfind(last)
        if tail_start > closing[-1]:
            return cleaned[:-1]
    return cleaned


def _inside_relative_clause(before: str, rest: str) -> bool:
    """ "an iris that bulges forward and blocks drainage": a second verb of a relative
    clause, not a second member."""
    after = re.sub(r"^\s+(?:and/or|and|or)\s+", "", rest)
    return bool(
        re.search(r"\b(?:that|which|who)\s+\w+(?:s|ed)\b", before)
        and re.match(r"[a-z]+(?:s|ed)\s+(?!and\b|or\b)", after)
        and not re.match(r"[a-z]+ss\b", after)
    )


def _inside_phrase(before: str, rest: str) -> bool:
    """ "bleeding in the stomach or gut": a conjunction joining the objects of a preposition
    (the part after it is one or two words) joins words inside one name."""
    after = re.sub(r"^\s+(?:and/or|and|or)\s+", "", rest)
    after = re.split(r",|\s(?:and|or)\s", after)[0].strip(" .;:")
    return bool(
        re.search(r"\b(?:in|of|on|to|from|with|at|for|without|lacking)\b(?:\s+\S+){1,3}$", before)
    ) and (1 <= len(after.split()) <= 2)


def expand_entries(text: str, verb_phrase: bool = False) -> list[tuple[str, tuple[str, ...]]]:
    """Turn a list's text into (name, aliases) entries, expanding "such as" and "due to".

    ``verb_phrase`` says the text begins with a verb ("Have ...", "Sit at ...") because the
    list answers "people who:" or "if you:".
    """
    link = re.search(r"\s+\b(caused by|due to|because of|from)\s+", text)
    if (
        link
        and link.group(1) == "from"
        and (
            not re.search(r",|\band\b|\bor\b", text[link.end() :])
            or len(text[: link.start()].split()) > 3
            or re.search(r"\b(?:that|which|who)\b", text[: link.start()])
        )
    ):
        link = None  # "a gene inherited from both parents" is one name
    if link and "," not in text[: link.start()]:
        head = text[: link.start()]
        members = expand_entries(text[link.end() :])
        first = head.split()[0].lower() if head.split() else ""
        starts_with_verb = verb_phrase or first in LIGHT_VERBS or _is_negated_verb(head)
        if starts_with_verb or is_generic(head):
            return members
        if link.group(1) in ("caused by", "from"):
            if link.group(1) == "from" and "," not in text[link.end() :]:
                return [clean] if (clean := clean_entry(text, verb_phrase)) else []
            if len(head.split()) <= 2:
                return [(f"{display_case(head)} from {name}", aliases) for name, aliases in members]
            return members
        return (expand_entries(head) if len(head.split()) <= 3 else []) + members
    entries: list[tuple[str, tuple[str, ...]]] = []
    shared = share_coordinated_head(text.strip(" .;:"))
    for position, part in enumerate(shared or split_list(text)):
        such_as = re.match(r"(?:such as|like|including|e\.g\.,?)\s+(.+)$", part)
        if such_as:
            if entries and _is_category(entries[-1][0]):
                entries.pop()
            entries.extend(expand_entries(such_as.group(1)))
            continue
        inner = re.search(r"\b(?:such as|like)\s+(.+)$", part)
        if inner:
            kind = part[: inner.start()].strip(" ,")
            kind_entry = clean_entry(kind, verb_phrase and position == 0)
            if kind_entry is None or _is_category(kind):
                entries.extend(expand_entries(inner.group(1)))
            else:
                entries.append(kind_entry)  # "NSAIDs such as ibuprofen": the class is the cause
            continue
        if re.match(r"other\b", part, re.IGNORECASE):
            break  # "..., or other conditions that ..." closes the enumeration
        examples = re.search(r"\(([^()]*,[^()]*)\)", part)
        if examples and _names_examples(examples.group(1)):
            # "chronic blood loss (heavy periods, bleeding from the gut)": examples named too
            entries.extend(expand_entries(examples.group(1)))
            part = part[: examples.start()] + part[examples.end() :]
        called = re.match(r"^(?:an? |the )?(?:[\w-]+ ){1,3}(?:called|known as|named) (.+)$", part)
        if called:
            part = called.group(1)  # "an autoimmune condition called pernicious anemia"
        entry = clean_entry(part, verb_phrase and position == 0)
        if entry is None:
            continue
        if entries and _names_same_thing(entries[-1][0], entry[0]):
            name, aliases = entries[-1]
            entries[-1] = (name, (*aliases, entry[0], *entry[1]))
        else:
            entries.append(entry)
    return entries


def _names_examples(inside: str) -> bool:
    """Whether a parenthesis lists examples ("heavy periods, bleeding from the gut") rather
    than an abbreviation, another name or a description with verbs of its own."""
    items = [item.strip() for item in re.split(r",|\bor\b|\band\b", inside) if item.strip()]
    return (
        len(items) >= 2
        and not any(is_acronym(item) for item in items)
        and all(len(item.split()) <= 4 for item in items)
        and not re.search(r";|\b(?:that|which|who|also|known|is|are|causing|affects?)\b", inside)
    )


def _is_category(text: str) -> bool:
    """Whether a phrase names a kind of thing whose examples are the real names
    ("a genetic disorder", "infections", "damage to a single nerve")."""
    words = re.findall(r"[a-z]+", fold(text))
    return bool(words) and (
        is_generic(text) or bool(set(words) & CATEGORY_NOUNS) or words[-1] in CATEGORY_NOUNS
    )


def _names_same_thing(full: str, short: str) -> bool:
    """ "X or ACRONYM" and "poliomyelitis or polio" name one thing twice."""
    if is_acronym(short):
        return acronym_matches(short, full)
    return len(short) >= 4 and fold(full).startswith(fold(short)) and " " not in short


def _is_negated_verb(text: str) -> bool:
    return bool(re.match(r"(?:can['’]?t|cannot|don['’]?t|do not|does not)\b", text, re.I))


def _gerund(verb: str) -> str:
    verb = verb.lower()
    if verb.endswith("ie"):
        return verb[:-2] + "ying"
    if verb.endswith("e") and not verb.endswith(("ee", "ye")):
        return verb[:-1] + "ing"
    if re.fullmatch(r"[^aeiou]*[aeiou][bdgmnpt]", verb):
        return verb + verb[-1] + "ing"
    return verb + "ing"


def clean_entry(text: str, verb_phrase: bool) -> tuple[str, tuple[str, ...]] | None:
    """A list entry as a display name plus the aliases given in its parentheses."""
    text = text.strip(" .;:,-–—")
    if not text or text.endswith("?") or "..." in text or "…" in text:
        return None
    aliases: list[str] = []
    inside = re.match(r"^(.+?)\s*\(([A-Z]{2,})\)\s+(\S.*)$", text)
    if inside:
        aliases.append(f"{inside.group(2)} {inside.group(3)}")

    def parenthesis(match: re.Match[str]) -> str:
        inner = match.group(1).strip()
        if re.fullmatch(r"[A-Za-z][\w-]+", inner):
            aliases.append(inner)
            return " "
        for position, piece in enumerate(re.split(r"[;,]\s*", inner)):
            piece = piece.strip()
            alias = re.match(r"(?:or|also known as|also called|aka)\s+(.+)$", piece)
            if alias:
                aliases.append(alias.group(1).strip())
            elif position == 0 and is_acronym(piece):
                aliases.append(piece)
        return " "

    text = re.sub(r"\s*\(([^()]*)\)\s*", parenthesis, text).strip()
    tokens = text.split()
    if not tokens:
        return None
    negation = re.match(
        r"(?:don['’]?t|do not|can['’]?t|cannot|does not)\s+(\w+)\s*(.*)$", text, re.I
    )
    if negation:
        tokens = ["not", _gerund(negation.group(1)), *negation.group(2).split()]
    elif tokens[0].lower() in LIGHT_VERBS and (
        verb_phrase
        or tokens[0].lower() not in NOUN_LIKE_VERBS
        or (len(tokens) > 1 and tokens[1].lower() in DETERMINERS | {"on", "in", "at"})
    ):
        tokens = tokens[1:]
        if tokens and tokens[0].lower() == "on":
            tokens = tokens[1:]
    elif (
        verb_phrase
        and tokens[0].lower() not in DETERMINERS
        and not tokens[0].lower().endswith("ing")
    ):
        tokens = [_gerund(tokens[0]), *tokens[1:]]
    while tokens and tokens[0].lower() in DETERMINERS:
        tokens = tokens[1:]
    text = " ".join(tokens)
    text = re.sub(
        r"\s+(?:for an extended period|for extended periods|for a long time|for long periods"
        r"|all day|of time|as well|too)$",
        "",
        text,
    )
    if len(text.split()) > MAX_NAME_WORDS:
        # "an autoimmune reaction that destroys the cells ...": the name before its clause.
        text = re.split(r",?\s+(?:that|which|who|whose|where|when)\s+", text)[0]
    while len(text.split()) > MAX_NAME_WORDS:
        # "buildup of fatty plaque inside the artery wall": the name, without where it is
        places = list(
            re.finditer(r"\s(?:inside|in|within|on|at|around|during|after|over)\s", text)
        )
        if not places:
            break
        text = text[: places[-1].start()]
        text = re.sub(r"\s+\w+ed$", "", text)  # "contrast dye used [in scans]"
    if not text or is_generic(text):
        return None
    return display_case(text), tuple(display_case(a) for a in aliases if a)


def is_generic(text: str) -> bool:
    tokens = [t for t in re.findall(r"[a-z][\w'-]*", fold(text))]
    if not tokens or tokens[0] == "other":
        return True
    return all(t in GENERIC_WORDS or t in STOP_WORDS for t in tokens)


def display_case(text: str) -> str:
    """Lower-case a sentence-initial capital unless the word is a name or acronym."""
    tokens = text.split()
    if not tokens:
        return text
    first = tokens[0]
    second = tokens[1] if len(tokens) > 1 else ""
    keep = (
        is_acronym(first.strip("(),"))
        or re.search(r"-[A-Z]", first)
        or (second[:1].isupper() and not is_acronym(second))
        or any(c.isupper() for c in first[1:])
        or re.search(r"['’]s$", first)
    )
    if not keep and first[:1].isupper():
        tokens[0] = first[0].lower() + first[1:]
    return " ".join(tokens).replace("’", "'")


def share_coordinated_head(text: str) -> list[str] | None:
    """ "cancer of the A, B or C" -> three names; "injury or disease of the nerves" -> two;
    "fragrances in perfumes, cosmetics and lotions" -> one."""
    text = re.sub(r"^(?:an?|the)\s+", "", text)
    leading = re.match(r"^(\w[\w-]*(?: \w[\w-]*)? (of|in|from) (?:the )?)(.+)$", text)
    if leading:
        parts = split_list(leading.group(3))
        if leading.group(2) == "of" and len(parts) >= 2 and all(len(p.split()) <= 2 for p in parts):
            return [leading.group(1) + p for p in parts]
        # "fragrances in perfumes, cosmetics and moisturizers": a list of where it is found
        # (but "bleeding in the stomach or gut" is one name)
        if len(parts) >= 3 and all(len(p.split()) <= 2 for p in parts):
            return [text[: text.index(f" {leading.group(2)} ")]]
    trailing = re.match(r"^(\S+ or \S+)( of (?:the |your )?\w[\w-]*(?: \w[\w-]*)?)$", text)
    if trailing:  # alternatives of one head ("injury or disease of X"), never "A and B of X"
        parts = split_list(trailing.group(1))
        if len(parts) >= 2 and all(len(p.split()) == 1 for p in parts):
            return [p + trailing.group(2) for p in parts]
    return None
