"""Main-content extraction for saved web pages: quizapp's own HTML reader against trafilatura.

Measurement behind the choice in issue 13 (not part of ``make bench``: trafilatura is not a
dependency). Each page wraps one clean source (the seeds and the test fixture) in clutter a
saved page carries: navigation, a cookie banner, a sidebar of teasers about *other*
conditions, a comment thread with readers' claims, a newsletter box and a footer. For each
reader the knowledge base is compared with the one generated from the clean text alone:
recall = facts of the clean text found, spurious = facts found that the clean text lacks.

    pip install --target /tmp/tlib trafilatura
    PYTHONPATH=/tmp/tlib .venv/bin/python bench/compare_html_readers.py
"""

from __future__ import annotations

import html
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from quizapp.generation import generate_deck  # noqa: E402

SOURCES = [
    *sorted((ROOT.parent / "shared" / "seeds").glob("*.txt")),
    ROOT / "tests" / "fixtures" / "generation" / "hearing-loss.md",
]

NAV = """<header><nav><ul><li><a href="/">Home</a></li><li><a href="/a-z">Health A-Z</a></li>
<li><a href="/drugs">Drugs</a></li><li><a href="/news">News</a></li><li><a href="/login">Sign
in</a></li></ul></nav><div class="cookie">We use cookies to improve your experience. By
continuing you accept our cookie policy. <button>Accept</button></div></header>"""
SIDEBAR = """<aside class="related"><h3>Related articles</h3><ul>
<li><a href="/x">Hair loss is caused by stress and can be reversed with rest.</a></li>
<li><a href="/y">There are two types of migraine: with aura and without aura.</a></li>
<li><a href="/z">Tendinitis is caused by overuse of a tendon.</a></li></ul>
<h3>Most read</h3><p>Ten foods that are secretly bad for your heart.</p></aside>"""
COMMENTS = """<section class="comments"><h3>Comments (3)</h3>
<div class="comment"><p><b>Jo</b> 2 days ago</p><p>My doctor said it is caused by vaccines and
cannot be reversed. Is that true?</p></div>
<div class="comment"><p><b>Sam</b> 1 day ago</p><p>Mine was caused by a bad diet, which
nobody mentions here.</p></div></section>"""
FOOTER = """<div class="newsletter"><h3>Get our newsletter</h3><p>Sign up for weekly health
tips.</p><form><input type="email"><button>Subscribe</button></form></div>
<footer><p>About us · Contact · Privacy policy · Terms of use</p><p>© 2026 Example Health
Media. All rights reserved. This site does not provide medical advice.</p></footer>"""


def without_semantics(page: str) -> str:
    """The same page built from bare <div>s, as many sites still are."""
    return re.sub(r"<(/?)(?:header|nav|main|article|aside|section|footer)\b", r"<\1div", page)


def to_html(path: Path, clutter: bool = True) -> str:
    text = path.read_text(encoding="utf-8")
    blocks = [b.strip() for b in re.split(r"\n\s*\n", text) if b.strip()]
    body = []
    title = None
    for block in blocks:
        block = " ".join(block.split()) if not block.startswith(("- ", "#")) else block
        if block.startswith("#"):
            level = min(len(block) - len(block.lstrip("#")) + 1, 4)
            heading = html.escape(block.lstrip("#").strip())
            title = title or heading
            body.append(f"<h{level}>{heading}</h{level}>")
        elif block.startswith("- "):
            items = "".join(f"<li>{html.escape(line[2:].strip())}</li>"
                            for line in block.splitlines() if line.startswith("- "))
            body.append(f"<ul>{items}</ul>")
        else:
            body.append(f"<p>{html.escape(block)}</p>")
    title = title or html.escape(path.stem)
    head = f"<!doctype html><html><head><title>{title} | Example Health</title></head><body>"
    article = f"<article><h1>{title}</h1>{''.join(body)}</article>"
    if not clutter:
        return f"{head}<main>{article}</main></body></html>"
    return f"{head}{NAV}<main>{article}{COMMENTS}</main>{SIDEBAR}{FOOTER}</body></html>"


def facts(documents) -> set[tuple]:
    knowledge = generate_deck(documents).knowledge or {}
    found = set()
    for category, rows in knowledge.items():
        if not isinstance(rows, list):
            continue
        for row in rows:
            if isinstance(row, dict) and "name" in row:
                types = row.get("types")
                types = tuple(sorted(types)) if isinstance(types, list) else ()
                found.add((category, row["name"].lower(), types))
    return found


def main() -> int:
    import trafilatura

    def read_with_trafilatura(name: str, page: str) -> set[tuple]:
        markdown = trafilatura.extract(page, output_format="markdown", include_tables=True,
                                       include_comments=False) or ""
        return facts([(name, markdown, "md")]) if markdown.strip() else set()

    readers = {
        "reader": lambda name, page: facts([(name, page)]),
        "trafilatura": read_with_trafilatura,
    }
    for variant, shape in (("semantic tags", lambda page: page), ("bare divs", without_semantics)):
        print(f"\n== cluttered pages, {variant}: found/expected +spurious, expected = facts of "
              "the same page without clutter read by each reader")
        print(f"{'page':<34} {'reader':>16} {'trafilatura':>16}")
        totals = {key: [0, 0, 0, 0.0] for key in readers}
        for path in SOURCES:
            name = path.stem + ".html"
            cells = []
            for key, read in readers.items():
                expected = read(name, shape(to_html(path, clutter=False)))
                started = time.perf_counter()
                got = read(name, shape(to_html(path)))
                seconds = time.perf_counter() - started
                hit, extra = len(expected & got), len(got - expected)
                total = totals[key]
                total[0] += hit
                total[1] += len(expected)
                total[2] += extra
                total[3] += seconds
                cells.append(f"{hit:>3}/{len(expected):<3} +{extra:<3}")
            print(f"{path.name[:34]:<34} {cells[0]:>16} {cells[1]:>16}")
        for key, (hit, expected, extra, seconds) in totals.items():
            print(f"{key}: recall {hit}/{expected} = {hit / max(expected, 1):.1%}, "
                  f"spurious {extra}, {seconds:.2f} s")
    print("\n== against the clean text itself (not HTML): found/expected +spurious")
    for path in SOURCES:
        gold = facts([(path.name, path.read_text(encoding="utf-8"))])
        row = []
        for read in readers.values():
            got = read(path.stem + ".html", to_html(path))
            row.append(f"{len(gold & got):>3}/{len(gold):<3} +{len(got - gold):<3}")
        print(f"{path.name[:34]:<34} {row[0]:>16} {row[1]:>16}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
