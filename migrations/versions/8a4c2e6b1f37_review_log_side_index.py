"""Review log indexed by side: (card, learner, ordinal, time) replaces the card-only index

Revision ID: 8a4c2e6b1f37
Revises: 5d8b2e6f4a19
Create Date: 2026-11-26 21:20:00

Replaying one side's answers (memory rebuilt after an Anki progress import, memory after an
undo) joined the log on the learner's time index alone, so SQLite read a learner's whole log
for every side: quadratic in the history (1,000 imported cards took minutes). The new index
starts with the card, so everything the card-only index served still finds its rows, and the
table keeps the same number of indexes to write on each answer.
"""
from alembic import op


revision = '8a4c2e6b1f37'
down_revision = "5d8b2e6f4a19"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_review_log_side', 'review_log',
                    ['card_id', 'user_id', 'ordinal', 'answered_at'], unique=False)
    op.drop_index('ix_review_log_card', table_name='review_log')


def downgrade():
    op.create_index('ix_review_log_card', 'review_log', ['card_id'], unique=False)
    op.drop_index('ix_review_log_side', table_name='review_log')
