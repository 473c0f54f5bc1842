"""WTForms classes (Flask-WTF adds the CSRF token to each)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    MultipleFileField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from .scheduling.day import is_known_zone

PASSWORD_RULES = [DataRequired(), Length(min=8, max=200, message="Use 8 to 200 characters.")]


def known_zone(form, field) -> None:
    if not is_known_zone(field.data or ""):
        raise ValidationError("Choose a time zone such as Europe/Paris or America/New_York.")


class RegisterForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=254)])
    display_name = StringField("Your name", validators=[DataRequired(), Length(max=80)])
    password = PasswordField("Password", validators=PASSWORD_RULES)
    confirm = PasswordField(
        "Repeat password", validators=[EqualTo("password", message="The passwords differ.")]
    )
    timezone = StringField("Time zone", default="UTC", validators=[DataRequired(), known_zone])
    submit = SubmitField("Create account")


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])
    remember = BooleanField("Keep me logged in")
    submit = SubmitField("Log in")


class AccountForm(FlaskForm):
    display_name = StringField("Your name", validators=[DataRequired(), Length(max=80)])
    timezone = StringField("Time zone", validators=[DataRequired(), known_zone])
    submit = SubmitField("Save")


class PasswordForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired(), Length(max=200)])
    password = PasswordField("New password", validators=PASSWORD_RULES)
    confirm = PasswordField(
        "Repeat new password",
        validators=[EqualTo("password", message="The passwords differ.")],
    )
    submit = SubmitField("Change password")


class DeckUploadForm(FlaskForm):
    file = FileField("Deck file", validators=[FileRequired("Choose a file to upload.")])
    submit = SubmitField("Preview")


class SourceUploadForm(FlaskForm):
    files = MultipleFileField(
        "Source documents (PDF, Word .docx, PowerPoint .pptx, HTML, Markdown or text)"
    )
    title = StringField("Deck title", validators=[Optional(), Length(max=200)])
    submit = SubmitField("Generate draft deck")


class DeckSettingsForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=5000)])
    new_per_day = IntegerField(
        "New cards per day", validators=[InputRequired(), NumberRange(min=0, max=9999)]
    )
    reviews_per_day = IntegerField(
        "Reviews per day", validators=[InputRequired(), NumberRange(min=0, max=99999)]
    )
    submit = SubmitField("Save")


class CardForm(FlaskForm):
    kind = SelectField(
        "Kind",
        choices=[
            SelectChoice("basic", "Basic (front and back)"),
            SelectChoice("reversed", "Reversed pair (both directions)"),
            SelectChoice("cloze", "Cloze (fill in {{c1::gap}})"),
            SelectChoice("mcq", "Multiple choice"),
            SelectChoice("typein", "Type the answer"),
        ],
    )
    prompt = TextAreaField("Prompt", validators=[DataRequired(), Length(max=20000)])
    answer = TextAreaField("Answer", validators=[Optional(), Length(max=20000)])
    choices = TextAreaField(
        "Choices (one per line, multiple choice only)", validators=[Optional(), Length(max=20000)]
    )
    correct = IntegerField(
        "Number of the right choice", validators=[Optional(), NumberRange(min=1, max=8)]
    )
    explanation = TextAreaField("Explanation", validators=[Optional(), Length(max=20000)])
    tags = StringField("Tags (separated by spaces)", validators=[Optional(), Length(max=1000)])
    submit = SubmitField("Save card")


class ClassForm(FlaskForm):
    name = StringField("Class name", validators=[DataRequired(), Length(max=120)])
    submit = SubmitField("Create class")


class JoinClassForm(FlaskForm):
    code = StringField("Join code", validators=[DataRequired(), Length(max=16)])
    submit = SubmitField("Join")
