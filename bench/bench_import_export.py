"""Import and export: a 10,000-card deck through ``.apkg``, beside genanki and Anki.

Export: ``quizapp.formats.apkg_export.build_apkg`` (fields, stable ids, content-time stamps,
zip) writing the package to disk, beside genanki alone writing the same notes (same note
types, fields, tags and guids, computed beforehand) with ``Package.write_to_file``.
Target: build_apkg's overhead over genanki <= 25 %.

Import: ``quizapp.formats.detect.read_upload`` on that package (read, detect, unpack, parse,
sanitize every field, check the deck), beside the official ``anki`` library importing the same
file into a fresh collection (``col.import_anki_package``; the collection is created before
the clock starts, closing it is timed). Target: read_upload no slower than Anki. The two do
not do the same work: Anki also writes the notes and cards into its collection and syncs
them to disk (``read_upload`` stores nothing: the app writes the deck to its database in a
later step, not timed here), while Anki sanitizes nothing and checks less. Both read the same
file from disk in a fresh process.

Every side runs in fresh subprocesses (so one cannot warm or bloat another), in alternating
order, several timed runs per process; the median wall-clock time is judged, and the median
CPU time of the process (every thread: Anki's backend is Rust) is printed beside it, the
steadier figure on a shared machine. Memory: the process's peak RSS
(``resource.getrusage``) and its growth over the RSS just before the operation, plus the
Python-heap peak from ``tracemalloc`` in a separate run (it cannot see SQLite's or Anki's
native allocations, so it is printed for the quizapp and genanki sides only).

    .venv/bin/python bench/bench_import_export.py [--cards 10000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import html
import io
import itertools
import json
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import tracemalloc
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as common

from quizapp.deckfile import CardData, DeckData, SourceDoc, SourceRef

EXPORT_OVERHEAD = 0.25
OPERATIONS = ("export-quizapp", "export-genanki", "export-genanki-mem", "import-quizapp",
              "import-anki")


def make_deck(cards: int) -> DeckData:
    """A deterministic deck mixing every card kind, with tags, sources and some markup."""
    sources = [SourceDoc(id=f"s{i}", name=f"chapter-{i}.md", title=f"Chapter {i}")
               for i in range(20)]
    out = []
    for i in range(cards):
        kind = ("basic", "basic", "mcq", "reversed", "typein", "cloze", "basic", "mcq",
                "basic", "reversed")[i % 10]
        refs = (SourceRef(source=f"s{i % 20}", start=i % 500, end=i % 500 + 40),)
        tags = (f"topic{i % 37}", f"unit {i % 5}")
        common_fields = {"guid": f"bench-{i:06d}", "kind": kind, "tags": tags,
                         "sources": refs,
                         "explanation": f"Because rule <b>{i % 97}</b> applies here."}
        if kind == "mcq":
            choices = tuple(f"Option {c} for item {i}" for c in "ABCD")
            card = CardData(prompt=f"<p>Which option fits item {i}?</p>", choices=choices,
                            correct=i % 4, answer=choices[i % 4], **common_fields)
        elif kind == "cloze":
            card = CardData(prompt=f"The {{{{c1::capital}}}} of region {i} is "
                                   f"{{{{c2::City {i}}}}}.", answer="", **common_fields)
        else:
            card = CardData(prompt=f"What is the term number {i}? <i>(unit {i % 5})</i>",
                            answer=f"Term {i}: a <b>definition</b> of item {i}",
                            **common_fields)
        out.append(card)
    return DeckData(title="Bench ten thousand", description="A deck for the benchmark & co.",
                    cards=out, sources=sources)


# --------------------------------------------------------------------------- operations


def op_export_quizapp(deck: DeckData, workdir: Path):
    from quizapp.formats.apkg_export import build_apkg

    def run():
        data = build_apkg(deck, deck_key="bench", exported_at=1_700_000_000)
        (workdir / "quizapp.apkg").write_bytes(data)

    return run


def _genanki_deck_builder(deck: DeckData):
    """A function building the genanki deck of the same note types, fields, tags and guids as
    build_apkg writes; everything but the genanki calls is computed beforehand."""
    import genanki

    from quizapp.formats.apkg_export import (
        anki_tag,
        note_fields,
        note_models,
        source_labels,
        stable_id,
    )

    models = note_models()
    labels = source_labels(deck)
    notes = [(card.kind, note_fields(card, labels), [anki_tag(t) for t in card.tags],
              card.guid) for card in deck.cards]

    def build():
        anki_deck = genanki.Deck(stable_id("quizapp.deck:bench"), deck.title,
                                 html.escape(deck.description))
        for kind, fields, tags, guid in notes:
            anki_deck.add_note(genanki.Note(model=models[kind], fields=fields, tags=tags,
                                            guid=guid))
        return anki_deck

    return build


def op_export_genanki(deck: DeckData, workdir: Path):
    import genanki

    build = _genanki_deck_builder(deck)

    def run():
        genanki.Package(build()).write_to_file(str(workdir / "genanki.apkg"))

    return run


def op_export_genanki_mem(deck: DeckData, workdir: Path):
    """genanki into an in-memory SQLite, zipped with deflate: build_apkg's own storage path."""
    import genanki

    build = _genanki_deck_builder(deck)

    def run():
        anki_deck = build()
        connection = sqlite3.connect(":memory:")
        stamp = 1_700_000_000
        genanki.Package(anki_deck).write_to_db(connection.cursor(), stamp,
                                               itertools.count(stamp * 1000))
        connection.commit()
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("collection.anki2", connection.serialize())
            archive.writestr("media", "{}")
        connection.close()
        (workdir / "genanki-mem.apkg").write_bytes(buffer.getvalue())

    return run


def op_import_quizapp(deck: DeckData, workdir: Path):
    from quizapp.formats.detect import read_upload

    package = workdir / "quizapp.apkg"

    def run():
        result = read_upload(package.name, package.read_bytes())
        assert sum(len(d.cards) for d in result.decks) == len(deck.cards), result.warnings[:3]

    return run


def op_import_anki(deck: DeckData, workdir: Path):
    from anki.collection import (
        Collection,
        ImportAnkiPackageOptions,
        ImportAnkiPackageRequest,
    )

    target = Path(tempfile.mkdtemp(dir=workdir))
    col = Collection(str(target / "collection.anki2"))
    package = workdir / "quizapp.apkg"

    def run():
        col.import_anki_package(ImportAnkiPackageRequest(
            package_path=str(package),
            options=ImportAnkiPackageOptions(with_scheduling=False),
        ))
        assert col.note_count() == len(deck.cards), col.note_count()
        col.close()

    return run


BUILDERS = {
    "export-quizapp": op_export_quizapp,
    "export-genanki": op_export_genanki,
    "export-genanki-mem": op_export_genanki_mem,
    "import-quizapp": op_import_quizapp,
    "import-anki": op_import_anki,
}


def _rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def child(operation: str, cards: int, workdir: Path, trace: bool, inner: int) -> dict:
    """Run ``operation`` ``inner`` times (set-up untimed); memory from the first run."""
    deck = make_deck(cards)
    times = []
    cpu = []
    memory: dict = {}
    for index in range(1 if trace else inner):
        run = BUILDERS[operation](deck, workdir)
        before = _rss_mb()
        if trace:
            tracemalloc.start()
        started, started_cpu = time.perf_counter(), time.process_time()
        run()
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
        if index == 0:
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
            memory = {"peak_rss": peak, "growth": peak - before,
                      "traced": tracemalloc.get_traced_memory()[1] / 2**20 if trace else None}
    return {"times": times, "cpu": cpu, **memory}


def spawn(operation: str, cards: int, workdir: Path, trace: bool = False,
          inner: int = 1) -> dict:
    command = [sys.executable, __file__, "--child", operation, "--cards", str(cards),
               "--workdir", str(workdir), "--inner", str(inner)] + (["--trace"] if trace else [])
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{operation} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def compression_levels(package: Path, levels=range(1, 10)) -> str:
    """How long zipping the package's collection takes and how large it comes out at each
    deflate level: the measurement behind ``ZIP_COMPRESSION_LEVEL``."""
    from quizapp.formats.apkg_export import ZIP_COMPRESSION_LEVEL

    with zipfile.ZipFile(package) as archive:
        collection = archive.read("collection.anki2")
    rows = []
    for level in levels:
        times = []
        for _ in range(3):
            buffer = io.BytesIO()
            started = time.process_time()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as out:
                out.writestr("collection.anki2", collection)
            times.append(time.process_time() - started)
        chosen = "chosen" if level == ZIP_COMPRESSION_LEVEL else ""
        rows.append((level, min(times) * 1000, len(buffer.getvalue()) / 2**20, chosen))
    return common.table(["deflate level", "zip CPU ms", "zipped MB", ""], rows,
                        f"zipping the {len(collection) / 2**20:.2f} MB collection")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cards", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", choices=OPERATIONS)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--trace", action="store_true")
    parser.add_argument("--inner", type=int, default=4, help="timed runs per process")
    parser.add_argument("--heap-trace", action=argparse.BooleanOptionalAction, default=True,
                        help="the Python-heap peaks (four more processes; off in the smoke run)")
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.cards, args.workdir, args.trace, args.inner)))
        return 0

    print(f"Import and export: a {args.cards:,}-card deck as .apkg")
    print(common.machine_line())
    results: dict[str, list[dict]] = {op: [] for op in OPERATIONS}
    traced: dict[str, float | None] = {}
    with common.temp_dir("apkg") as workdir:
        spawn("export-quizapp", args.cards, workdir)  # the package both importers read
        size = (workdir / "quizapp.apkg").stat().st_size
        for repeat in range(args.repeats):
            for pair in (OPERATIONS[:3], OPERATIONS[3:]):
                for operation in (pair if repeat % 2 == 0 else tuple(reversed(pair))):
                    results[operation].append(
                        spawn(operation, args.cards, workdir, inner=args.inner))
        for operation in ("export-quizapp", "export-genanki", "export-genanki-mem",
                          "import-quizapp") if args.heap_trace else ():
            traced[operation] = spawn(operation, args.cards, workdir, trace=True)["traced"]
        genanki_size = (workdir / "genanki.apkg").stat().st_size
        levels = compression_levels(workdir / "quizapp.apkg")

    samples = {op: [t for r in results[op] for t in r["times"]] for op in OPERATIONS}
    medians = {op: common.median(samples[op]) for op in OPERATIONS}
    cpu = {op: common.median([t for r in results[op] for t in r["cpu"]]) for op in OPERATIONS}
    # Judged against the faster genanki baseline: the stricter comparison.
    baseline = min(medians["export-genanki"], medians["export-genanki-mem"])
    overhead = medians["export-quizapp"] / baseline - 1
    import_ratio = medians["import-quizapp"] / medians["import-anki"]
    cpu_ratio = cpu["import-quizapp"] / cpu["import-anki"]
    cpu_overhead = cpu["export-quizapp"] / min(cpu["export-genanki"], cpu["export-genanki-mem"]) - 1
    export_ok = overhead <= EXPORT_OVERHEAD
    import_ok = import_ratio <= 1.0
    labels = {
        "export-quizapp": ("export", "quizapp build_apkg + write",
                           f"{overhead:+.0%} vs faster genanki (CPU {cpu_overhead:+.0%})",
                           common.verdict(export_ok)),
        "export-genanki": ("export", "genanki write_to_file (same notes)", "", ""),
        "export-genanki-mem": ("export", "genanki write_to_db :memory: + deflate", "", ""),
        "import-quizapp": ("import", "quizapp read_upload",
                           f"{import_ratio:.2f}x anki (CPU {cpu_ratio:.2f}x)",
                           common.verdict(import_ok)),
        "import-anki": ("import", "anki import_anki_package", "", ""),
    }
    rows = []
    for operation in OPERATIONS:
        direction, name, versus, verdict = labels[operation]
        times = samples[operation]
        rows.append((
            direction, name, medians[operation], min(times), max(times), cpu[operation],
            max(r["peak_rss"] for r in results[operation]),
            max(r["growth"] for r in results[operation]),
            traced.get(operation) if traced.get(operation) is not None else "-",
            versus, verdict,
        ))
    print()
    print(common.table(
        ["", "side", "median s", "min s", "max s", "median CPU s", "peak RSS MB", "RSS growth MB",
         "py heap peak MB", "comparison", "target"],
        rows, f"{args.repeats} processes x {args.inner} timed runs each, alternating order",
    ))
    print(f"\npackage sizes: quizapp {size / 2**20:.2f} MB, genanki {genanki_size / 2**20:.2f} MB")
    print()
    print(levels)
    print(f"targets: export overhead <= {EXPORT_OVERHEAD:.0%}; import no slower than anki")
    ok = export_ok and import_ok
    print(f"\nimport and export: target {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
