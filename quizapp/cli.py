"""``flask users …`` and ``flask decks …``: each prints what it did, or one line and exit 1."""

from __future__ import annotations

import hashlib
import secrets
import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from .deckfile import DeckFileError, dumps, loads
from .decoding import decode_upload
from .extensions import db
from .formats.detect import ImportFailed, read_upload
from .generation import generate_deck
from .models import ROLES, Deck, User, user_by_email
from .scheduling.day import is_known_zone
from .services import exports, memory
from .services.decks import store_deck
from .services.generation import GenerationFailed, read_sources, source_limits

users_cli = AppGroup("users", help="Manage accounts.")
jobs_cli = AppGroup("jobs", help="Run background jobs.")
decks_cli = AppGroup("decks", help="Load, generate, import and export decks.")
memory_cli = AppGroup("memory", help="FSRS memory estimates of studied cards.")


def fail(message: str) -> None:
    raise click.ClickException(message)


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), default="learner", show_default=True)
@click.option("--name", "display_name", default=None, help="Display name (default: the email).")
@click.option("--password", default=None, help="Password (default: generated and printed).")
@click.option("--timezone", default="UTC", show_default=True)
def create_user(email: str, role: str, display_name: str | None, password: str | None,
                timezone: str) -> None:
    """Create an account."""
    if "@" not in email or len(email) > 254:
        fail(f"{email!r} is not an email address")
    if not is_known_zone(timezone):
        fail(f"unknown time zone {timezone!r}")
    if user_by_email(email):
        fail(f"an account for {email} exists already")
    if password is not None and len(password) < 8:
        fail("the password needs at least 8 characters")
    generated = password is None
    password = password or secrets.token_urlsafe(12)
    user = User(email=email, display_name=display_name or email.split("@")[0], role=role,
                timezone=timezone)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    shown = f" with password {password}" if generated else ""
    click.echo(f"Created {role} {email}{shown}")


@users_cli.command("demo")
def create_demo_users() -> None:
    """Create (or reset) the demo learner and instructor and print their logins."""
    demo = [
        ("learner@example.com", "Demo Learner", "learner", "learn-demo-1"),
        ("instructor@example.com", "Demo Instructor", "instructor", "teach-demo-1"),
    ]
    for email, name, role, password in demo:
        user = user_by_email(email) or User(email=email, display_name=name, role=role)
        user.role = role
        user.set_password(password)
        db.session.add(user)
        click.echo(f"Demo {role}: {email} / {password}")
    db.session.commit()


def find_deck(reference: str) -> Deck:
    """A deck by id or exact title; an ambiguous title is an error, not a guess."""
    if reference.isascii() and reference.isdigit():
        deck = db.session.get(Deck, int(reference))
        if deck is not None:
            return deck
    matches = db.session.scalars(select(Deck).where(Deck.title == reference)).all()
    if not matches:
        fail(f"no deck with id or title {reference!r}")
    if len(matches) > 1:
        ids = ", ".join(str(d.id) for d in matches)
        fail(f"{len(matches)} decks are titled {reference!r} (ids {ids}); give the id")
    return matches[0]


def matching_source_texts(deck, folder: Path | None) -> dict[str, str]:
    """Source texts found in ``folder`` whose content is exactly what the deck was built from."""
    if folder is None or not folder.is_dir():
        return {}
    texts = {}
    for source in deck.sources:
        path = folder / Path(source.name).name
        try:
            text = decode_upload(path.read_bytes())
        except (OSError, UnicodeDecodeError):
            continue
        if hashlib.sha256(text.encode("utf-8")).hexdigest() == source.sha256:
            texts[source.id] = text
    return texts


def store_with_progress(deck, verb: str, **options):
    """:func:`store_deck` with a bar of the deck's cards on a terminal (one plain line
    naming the deck when the output is not one)."""
    label = f"{verb} {deck.title[:40]}"
    with click.progressbar(length=max(len(deck.cards), 1), label=label, file=sys.stderr,
                           show_pos=True) as bar:
        def progress(done: int, _total: int) -> None:
            bar.update(done - bar.pos)

        return store_deck(deck, progress=progress, **options)


@decks_cli.command("load")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--publish/--no-publish", default=True, show_default=True)
@click.option(
    "--sources",
    "sources_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Folder of the decks' source documents: texts whose SHA-256 matches are kept, "
    "so learners see the sentence each fact comes from.",
)
def load_decks(paths: tuple[Path, ...], publish: bool, sources_dir: Path | None) -> None:
    """Validate and load deck files (by guid: loading twice changes nothing)."""
    parsed = []
    for path in paths:
        try:
            parsed.append((path, loads(path.read_bytes(), str(path))))
        except OSError as error:
            fail(f"{path}: cannot read ({error.strerror})")
        except DeckFileError as error:
            fail(str(error))
    # Every file validated before any is stored: a bad file loads nothing.
    reports = [
        store_with_progress(deck, "Loading", owner=None, slug=path.stem, publish=publish,
                            source_texts=matching_source_texts(deck, sources_dir))
        for path, deck in parsed
    ]
    db.session.commit()
    for report in reports:
        click.echo(report.summary())


@decks_cli.command("generate")
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path))
@click.option("--title", default=None)
def generate(sources: tuple[Path, ...], output: Path, title: str | None) -> None:
    """Generate a deck file from source documents (PDF, DOCX, PPTX, HTML, Markdown, text)."""
    try:
        uploads = [(str(p), p.read_bytes()) for p in sources]
    except OSError as error:
        fail(f"{error.filename}: cannot read ({error.strerror})")
    # Two steps per document (reading, then its share of generating): the bar moves on a
    # terminal and stays silent when the output is not one.
    with click.progressbar(length=100, label="Reading", file=sys.stderr,
                           show_percent=True) as bar:
        def report(percent: int | None = None, stage: str | None = None, **_) -> None:
            if stage:
                bar.label = stage[:60]
            if percent is not None and percent > bar.pos:
                bar.update(percent - bar.pos)

        try:
            documents = read_sources(uploads, source_limits(), report)
        except GenerationFailed as error:
            fail(str(error))
        report(percent=65, stage="Finding facts and writing cards")
        deck = generate_deck([document.document() for document in documents], title=title)
        report(percent=100, stage="Done")
    output.write_text(dumps(deck), encoding="utf-8")
    click.echo(f"Wrote {output}: {len(deck.cards)} cards from {len(documents)} documents")


@decks_cli.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--owner", default=None, help="Owner's email (default: the shipped decks).")
@click.option("--publish/--no-publish", default=False, show_default=True)
def import_deck(file: Path, owner: str | None, publish: bool) -> None:
    """Import a deck file: quizapp JSON, CSV/TSV or Anki .apkg."""
    owner_user = None
    if owner:
        owner_user = user_by_email(owner)
        if owner_user is None:
            fail(f"no account for {owner}")
    try:
        result = read_upload(file.name, file.read_bytes())
    except OSError as error:
        fail(f"{file}: cannot read ({error.strerror})")
    except ImportFailed as error:
        fail(f"{file}: {error}")
    reports = [
        store_with_progress(deck, "Importing", owner=owner_user, publish=publish)
        for deck in result.decks
    ]
    db.session.commit()
    for warning in result.warnings:
        click.echo(f"warning: {warning}")
    for report in reports:
        click.echo(f"{report.summary()} (deck id {report.deck.id})")


@decks_cli.command("export")
@click.argument("deck")
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path))
def export_deck(deck: str, output: Path) -> None:
    """Export a deck (id or exact title) to .apkg (Anki), .csv or .json by the file name."""
    found = find_deck(deck)
    suffix = output.suffix.lower()
    if suffix == ".apkg":
        output.write_bytes(exports.deck_apkg(found))
    elif suffix == ".csv":
        output.write_text(exports.deck_csv(found), encoding="utf-8")
    elif suffix == ".json":
        output.write_text(exports.deck_json(found), encoding="utf-8")
    else:
        fail("the output file must end in .apkg, .csv or .json")
    click.echo(f"Wrote {output}: {found.title!r}, {len(found.cards)} cards")


@jobs_cli.command("worker")
@click.option("--threads", default=1, show_default=True, help="Jobs run at once.")
def jobs_worker(threads: int) -> None:
    """Run background jobs until stopped (Ctrl-C finishes the running job first)."""
    from flask import current_app

    from .jobs.worker import run_worker

    run_worker(current_app._get_current_object(), threads)


@memory_cli.command("rebuild")
@click.option("--user", "email", default=None, help="Only this learner (default: everyone).")
@click.option("--deck", "deck_id", type=int, default=None, help="Only this deck id.")
def rebuild_memory(email: str | None, deck_id: int | None) -> None:
    """Replay review history into every card state's memory (after importing history)."""
    user_id = None
    if email is not None:
        user = user_by_email(email)
        if user is None:
            fail(f"no account for {email}")
        user_id = user.id
    written = memory.rebuild(user_id, deck_id)
    db.session.commit()
    click.echo(f"Rebuilt the memory of {written} card states")


def register(app: Flask) -> None:
    from .cli_sched import sched_cli  # it builds on this module's deck lookup

    app.cli.add_command(users_cli)
    app.cli.add_command(sched_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(decks_cli)
    app.cli.add_command(memory_cli)
