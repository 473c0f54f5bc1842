"""The due index carries each state's totals: the class dashboard's passes read no table row

Revision ID: 3f9b7d1c5e24
Revises: 3f6b9d1c7e25
Create Date: 2026-11-27 00:10:00

The class dashboard sums a whole class's card states twice (per side, per student), driven
by each member's (user, deck) entries of ix_card_state_due, and SQLite then read every
state's table row (its scheduler JSON beside the few columns summed). The same index with
those columns after its key answers both passes alone: the query for due cards is served as
before, and the table keeps the same number of indexes to write on each answer (the due date
changes with nearly every answer, so its entry was rewritten anyway).
"""
from alembic import op


revision = '3f9b7d1c5e24'
down_revision = "3f6b9d1c7e25"
branch_labels = None
depends_on = None

KEY = ['user_id', 'deck_id', 'due']
TOTALS = ['card_id', 'ordinal', 'stage', 'answers', 'failures', 'retention_answers',
          'retention_passed', 'memory_stability', 'memory_reviewed_at']


def upgrade():
    op.drop_index('ix_card_state_due', table_name='card_state')
    op.create_index('ix_card_state_due', 'card_state', KEY + TOTALS, unique=False)


def downgrade():
    op.drop_index('ix_card_state_due', table_name='card_state')
    op.create_index('ix_card_state_due', 'card_state', KEY, unique=False)
