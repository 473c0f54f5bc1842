"""Study sessions and their queues on the server

Revision ID: 5d1e7c3a9b20
Revises: 5c1e7d2a9b40
Create Date: 2026-11-26 13:20:00

"""
from alembic import op
import sqlalchemy as sa

import quizapp.models


# revision identifiers, used by Alembic.
revision = '5d1e7c3a9b20'
down_revision = "5c1e7d2a9b40"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('study_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('deck_id', sa.Integer(), nullable=False),
    sa.Column('mode', sa.String(length=10), nullable=False),
    sa.Column('started_at', quizapp.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('extra_new_day', sa.Date(), nullable=True),
    sa.Column('extra_new', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['deck_id'], ['deck.id'], name=op.f('fk_study_session_deck_id_deck'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_study_session_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_study_session')),
    sa.UniqueConstraint('user_id', 'deck_id', 'mode', name=op.f('uq_study_session_user_id_deck_id_mode'))
    )
    op.create_table('study_queue_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('card_id', sa.Integer(), nullable=False),
    sa.Column('ordinal', sa.Integer(), nullable=False),
    sa.Column('added_by', sa.Integer(), nullable=True),
    sa.Column('cleared_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['card_id'], ['card.id'], name=op.f('fk_study_queue_item_card_id_card'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['study_session.id'], name=op.f('fk_study_queue_item_session_id_study_session'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_study_queue_item'))
    )
    with op.batch_alter_table('study_queue_item', schema=None) as batch_op:
        batch_op.create_index('ix_study_queue_item_session', ['session_id', 'kind', 'card_id'], unique=False)
        batch_op.create_index('ix_study_queue_item_added_by', ['added_by'], unique=False)
        batch_op.create_index('ix_study_queue_item_cleared_by', ['cleared_by'], unique=False)


def downgrade():
    with op.batch_alter_table('study_queue_item', schema=None) as batch_op:
        batch_op.drop_index('ix_study_queue_item_cleared_by')
        batch_op.drop_index('ix_study_queue_item_added_by')
        batch_op.drop_index('ix_study_queue_item_session')
    op.drop_table('study_queue_item')
    op.drop_table('study_session')
