"""The generation reader: HTML, Markdown and plain text into units that point back."""

from __future__ import annotations

import html
import re

from quizapp.generation.reader import detect_format, read_document

PAGE = """<!DOCTYPE html>
<html><head><title>Frostbite basics</title>
<script>var tracker = "frostbite causes include everything";</script>
<style>.x { color: red }</style></head>
<body>
<nav><ul><li>Home</li><li>Frostbite causes</li></ul></nav>
<div class="ad-banner">Buy frostbite gloves now!</div>
<h1>Frostbite</h1>
<p>Frostbite is an injury of skin frozen by cold.
There are two types of frostbite: superficial and deep.</p>
<p>Causes of deep frostbite include:</p>
<ul><li>Long exposure to wind</li><li>Wet clothing &amp; boots</li></ul>
<aside>Related: frostbite stories</aside>
<footer>&copy; 2024 Example. All rights reserved.</footer>
</body></html>
"""

MARKDOWN = """# Frostbite

Frostbite is skin frozen by [cold air](https://example.org/cold) and **wind**.

## Causes

Common causes of frostbite include:

- Long exposure to wind
- *Wet* clothing

Photo credit: Someone / Images
"""


def words(text: str) -> list[str]:
    return re.findall(r"\w+", html.unescape(re.sub(r"<[^>]*>", " ", text)).lower())


def test_html_drops_navigation_ads_scripts_and_footer():
    document = read_document("page.html", PAGE)
    assert document.format == "html"
    assert document.title == "Frostbite basics"
    texts = [unit.text for unit in document.units]
    joined = " ".join(texts)
    for clutter in ("tracker", "Home", "gloves", "Related", "rights reserved", "color"):
        assert clutter not in joined
    assert texts[0] == "Frostbite"
    assert "There are two types of frostbite: superficial and deep." in texts
    items = [unit for unit in document.units if unit.kind == "item"]
    assert [item.text for item in items] == ["Long exposure to wind", "Wet clothing & boots"]
    intro = document.units[items[0].intro]
    assert intro.text == "Causes of deep frostbite include:"


def test_html_offsets_point_back_into_the_original_text():
    document = read_document("page.html", PAGE)
    for unit in document.units:
        assert words(PAGE[unit.start : unit.end]) == words(unit.text)


def test_markdown_headings_lists_and_inline_markup():
    document = read_document("notes.md", MARKDOWN)
    assert document.format == "md"
    kinds = [(unit.kind, unit.text) for unit in document.units]
    assert kinds == [
        ("heading", "Frostbite"),
        ("sentence", "Frostbite is skin frozen by cold air and wind."),
        ("heading", "Causes"),
        ("sentence", "Common causes of frostbite include:"),
        ("item", "Long exposure to wind"),
        ("item", "Wet clothing"),
    ]
    for unit in document.units:
        original = re.sub(r"\(https?://[^)]*\)", " ", MARKDOWN[unit.start : unit.end])
        assert words(original) == words(unit.text)


def test_plain_text_rejoins_broken_lines_and_splits_flattened_lists():
    text = (
        "Frostbite\n\n"
        "Frostbite is skin damage from\ncold\n. Risks grow in wind.\n"
        "Causes of frostbite include: Wet clothing Long exposure to wind "
        "Poor circulation  Most cases are mild and heal with warming.\n\n"
        "Advertisement\n"
    )
    document = read_document("notes.txt", text)
    assert document.format == "text"
    texts = [(unit.kind, unit.text) for unit in document.units]
    assert ("sentence", "Frostbite is skin damage from cold.") in texts
    assert [t for k, t in texts if k == "item"] == [
        "Wet clothing",
        "Long exposure to wind",
        "Poor circulation",
    ]
    assert ("sentence", "Most cases are mild and heal with warming.") in texts
    assert not any("Advertisement" in t for _, t in texts)
    for unit in document.units:
        assert words(text[unit.start : unit.end]) == words(unit.text)


def test_format_detection():
    assert detect_format("a.txt", "<html><body><p>x</p></body></html>") == "html"
    assert detect_format("a.md", "# Title") == "md"
    assert detect_format("a.txt", "Just text.") == "text"
