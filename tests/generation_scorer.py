"""A strict scorer of generated knowledge against a hand annotation (issue 12).

Pure: it reads the ``knowledge`` dict of ``quizapp.generation.generate_deck(documents)`` and a
gold dict (``tests/generation_corpus/*/gold.json``, ``tests/gold/muscle-atrophy.json``) and
imports nothing from the application, so it judges any extractor the same way.

Names are matched by ``generation_names``: light normalisation only, and a fragment never
matches a longer gold name ("prostate" is not "enlarged prostate"; it counts as a fragment).

Gold format (every key but ``sources`` optional)::

    condition     {"name": str, "aliases": [str]}
    types         {type_id: {"name": str, "aliases": [str], "reversible": "yes"|"no"|None}}
    minor_typology {"axis": str, "types": [str]}   a second axis, never a main type
    subtypes      {subtype: type_id}                 a level below the types, never a main type
    cause_names   {canonical: [alias]}              every typed cause, with accepted spellings
    untyped_causes {canonical: [alias]}             causes the pages state without a type
    not_causes    [str]                             e.g. anatomy from a mechanism sentence
    sources       {file_name: {"types": [type_id], "causes": {type_id: [canonical]}}}
    conflicts     [{"about": "cause-type", "cause": canonical, "positions": {type_id: [file]}}
                   | {"about": "type-count", "positions": {"N types": [file]}}
                   | {"about": "reversibility", "type": type_id,
                      "positions": {"reversible" | "not reversible": [file]}}]
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

from generation_names import NameBook, fragment_reasons, key, raw_words, words


def _source_slug(file_name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", PurePath(file_name).stem).strip("-").lower()


class TypeBook:
    """Gold types; maps a generated type row (id, name, aliases) onto a gold type id.

    The condition's own name may be written around a type name or not ("type 1 diabetes" =
    "type 1"), so it is trimmed from both ends of both sides before comparing."""

    def __init__(self, gold: Mapping[str, Any]):
        condition = gold.get("condition") or {}
        names = [condition.get("name", ""), *condition.get("aliases", [])]
        self.condition_forms = sorted(
            {words(n) for n in names if words(n)}, key=len, reverse=True
        )
        self.condition_keys = {key(n) for n in names if key(n)}
        self.by_core: dict[str, str] = {}
        for type_id, row in gold.get("types", {}).items():
            for form in [type_id, row.get("name", type_id), *row.get("aliases", [])]:
                self.by_core.setdefault(self.core(form), type_id)
        minor = gold.get("minor_typology") or {}
        lesser = [*minor.get("types", []), *gold.get("subtypes", {})]
        self.minor = {self.core(name): name for name in lesser}

    def core(self, name: str) -> str:
        tokens = words(name)
        trimmed = True
        while trimmed:
            trimmed = False
            for form in self.condition_forms:
                if len(tokens) > len(form) and tokens[-len(form) :] == form:
                    tokens, trimmed = tokens[: -len(form)], True
                elif len(tokens) > len(form) and tokens[: len(form)] == form:
                    tokens, trimmed = tokens[len(form) :], True
        return "".join(tokens)

    def match(self, row: Mapping[str, Any]) -> str | None:
        for form in [row.get("name", ""), row.get("id", ""), *row.get("aliases", [])]:
            found = self.by_core.get(self.core(str(form)))
            if found:
                return found
        return None

    def minor_name(self, row: Mapping[str, Any]) -> str | None:
        for form in [row.get("name", ""), row.get("id", ""), *row.get("aliases", [])]:
            found = self.minor.get(self.core(str(form)))
            if found:
                return found
        return None


def precision_recall(found: set, expected: set) -> tuple[float, float]:
    hits = len(found & expected)
    precision = hits / len(found) if found else (1.0 if not expected else 0.0)
    recall = hits / len(expected) if expected else 1.0
    return precision, recall


@dataclass
class Score:
    topic: str
    pair_precision: float
    pair_recall: float
    type_precision: float
    type_recall: float
    pairs_found: int
    pairs_gold: int
    condition_found: bool
    missed_pairs: list[tuple] = field(default_factory=list)
    extra_pairs: list[tuple] = field(default_factory=list)
    missed_types: list[tuple] = field(default_factory=list)
    extra_types: list[tuple] = field(default_factory=list)
    fragments: list[tuple[str, list[str]]] = field(default_factory=list)
    not_causes: list[str] = field(default_factory=list)
    minor_as_main: list[str] = field(default_factory=list)
    duplicate_types: list[tuple[str, list[str]]] = field(default_factory=list)
    reversibility_wrong: list[tuple[str, Any, Any]] = field(default_factory=list)
    conflicts_missed: list[dict] = field(default_factory=list)
    conflicts_gold: int = 0
    conflicts_extra: list[dict] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return (
            min(self.pair_precision, self.pair_recall, self.type_precision, self.type_recall)
            >= 0.9
            and not self.fragments
            and not self.not_causes
            and not self.conflicts_missed
            and not self.minor_as_main
            and not self.duplicate_types
        )

    def details(self) -> str:
        lines = [f"[{self.topic}]"]
        for label, values in (
            ("missed pairs", self.missed_pairs),
            ("extra pairs", self.extra_pairs),
            ("missed types", self.missed_types),
            ("extra types", self.extra_types),
            ("fragment causes", self.fragments),
            ("not causes taken as causes", self.not_causes),
            ("minor types taken as main types", self.minor_as_main),
            ("one gold type split into several", self.duplicate_types),
            ("reversibility (type, found, gold)", self.reversibility_wrong),
            ("conflicts missed", self.conflicts_missed),
            ("conflicts not in the gold (not judged)", self.conflicts_extra),
        ):
            if values:
                lines.append(f"  {label}:")
                lines.extend(f"    {value}" for value in sorted(values, key=str))
        return "\n".join(lines)


def score(
    topic: str,
    gold: Mapping[str, Any],
    knowledge: Mapping[str, Any],
    source_names: Mapping[str, str] | None = None,
) -> Score:
    """Score ``knowledge`` against ``gold``. ``source_names`` maps the knowledge's source ids
    to file names; without it, an id is matched to the gold file whose stem it slugs."""
    if source_names is None:
        source_names = {_source_slug(name): name for name in gold["sources"]}
        source_names.update({name: name for name in gold["sources"]})

    def file_of(source_id: str) -> str:
        return source_names.get(source_id, source_id)

    causes = NameBook(gold.get("cause_names", {}))
    every_cause = NameBook({**gold.get("untyped_causes", {}), **gold.get("cause_names", {})})
    not_causes = NameBook({name: [] for name in gold.get("not_causes", [])})
    types = TypeBook(gold)

    type_of: dict[str, str] = {}
    minor_as_main = []
    found_types = set()
    for row in knowledge.get("types", []):
        matched = types.match(row)
        type_of[row["id"]] = matched or f"unmatched:{row.get('name', row['id'])}"
        minor = types.minor_name(row)
        if minor and not matched:
            minor_as_main.append(f"{row.get('name', row['id'])} ({minor})")
        found_types.update((file_of(s), type_of[row["id"]]) for s in row.get("sources", []))

    rows_per_type: dict[str, list[str]] = {}
    for row in knowledge.get("types", []):
        rows_per_type.setdefault(type_of[row["id"]], []).append(row.get("name", row["id"]))
    duplicate_types = [(t, names) for t, names in rows_per_type.items() if len(names) > 1]

    def cause_of(row: Mapping[str, Any]) -> str:
        for name in [row["name"], *row.get("aliases", [])]:
            found = causes.find(name)
            if found:
                return found
        return "unmatched:" + " ".join(raw_words(row["name"]))

    cause_keys = {}
    found_pairs = set()
    fragments = []
    wrong_causes = []
    for row in knowledge.get("causes", []):
        cause_keys[row["id"]] = cause_of(row)
        for assignment in row.get("assignments", []):
            if assignment.get("type") is not None:
                found_pairs.add(
                    (file_of(assignment["source"]), cause_keys[row["id"]],
                     type_of.get(assignment["type"], f"unmatched:{assignment['type']}"))
                )
        reasons = fragment_reasons(row["name"], every_cause)
        if reasons:
            fragments.append((row["name"], reasons))
        if not_causes.find(row["name"]) is not None:
            wrong_causes.append(row["name"])

    gold_pairs = {
        (source, cause, type_id)
        for source, annotation in gold["sources"].items()
        for type_id, names in annotation.get("causes", {}).items()
        for cause in names
    }
    gold_types = {
        (source, type_id)
        for source, annotation in gold["sources"].items()
        for type_id in annotation.get("types", [])
    }
    pair_precision, pair_recall = precision_recall(found_pairs, gold_pairs)
    type_precision, type_recall = precision_recall(found_types, gold_types)

    reversibility_wrong = []
    by_gold_type = {type_of[row["id"]]: row for row in knowledge.get("types", [])}
    for type_id, expected in gold.get("types", {}).items():
        if "reversible" not in expected:
            continue
        row = by_gold_type.get(type_id)
        value = row.get("reversibility", {}).get("value") if row else "type not found"
        if value != expected["reversible"]:
            reversibility_wrong.append((type_id, value, expected["reversible"]))

    found_conflicts = []
    for conflict in knowledge.get("conflicts", []):
        positions = {
            type_of.get(p["position"], p["position"]): sorted({file_of(s) for s in p["sources"]})
            for p in conflict["positions"]
        }
        kind, _, subject = conflict["id"].partition(":")
        if kind == "cause-type":
            cause = cause_keys.get(subject, subject)
            found_conflicts.append({"about": kind, "cause": cause, "positions": positions})
        elif kind == "reversible":
            found_conflicts.append(
                {"about": "reversibility", "type": type_of.get(subject, subject),
                 "positions": positions}
            )
        else:
            found_conflicts.append({"about": conflict["id"], "positions": positions})
    conflicts_missed = []
    for expected in gold.get("conflicts", []):
        wanted = {**expected, "positions": {t: sorted(f) for t, f in expected["positions"].items()}}
        if wanted not in found_conflicts:
            conflicts_missed.append(wanted)
    gold_conflicts = [
        {**c, "positions": {t: sorted(f) for t, f in c["positions"].items()}}
        for c in gold.get("conflicts", [])
    ]
    conflicts_extra = [c for c in found_conflicts if c not in gold_conflicts]

    condition = gold.get("condition")
    condition_found = True
    if condition:
        written = (knowledge.get("condition") or {}).get("name", "")
        condition_found = key(written) in types.condition_keys

    return Score(
        topic=topic,
        pair_precision=pair_precision,
        pair_recall=pair_recall,
        type_precision=type_precision,
        type_recall=type_recall,
        pairs_found=len(found_pairs),
        pairs_gold=len(gold_pairs),
        condition_found=condition_found,
        missed_pairs=sorted(gold_pairs - found_pairs),
        extra_pairs=sorted(found_pairs - gold_pairs),
        missed_types=sorted(gold_types - found_types),
        extra_types=sorted(found_types - gold_types),
        fragments=fragments,
        not_causes=wrong_causes,
        minor_as_main=minor_as_main,
        duplicate_types=duplicate_types,
        reversibility_wrong=reversibility_wrong,
        conflicts_missed=conflicts_missed,
        conflicts_gold=len(gold.get("conflicts", [])),
        conflicts_extra=conflicts_extra,
    )


def table(scores: Iterable[Score]) -> str:
    """One line per topic: the figures the issue's "Done when" judges."""
    header = (
        f"{'topic':<26} {'pairs P':>7} {'pairs R':>7} {'found/gold':>10} {'types P':>7} "
        f"{'types R':>7} {'dup':>3} {'frag':>4} {'anat':>4} {'confl':>6} {'rev':>4}  ok"
    )
    lines = [header, "-" * len(header)]
    for s in scores:
        conflicts = f"{s.conflicts_gold - len(s.conflicts_missed)}/{s.conflicts_gold}"
        lines.append(
            f"{s.topic:<26} {s.pair_precision:>7.2f} {s.pair_recall:>7.2f} "
            f"{f'{s.pairs_found}/{s.pairs_gold}':>10} {s.type_precision:>7.2f} "
            f"{s.type_recall:>7.2f} {len(s.duplicate_types) + len(s.minor_as_main):>3} "
            f"{len(s.fragments):>4} {len(s.not_causes):>4} "
            f"{conflicts:>6} {len(s.reversibility_wrong):>4}  {'yes' if s.passed else 'NO'}"
        )
    return "\n".join(lines)


CORPUS = Path(__file__).resolve().parent / "generation_corpus"
SEED_GOLD = Path(__file__).resolve().parent / "gold" / "muscle-atrophy.json"
DOCUMENT_SUFFIXES = (".txt", ".md", ".html", ".htm")


def load_topics(seed_folder: Path | None) -> list[tuple[str, list[tuple[str, str]], dict]]:
    """Every corpus topic as ``(name, documents, gold)``; documents are ``(file, text)``.

    A topic is a folder of ``generation_corpus`` holding ``gold.json`` and ``sources/``; the
    seeds (``seed_folder``, judged by ``tests/gold/muscle-atrophy.json``) come first."""
    topics = []
    if seed_folder is not None:
        seeds = [
            (p.name, p.read_text(encoding="utf-8")) for p in sorted(seed_folder.glob("*.txt"))
        ]
        if not seeds:
            raise FileNotFoundError(f"no seed documents in {seed_folder}")
        topics.append(("muscle-atrophy (seeds)", seeds, json.loads(SEED_GOLD.read_text())))
    for folder in sorted(p for p in CORPUS.iterdir() if (p / "gold.json").is_file()):
        documents = [
            (p.name, p.read_text(encoding="utf-8"))
            for p in sorted((folder / "sources").iterdir())
            if p.suffix in DOCUMENT_SUFFIXES
        ]
        topics.append((folder.name, documents, json.loads((folder / "gold.json").read_text())))
    return topics


def knowledge_base(gold: Mapping[str, Any], knowledge: Mapping[str, Any]) -> dict[str, Any]:
    """What a deck would teach, in gold names where they match and normalised words where
    they do not: the types, the cause->type pairs (sources pooled) and each type's
    reversibility. Two readings of the same facts must give equal results."""
    types = TypeBook(gold)
    causes = NameBook(gold.get("cause_names", {}))
    type_of = {}
    for row in knowledge.get("types", []):
        type_of[row["id"]] = types.match(row) or "unmatched:" + types.core(row.get("name", ""))
    pairs = set()
    for row in knowledge.get("causes", []):
        name = next(
            (causes.find(n) for n in [row["name"], *row.get("aliases", [])] if causes.find(n)),
            "unmatched:" + key(row["name"]),
        )
        pairs.update(
            (name, type_of.get(a["type"], a["type"]))
            for a in row.get("assignments", [])
            if a.get("type") is not None
        )
    return {
        "types": sorted(type_of.values()),
        "pairs": sorted(pairs),
        "reversibility": {
            type_of[row["id"]]: row.get("reversibility", {}).get("value")
            for row in knowledge.get("types", [])
        },
    }
