"""Register, log in, log out, change password."""

from __future__ import annotations

import secrets
from functools import cache
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db, limiter
from ..forms import AccountForm, LoginForm, PasswordForm, RegisterForm
from ..models import user_by_email
from ..services import accounts

bp = Blueprint("auth", __name__, url_prefix="/auth")

BAD_LOGIN = "Wrong email or password."
# Carries the address just registered to the log-in form, so the person types only a password.
REGISTERED_EMAIL = "registered_email"


@cache
def _unknown_user_hash() -> str:
    return generate_password_hash(secrets.token_hex(16))


def _login_limit() -> str:
    return current_app.config["QUIZAPP_LOGIN_RATE_LIMIT"]


def _safe_next(target: str | None) -> str:
    """Only same-site paths: an open redirect would let a phishing link borrow our name."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") \
                and not target.startswith("//"):
            return target
    return url_for("main.index")


# The same words whether the address was new or already had an account, so that the form
# cannot be used to learn who has an account here (the app sends no email to confirm one).
REGISTERED = (
    "If this email address was new, your account is ready: log in with the password you "
    "just chose. If the address already had an account, nothing about it has changed: log "
    "in with that account's password."
)


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def register():
    form = RegisterForm()
    if form.validate_on_submit():
        email = form.email.data.strip()
        # Hashing either way makes a taken address take as long as a new one.
        password_hash = generate_password_hash(form.password.data)
        accounts.register_learner(
            email, form.display_name.data.strip(), form.timezone.data, password_hash
        )
        db.session.commit()
        session[REGISTERED_EMAIL] = email
        flash(REGISTERED, "info")
        return redirect(url_for("auth.login"), code=303)
    return render_template("auth/register.html", form=form), 400 if form.errors else 200


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    form = LoginForm()
    if request.method == "GET" and REGISTERED_EMAIL in session:
        form.email.data = session.pop(REGISTERED_EMAIL)
    if form.validate_on_submit():
        user = user_by_email(form.email.data)
        if user is None:
            # Hash anyway, so an unknown email takes as long to refuse as a wrong password.
            check_password_hash(_unknown_user_hash(), form.password.data)
        elif user.check_password(form.password.data):
            login_user(user, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")))
        form.password.errors.append(BAD_LOGIN)
    return render_template("auth/login.html", form=form), 400 if form.errors else 200


@bp.post("/logout")
@login_required
def logout():
    # Ending this session ends every copy of its cookie (and the remember-me cookie).
    accounts.end_sessions(current_user)
    db.session.commit()
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("main.index"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = AccountForm(obj=current_user)
    if form.validate_on_submit():
        accounts.update_details(current_user, form.display_name.data, form.timezone.data)
        db.session.commit()
        flash("Account saved.", "success")
        return redirect(url_for("auth.account"), code=303)
    return render_template("auth/account.html", form=form), 400 if form.errors else 200


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current.data):
            form.current.errors.append("That is not your current password.")
        else:
            accounts.change_password(current_user, form.password.data)
            db.session.commit()
            # Other browsers are logged out; this one carries on with a fresh cookie.
            login_user(current_user._get_current_object())
            flash("Password changed. Other sessions have been logged out.", "success")
            return redirect(url_for("main.index"))
    return render_template("auth/password.html", form=form), 400 if form.errors else 200
