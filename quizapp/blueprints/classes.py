"""Classes: instructors create them and assign decks; learners join with a code."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from ..access import instructor_required
from ..extensions import db
from ..forms import ClassForm, JoinClassForm
from ..models import ClassMembership, Classroom, Deck
from ..services import classes, progress
from ..stats.classroom import HARDEST_SHOWN, class_csv
from . import attachment

bp = Blueprint("classes", __name__, url_prefix="/classes")


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


def _index_page(create_form: ClassForm | None = None, join_form: JoinClassForm | None = None):
    teaching = db.session.scalars(
        select(Classroom).where(Classroom.instructor_id == current_user.id)
        .order_by(Classroom.name)
    ).all()
    joined = db.session.scalars(
        select(Classroom).join(ClassMembership)
        .where(ClassMembership.user_id == current_user.id).order_by(Classroom.name)
    ).all()
    status = 400 if (create_form and create_form.errors) or (join_form and join_form.errors) \
        else 200
    return render_template(
        "classes/index.html", teaching=teaching, joined=joined,
        create_form=create_form or ClassForm(formdata=None),
        join_form=join_form or JoinClassForm(formdata=None),
    ), status


@bp.get("/")
@login_required
def index():
    return _index_page()


@bp.post("/")
@instructor_required
def create():
    form = ClassForm()
    if not form.validate_on_submit():
        return _index_page(create_form=form)
    classroom = classes.create_class(form.name.data, current_user)
    db.session.commit()
    flash(f"Class created. Students join with the code {classroom.join_code}.", "success")
    return redirect(url_for("classes.dashboard", class_id=classroom.id), code=303)


@bp.post("/join")
@login_required
def join():
    form = JoinClassForm()
    classroom = classes.class_by_code(form.code.data or "") if form.validate_on_submit() \
        else None
    if classroom is None:
        if not form.code.errors:
            form.code.errors.append("No class has that join code. Check it with your instructor.")
        return _index_page(join_form=form)
    classes.join_class(classroom, current_user)
    db.session.commit()
    flash(f"You joined {classroom.name}.", "success")
    return redirect(url_for("classes.index"), code=303)


def _dashboard_page(classroom: Classroom, assign_error: str | None = None):
    return render_template(
        "classes/dashboard.html", classroom=classroom,
        assignable=classes.assignable_decks(classroom), assign_error=assign_error,
        dashboard=progress.class_dashboard(classroom, prompted=HARDEST_SHOWN),
        hardest_shown=HARDEST_SHOWN,
    ), 400 if assign_error else 200


@bp.get("/<int:class_id>")
@instructor_required
def dashboard(class_id: int):
    return _dashboard_page(_own_class(class_id))


@bp.get("/<int:class_id>/cards")
@instructor_required
def cards(class_id: int):
    classroom = _own_class(class_id)
    return render_template(
        "classes/cards.html", classroom=classroom, dashboard=progress.class_dashboard(classroom)
    )


@bp.get("/<int:class_id>/dashboard.csv")
@instructor_required
def dashboard_csv(class_id: int):
    classroom = _own_class(class_id)
    # The CSV shows no prompt.
    data = class_csv(progress.class_dashboard(classroom, prompted=0), current_user.timezone)
    return attachment(data, f"class-{classroom.id}.csv", "text/csv")


@bp.post("/<int:class_id>/decks")
@instructor_required
def assign(class_id: int):
    classroom = _own_class(class_id)
    deck_id = request.form.get("deck_id", "")
    deck = db.session.get(Deck, int(deck_id)) if _is_id(deck_id) else None
    try:
        classes.assign_deck(classroom, deck)
    except classes.NotAssignable as refusal:
        return _dashboard_page(classroom, assign_error=str(refusal))
    db.session.commit()
    flash(f"Assigned {deck.title}.", "success")
    return redirect(url_for("classes.dashboard", class_id=classroom.id), code=303)


@bp.post("/<int:class_id>/decks/<int:deck_id>/remove")
@instructor_required
def unassign(class_id: int, deck_id: int):
    classroom = _own_class(class_id)
    classes.unassign_deck(classroom, deck_id)
    db.session.commit()
    flash("Deck removed from the class.", "success")
    return redirect(url_for("classes.dashboard", class_id=classroom.id), code=303)
