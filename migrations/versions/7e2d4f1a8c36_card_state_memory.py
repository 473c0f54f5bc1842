"""FSRS memory state on card_state, replayed from the review log

Revision ID: 7e2d4f1a8c36
Revises: 7e2f4a6c8b10
Create Date: 2026-11-26 16:45:00

"""
from alembic import op
import sqlalchemy as sa

import quizapp.models
from quizapp.services.memory import backfill


revision = '7e2d4f1a8c36'
down_revision = "7e2f4a6c8b10"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('card_state', schema=None) as batch_op:
        batch_op.add_column(sa.Column('memory_stability', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('memory_difficulty', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column(
            'memory_reviewed_at', quizapp.models.UTCDateTime(timezone=True), nullable=True
        ))
    # Existing histories get their memory now, a batch of card states at a time.
    backfill(op.get_bind())


def downgrade():
    with op.batch_alter_table('card_state', schema=None) as batch_op:
        batch_op.drop_column('memory_reviewed_at')
        batch_op.drop_column('memory_difficulty')
        batch_op.drop_column('memory_stability')
