"""Totals of each side's answers on its card state; review_log.tallied

Revision ID: 5d8b2e6f4a19
Revises: 3c9e5a7b1d42
Create Date: 2026-11-26 21:05:00

Each card state keeps the number of its answers (not undone), of those that failed, of those
that count for retention and of those that passed among them: written with every answer from
now on (services.tallies), so class statistics sum card states instead of every review. An
answer given while the side had no state row (a cram answer before its first learn) is not
summed anywhere but marked ``tallied = false``, and statistics add those few from the log.
Here the marks are set from the states that exist and the totals summed from the log. A partial index holds the wrong answers with a response (the
dashboard's distractors).
"""
from alembic import op
import sqlalchemy as sa


revision = '5d8b2e6f4a19'
down_revision = "3c9e5a7b1d42"
branch_labels = None
depends_on = None

TOTALS = ("answers", "failures", "retention_answers", "retention_passed")
# As they are at this revision: history_totals.NOT_RETENTION and stats.activity.LEARNED.
NOT_RETENTION = ("cram", "repeat")
LEARNED = ("mature", "young")
WRONG = "passed = {false} AND response IS NOT NULL AND undone_at IS NULL"

_STATES = sa.table(
    "card_state", *map(sa.column, ("user_id", "card_id", "ordinal")),
    *(sa.column(name, sa.Integer) for name in TOTALS),
)
_LOGS = sa.table(
    "review_log", *map(sa.column, ("user_id", "card_id", "ordinal", "phase", "stage_before",
                                   "undone_at")),
    sa.column("passed", sa.Boolean), sa.column("tallied", sa.Boolean),
)


def upgrade():
    with op.batch_alter_table('card_state', schema=None) as batch_op:
        for name in TOTALS:
            batch_op.add_column(sa.Column(name, sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table('review_log', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('tallied', sa.Boolean(), server_default=sa.true(), nullable=False)
        )
    connection = op.get_bind()
    side = ((_STATES.c.user_id == _LOGS.c.user_id) & (_STATES.c.card_id == _LOGS.c.card_id)
            & (_STATES.c.ordinal == _LOGS.c.ordinal))
    connection.execute(
        _LOGS.update().where(~sa.exists().where(side)).values(tallied=sa.false())
    )
    retention = _LOGS.c.phase.not_in(NOT_RETENTION) & _LOGS.c.stage_before.in_(LEARNED)
    passed = _LOGS.c.passed.is_(True)
    summed = (
        sa.select(
            _LOGS.c.user_id, _LOGS.c.card_id, _LOGS.c.ordinal,
            sa.func.count().label("answers"),
            sa.func.sum(sa.case((passed, 0), else_=1)).label("failures"),
            sa.func.sum(sa.case((retention, 1), else_=0)).label("retention_answers"),
            sa.func.sum(sa.case((retention & passed, 1), else_=0)).label("retention_passed"),
        )
        .where(_LOGS.c.undone_at.is_(None), _LOGS.c.tallied.is_(True))
        .group_by(_LOGS.c.user_id, _LOGS.c.card_id, _LOGS.c.ordinal)
        .subquery()
    )
    connection.execute(
        _STATES.update()
        .where(_STATES.c.user_id == summed.c.user_id, _STATES.c.card_id == summed.c.card_id,
               _STATES.c.ordinal == summed.c.ordinal)
        .values({name: summed.c[name] for name in TOTALS})
    )
    with op.batch_alter_table('review_log', schema=None) as batch_op:
        batch_op.create_index(
            'ix_review_log_untallied', ['user_id', 'card_id'], unique=False,
            sqlite_where=sa.text('tallied = 0'), postgresql_where=sa.text('tallied = false'),
        )
        batch_op.create_index(
            'ix_review_log_wrong', ['user_id', 'deck_id', 'card_id', 'response'], unique=False,
            sqlite_where=sa.text(WRONG.format(false='0')),
            postgresql_where=sa.text(WRONG.format(false='false')),
        )


def downgrade():
    with op.batch_alter_table('review_log', schema=None) as batch_op:
        batch_op.drop_index('ix_review_log_wrong',
                            sqlite_where=sa.text(WRONG.format(false='0')),
                            postgresql_where=sa.text(WRONG.format(false='false')))
        batch_op.drop_index('ix_review_log_untallied',
                            sqlite_where=sa.text('tallied = 0'),
                            postgresql_where=sa.text('tallied = false'))
        batch_op.drop_column('tallied')
    with op.batch_alter_table('card_state', schema=None) as batch_op:
        for name in reversed(TOTALS):
            batch_op.drop_column(name)
