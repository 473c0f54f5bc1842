"""Each card state's stage (new, learning, young, mature) stored beside its JSON

Revision ID: 3c9e5a7b1d42
Revises: 7e2d4f1a8c36
Create Date: 2026-11-26 20:20:00

The stage is the scheduler's reading of the stored state and depends on nothing else (not on
the day), so it is copied out of the JSON once here and written with every state afterwards:
the progress page and the class dashboard count stages in SQL instead of reading every state
through its scheduler.
"""
from alembic import op
import sqlalchemy as sa

from quizapp.scheduling.registry import stage_of_stored


revision = '3c9e5a7b1d42'
down_revision = "7e2d4f1a8c36"
branch_labels = None
depends_on = None

BATCH = 1000
_STATES = sa.table(
    "card_state", sa.column("id", sa.Integer), sa.column("state", sa.JSON),
    sa.column("stage", sa.String),
)


def upgrade():
    with op.batch_alter_table('card_state', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stage', sa.String(length=10), nullable=True))
    connection = op.get_bind()
    write = (
        _STATES.update().where(_STATES.c.id == sa.bindparam("state_id"))
        .values(stage=sa.bindparam("new_stage"))
    )
    last = 0
    while True:
        rows = connection.execute(
            sa.select(_STATES.c.id, _STATES.c.state).where(_STATES.c.id > last)
            .order_by(_STATES.c.id).limit(BATCH)
        ).all()
        if not rows:
            break
        connection.execute(write, [
            {"state_id": row.id, "new_stage": stage_of_stored(row.state)} for row in rows
        ])
        last = rows[-1].id
    with op.batch_alter_table('card_state', schema=None) as batch_op:
        batch_op.alter_column('stage', existing_type=sa.String(length=10), nullable=False)


def downgrade():
    with op.batch_alter_table('card_state', schema=None) as batch_op:
        batch_op.drop_column('stage')
