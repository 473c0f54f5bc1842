"""WTForms classes (Flask-WTF adds the CSRF token to each)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    EmailField,
    FloatField,
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

from . import kinds
from .deckfile import MAX_CHOICES
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


class AnkiProgressForm(FlaskForm):
    file = FileField(
        "Your Anki package (.apkg or .colpkg, exported with scheduling)",
        validators=[FileRequired("Choose a file to upload.")],
    )
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


class SchedulerForm(FlaskForm):
    """Which algorithm schedules a deck, and FSRS's settings (checked again, with every other
    rule, by ``SchedulerSettings.from_json``)."""

    name = SelectField("Scheduler", choices=[])
    desired_retention = FloatField(
        "Desired retention (FSRS)", default=0.9,
        validators=[InputRequired(), NumberRange(min=0.7, max=0.99)],
    )
    maximum_interval = IntegerField(
        "Maximum interval in days (FSRS)", default=36500,
        validators=[InputRequired(), NumberRange(min=1, max=36500)],
    )
    submit = SubmitField("Save")


class WholeNumberField(IntegerField):
    """An IntegerField whose parse error is in plain words."""

    def process_formdata(self, valuelist) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError("Give a whole number, such as 1.") from None


class CardForm(FlaskForm):
    """One card. Each kind uses some of the fields; the page shows those of the chosen kind
    (all of them, labelled, without JavaScript) and every message names its own field."""

    kind = SelectField(
        "Kind",
        # A callable, so that a kind registered after import is offered too.
        choices=lambda: [SelectChoice(kind.name, kind.label) for kind in kinds.all_kinds()],
    )
    prompt = TextAreaField("Prompt", validators=[
        DataRequired("Write the question or statement the learner sees."),
        Length(max=20000, message="Keep the prompt to 20,000 characters or fewer."),
    ])
    answer = TextAreaField("Answer", validators=[
        Optional(), Length(max=20000, message="Keep the answer to 20,000 characters or fewer."),
    ])
    choices = TextAreaField("Choices, one per line", validators=[
        Optional(), Length(max=20000, message="Keep the choices to 20,000 characters in all."),
    ])
    correct = WholeNumberField(
        "Number of the right choice",
        validators=[Optional()],
        render_kw={"inputmode": "numeric"},
    )
    explanation = TextAreaField("Explanation (optional)", validators=[
        Optional(), Length(max=20000, message="Keep the explanation to 20,000 characters."),
    ])
    tags = StringField("Tags (optional, separated by spaces)", validators=[
        Optional(), Length(max=1000, message="Keep the tags to 1,000 characters in all."),
    ])
    submit = SubmitField("Save card")

    @property
    def KIND_FIELDS(self) -> dict[str, tuple[str, ...]]:
        """The fields only some kinds use (the template marks them for the page script)."""
        with_choices = tuple(kind.name for kind in kinds.all_kinds() if kind.has_choices)
        without = tuple(kind.name for kind in kinds.all_kinds() if not kind.has_choices)
        return {"answer": without, "choices": with_choices, "correct": with_choices}

    def choice_lines(self) -> list[str]:
        return [line.strip() for line in (self.choices.data or "").splitlines() if line.strip()]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        kind = kinds.find(self.kind.data)
        if kind is None:
            return False
        if kind.requires_answer and not (self.answer.data or "").strip():
            self.answer.errors.append(kind.answer_missing)
        if self.prompt.data and (error := kind.prompt_form_error(self.prompt.data)):
            self.prompt.errors.append(error)
        if kind.has_choices:
            self._validate_choices()
        return valid and not any(self.errors.values())

    def _validate_choices(self) -> None:
        lines = self.choice_lines()
        if not 2 <= len(lines) <= MAX_CHOICES:
            self.choices.errors.append(
                f"List 2 to {MAX_CHOICES} choices, one per line (you gave {len(lines)})."
            )
        else:
            repeated = next((line for line in lines if lines.count(line) > 1), None)
            if repeated is not None:
                self.choices.errors.append(
                    f"Each choice must be different: \"{repeated[:80]}\" is listed twice."
                )
        if self.correct.data is None and not self.correct.errors:
            self.correct.errors.append("Give the number of the right choice, such as 1.")
        elif self.correct.data is not None and not 1 <= self.correct.data <= max(len(lines), 1):
            self.correct.errors.append(
                f"Give a number from 1 to {len(lines)}: the right choice's line."
                if lines else "List the choices first, then give the number of the right one."
            )


class ClassForm(FlaskForm):
    name = StringField("Class name", validators=[
        DataRequired("Give the class a name."),
        Length(max=120, message="Keep the name to 120 characters or fewer."),
    ])
    submit = SubmitField("Create class")


class JoinClassForm(FlaskForm):
    code = StringField("Join code", validators=[
        DataRequired("Enter the join code your instructor gave you."),
        Length(max=16, message="A join code has 8 characters."),
    ])
    submit = SubmitField("Join")
