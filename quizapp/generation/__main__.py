"""``python -m quizapp.generation SOURCE... -o FILE``: write a generated deck file, reading the
sources as ``flask decks generate`` does, without an app or a database."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from quizapp.deckfile import dumps
from quizapp.generation import generate_deck_from_paths
from quizapp.sources import SourceRefused


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m quizapp.generation", description=__doc__)
    parser.add_argument("sources", nargs="+", type=Path,
                        help="PDF, DOCX, PPTX, HTML, Markdown or text files")
    parser.add_argument("-o", "--output", type=Path, help="deck file to write (default: stdout)")
    parser.add_argument("--title", help="deck title (default: the condition's name)")
    args = parser.parse_args(argv)
    try:
        text = dumps(generate_deck_from_paths(args.sources, args.title))
    except SourceRefused as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"error: {error.filename}: cannot read ({error.strerror})", file=sys.stderr)
        return 1
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text, encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
