"""``python -m quizapp.generation SOURCE... -o FILE``: write a generated deck file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from quizapp.deckfile import dumps
from quizapp.generation import generate_deck_from_paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m quizapp.generation", description=__doc__)
    parser.add_argument("sources", nargs="+", type=Path, help="text, Markdown or HTML files")
    parser.add_argument("-o", "--output", type=Path, help="deck file to write (default: stdout)")
    parser.add_argument("--title", help="deck title (default: the condition's name)")
    args = parser.parse_args(argv)
    text = dumps(generate_deck_from_paths(args.sources, args.title))
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text, encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
