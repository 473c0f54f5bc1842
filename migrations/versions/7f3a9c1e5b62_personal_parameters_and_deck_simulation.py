"""Personal FSRS parameters per learner and deck; the simulator's figures per deck

Revision ID: 7f3a9c1e5b62
Revises: 7a3f2c9d1e58
Create Date: 2026-11-26 17:00:00

"""
from alembic import op
import sqlalchemy as sa

import quizapp.models


revision = '7f3a9c1e5b62'
down_revision = "7a3f2c9d1e58"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('learner_scheduler_params',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('deck_id', sa.Integer(), nullable=False),
    sa.Column('parameters', sa.JSON(), nullable=True),
    sa.Column('reviews_used', sa.Integer(), nullable=False),
    sa.Column('log_loss_default', sa.Float(), nullable=False),
    sa.Column('log_loss_fitted', sa.Float(), nullable=True),
    sa.Column('fitted_at', quizapp.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['deck_id'], ['deck.id'], name=op.f('fk_learner_scheduler_params_deck_id_deck'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_learner_scheduler_params_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_learner_scheduler_params')),
    sa.UniqueConstraint('user_id', 'deck_id', name=op.f('uq_learner_scheduler_params_user_id_deck_id'))
    )
    op.create_index(op.f('ix_learner_scheduler_params_deck_id'), 'learner_scheduler_params', ['deck_id'], unique=False)
    op.create_table('deck_simulation',
    sa.Column('deck_id', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sa.String(length=200), nullable=False),
    sa.Column('results', sa.JSON(), nullable=False),
    sa.Column('computed_at', quizapp.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['deck_id'], ['deck.id'], name=op.f('fk_deck_simulation_deck_id_deck'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('deck_id', name=op.f('pk_deck_simulation'))
    )


def downgrade():
    op.drop_table('deck_simulation')
    op.drop_index(op.f('ix_learner_scheduler_params_deck_id'), table_name='learner_scheduler_params')
    op.drop_table('learner_scheduler_params')
