"""Scheduling state as the scheduler's versioned JSON; scheduler settings per deck

card_state: easiness, interval and repetitions move into ``state`` (``Scheduler.to_json``),
beside ``scheduler`` (its name) and the columns queries need (due, the new ``due_at`` instant
for learning steps of minutes, lapses, last_review_at, version). review_log: which scheduler rated the answer, whether the rating passes on its
scale, and the stage before it (instead of SM-2's repetitions). deck: ``scheduler``, the
``SchedulerSettings`` JSON (NULL: SM-2); scheduler_override: a learner's own settings for a
deck. study_session: the scheduled session's mode is
"scheduled" whatever the algorithm, no longer "sm2".

Downgrade puts SM-2 columns back; a state another scheduler wrote is converted to SM-2 first
(``conversions.convert``), so downgrading keeps every learner's due days.

Revision ID: 7a3f2c9d1e58
Revises: 5b1c0e7a9d24
Create Date: 2026-11-26 17:00:00

"""
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

import quizapp.models
from quizapp.scheduling import registry
from quizapp.scheduling.conversions import convert
from quizapp.scheduling.sm2 import Sm2State
from quizapp.scheduling.sm2_scheduler import Sm2Scheduler

revision = "7a3f2c9d1e58"
down_revision = "5b1c0e7a9d24"
branch_labels = None
depends_on = None

BATCH = 1000
SM2 = Sm2Scheduler()

card_state = sa.table(
    "card_state",
    sa.column("id", sa.Integer),
    sa.column("easiness", sa.Numeric(6, 3)),
    sa.column("interval", sa.Integer),
    sa.column("repetitions", sa.Integer),
    sa.column("due", sa.Date),
    sa.column("lapses", sa.Integer),
    sa.column("scheduler", sa.String(20)),
    sa.column("state", sa.JSON),
)
review_log = sa.table(
    "review_log",
    sa.column("grade", sa.Integer),
    sa.column("passed", sa.Boolean),
    sa.column("stage_before", sa.String(10)),
    sa.column("repetitions_before", sa.Integer),
    sa.column("interval_before", sa.Integer),
)


def _in_batches(connection, query):
    """Rows of ``query`` ordered by id, BATCH at a time (a large table is not held at once)."""
    last = 0
    while True:
        rows = connection.execute(
            query.where(card_state.c.id > last).order_by(card_state.c.id).limit(BATCH)
        ).all()
        if not rows:
            return
        yield rows
        last = rows[-1].id


def upgrade():
    with op.batch_alter_table("card_state") as batch_op:
        batch_op.add_column(
            sa.Column("scheduler", sa.String(20), nullable=False, server_default="sm2")
        )
        batch_op.add_column(sa.Column("state", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column("due_at", quizapp.models.UTCDateTime(timezone=True), nullable=True)
        )

    connection = op.get_bind()
    old = sa.select(
        card_state.c.id, card_state.c.easiness, card_state.c.interval,
        card_state.c.repetitions, card_state.c.due, card_state.c.lapses,
    )
    for rows in _in_batches(connection, old):
        for row in rows:
            state = Sm2State(
                easiness=Decimal(str(row.easiness)).normalize() if row.easiness is not None
                else Decimal("2.5"),
                interval=row.interval, repetitions=row.repetitions, due=row.due,
                lapses=row.lapses,
            )
            connection.execute(
                card_state.update().where(card_state.c.id == row.id)
                .values(state=SM2.to_json(state))
            )

    with op.batch_alter_table("card_state") as batch_op:
        batch_op.alter_column("state", existing_type=sa.JSON(), nullable=False)
        batch_op.drop_column("easiness")
        batch_op.drop_column("interval")
        batch_op.drop_column("repetitions")

    with op.batch_alter_table("review_log") as batch_op:
        batch_op.add_column(
            sa.Column("scheduler", sa.String(20), nullable=False, server_default="sm2")
        )
        batch_op.add_column(
            sa.Column("passed", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("stage_before", sa.String(10), nullable=False, server_default="new")
        )
    # Every answer so far is SM-2's: 3 or better passes; its stage is SM-2's rule applied to
    # the repetitions and interval it was shown with (a reviewed SM-2 card has an interval).
    connection.execute(review_log.update().values(passed=review_log.c.grade >= 3))
    connection.execute(
        review_log.update().values(
            stage_before=sa.case(
                (review_log.c.interval_before < 1, "new"),
                (review_log.c.repetitions_before < 1, "learning"),
                (review_log.c.interval_before < 21, "young"),
                else_="mature",
            )
        )
    )
    with op.batch_alter_table("review_log") as batch_op:
        batch_op.drop_column("repetitions_before")

    with op.batch_alter_table("deck") as batch_op:
        batch_op.add_column(sa.Column("scheduler", sa.JSON(), nullable=True))
    op.create_table(
        "scheduler_override",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("deck_id", sa.Integer(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["deck_id"], ["deck.id"], name=op.f("fk_scheduler_override_deck_id_deck"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_scheduler_override_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "deck_id", name=op.f("pk_scheduler_override")),
    )

    op.execute("UPDATE study_session SET mode = 'scheduled' WHERE mode = 'sm2'")


def downgrade():
    op.execute("UPDATE study_session SET mode = 'sm2' WHERE mode = 'scheduled'")
    op.drop_table("scheduler_override")
    with op.batch_alter_table("deck") as batch_op:
        batch_op.drop_column("scheduler")

    with op.batch_alter_table("review_log") as batch_op:
        batch_op.add_column(
            sa.Column("repetitions_before", sa.Integer(), nullable=False, server_default="0")
        )
    op.execute(
        "UPDATE review_log SET repetitions_before = 1 "
        "WHERE stage_before IN ('young', 'mature')"
    )
    with op.batch_alter_table("review_log") as batch_op:
        batch_op.drop_column("stage_before")
        batch_op.drop_column("passed")
        batch_op.drop_column("scheduler")

    with op.batch_alter_table("card_state") as batch_op:
        batch_op.add_column(sa.Column("easiness", sa.Numeric(6, 3), nullable=True))
        batch_op.add_column(sa.Column("interval", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("repetitions", sa.Integer(), nullable=True))
    connection = op.get_bind()
    settings = registry.SchedulerSettings()
    stored = sa.select(card_state.c.id, card_state.c.scheduler, card_state.c.state)
    for rows in _in_batches(connection, stored):
        for row in rows:
            data = row.state
            state = (
                SM2.from_json(data) if row.scheduler == SM2.name
                else convert(data, SM2, settings, [])
            )
            connection.execute(
                card_state.update().where(card_state.c.id == row.id).values(
                    easiness=state.easiness, interval=state.interval,
                    repetitions=state.repetitions, due=state.due, lapses=state.lapses,
                )
            )
    with op.batch_alter_table("card_state") as batch_op:
        batch_op.alter_column("easiness", existing_type=sa.Numeric(6, 3), nullable=False)
        batch_op.alter_column("interval", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("repetitions", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("state")
        batch_op.drop_column("due_at")
        batch_op.drop_column("scheduler")
