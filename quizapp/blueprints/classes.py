"""Classes: instructors create them and assign decks; learners join with a code."""

from __future__ import annotations

import secrets

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import or_, select

from ..access import instructor_required
from ..extensions import db
from ..forms import ClassForm, JoinClassForm
from ..models import ClassDeck, ClassMembership, Classroom, Deck
from ..services import progress
from ..stats.classroom import class_csv
from . import attachment

bp = Blueprint("classes", __name__, url_prefix="/classes")

# No 0/O or 1/I/L: codes are read aloud and copied from a board.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


def _is_id(value: str) -> bool:
    """Digits that fit the id column (isdigit alone accepts "²"; a huge number overflows)."""
    return value.isascii() and value.isdigit() and int(value) < 2**31


def _own_class(class_id: int) -> Classroom:
    classroom = db.session.get(Classroom, class_id)
    if classroom is None:
        abort(404, "No such class.")
    if classroom.instructor_id != current_user.id and not current_user.is_admin:
        abort(403, "Only the class's instructor can see this page.")
    return classroom


@bp.get("/")
@login_required
def index():
    teaching = db.session.scalars(
        select(Classroom).where(Classroom.instructor_id == current_user.id)
        .order_by(Classroom.name)
    ).all()
    joined = db.session.scalars(
        select(Classroom).join(ClassMembership)
        .where(ClassMembership.user_id == current_user.id).order_by(Classroom.name)
    ).all()
    return render_template(
        "classes/index.html", teaching=teaching, joined=joined,
        create_form=ClassForm(), join_form=JoinClassForm(),
    )


@bp.post("/")
@instructor_required
def create():
    form = ClassForm()
    if not form.validate_on_submit():
        abort(400, "Give the class a name of at most 120 characters.")
    classroom = Classroom(name=form.name.data.strip(), instructor_id=current_user.id,
                          join_code=_new_code())
    db.session.add(classroom)
    db.session.commit()
    flash(f"Class created. Students join with the code {classroom.join_code}.", "success")
    return redirect(url_for("classes.dashboard", class_id=classroom.id), code=303)


@bp.post("/join")
@login_required
def join():
    form = JoinClassForm()
    code = (form.code.data or "").strip().upper() if form.validate_on_submit() else ""
    classroom = db.session.scalars(select(Classroom).where(Classroom.join_code == code)).first()
    if classroom is None:
        flash("No class has that join code. Check it with your instructor.", "error")
        return redirect(url_for("classes.index"), code=303)
    if db.session.get(ClassMembership, (classroom.id, current_user.id)) is None:
        db.session.add(ClassMembership(class_id=classroom.id, user_id=current_user.id))
        db.session.commit()
    flash(f"You joined {classroom.name}.", "success")
    return redirect(url_for("classes.index"), code=303)


@bp.get("/<int:class_id>")
@instructor_required
def dashboard(class_id: int):
    classroom = _own_class(class_id)
    visible = Deck.published.is_(True)
    if not current_user.is_admin:
        visible = or_(visible, Deck.owner_id == current_user.id)
    assigned = {d.id for d in classroom.decks}
    assignable = [
        d for d in db.session.scalars(select(Deck).where(visible).order_by(Deck.title))
        if d.id not in assigned
    ]
    return render_template(
        "classes/dashboard.html", classroom=classroom, assignable=assignable,
        dashboard=progress.class_dashboard(classroom),
    )


@bp.get("/<int:class_id>/dashboard.csv")
@instructor_required
def dashboard_csv(class_id: int):
    classroom = _own_class(class_id)
    data = class_csv(progress.class_dashboard(classroom), current_user.timezone)
    return attachment(data, f"class-{classroom.id}.csv", "text/csv")


@bp.post("/<int:class_id>/decks")
@instructor_required
def assign(class_id: int):
    classroom = _own_class(class_id)
    deck_id = request.form.get("deck_id", "")
    deck = db.session.get(Deck, int(deck_id)) if _is_id(deck_id) else None
    if deck is None or not (deck.published or current_user.can_edit(deck)):
        abort(400, "Choose one of your decks or a published deck.")
    if db.session.get(ClassDeck, (classroom.id, deck.id)) is None:
        db.session.add(ClassDeck(class_id=classroom.id, deck_id=deck.id))
        db.session.commit()
    flash(f"Assigned {deck.title}.", "success")
    return redirect(url_for("classes.dashboard", class_id=classroom.id), code=303)


@bp.post("/<int:class_id>/decks/<int:deck_id>/remove")
@instructor_required
def unassign(class_id: int, deck_id: int):
    classroom = _own_class(class_id)
    link = db.session.get(ClassDeck, (classroom.id, deck_id))
    if link is not None:
        db.session.delete(link)
        db.session.commit()
    flash("Deck removed from the class.", "success")
    return redirect(url_for("classes.dashboard", class_id=classroom.id), code=303)
