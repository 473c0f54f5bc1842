"""Closed learner days of review history summed once: review_day_total, review_day_mark

Revision ID: 3f6b9d1c7e25
Revises: 8a4c2e6b1f37
Create Date: 2026-11-26 23:30:00

The progress page summed every answer of a learner per day on each view. Days that have
ended are now summed once, when the page is next read (services.history_days), so the tables
start empty: no existing row needs converting.
"""
from alembic import op
import sqlalchemy as sa

import quizapp.models


revision = '3f6b9d1c7e25'
down_revision = "8a4c2e6b1f37"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'review_day_total',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('deck_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Integer(), nullable=False),
        sa.Column('reviews', sa.Integer(), nullable=False),
        sa.Column('milliseconds', sa.BigInteger(), nullable=False),
        sa.Column('retention_reviews', sa.Integer(), nullable=False),
        sa.Column('retention_passed', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['deck_id'], ['deck.id'],
                                name=op.f('fk_review_day_total_deck_id_deck'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'],
                                name=op.f('fk_review_day_total_user_id_user'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'deck_id', 'day', name=op.f('pk_review_day_total')),
    )
    op.create_table(
        'review_day_mark',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('timezone', sa.String(length=64), nullable=False),
        sa.Column('rolled_until', quizapp.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'],
                                name=op.f('fk_review_day_mark_user_id_user'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_review_day_mark')),
    )


def downgrade():
    op.drop_table('review_day_mark')
    op.drop_table('review_day_total')
