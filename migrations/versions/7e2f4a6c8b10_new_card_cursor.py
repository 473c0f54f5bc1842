"""Study sessions remember where the search for the next new card starts; cards indexed in
deck order with its tie-break

Revision ID: 7e2f4a6c8b10
Revises: 7f3a9c1e5b62
Create Date: 2026-11-26 16:50:00

Existing sessions get no starting point (NULL): their next search starts at the top of the
deck, as every search did before, and records one.
"""
from alembic import op
import sqlalchemy as sa


revision = '7e2f4a6c8b10'
down_revision = "7f3a9c1e5b62"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('study_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('new_from_position', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('new_from_card', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('new_from_version', sa.Integer(), nullable=True))
    op.create_index('ix_card_deck_order', 'card', ['deck_id', 'position', 'id'], unique=False)
    op.drop_index('ix_card_deck_position', table_name='card')


def downgrade():
    op.create_index('ix_card_deck_position', 'card', ['deck_id', 'position'], unique=False)
    op.drop_index('ix_card_deck_order', table_name='card')
    with op.batch_alter_table('study_session', schema=None) as batch_op:
        batch_op.drop_column('new_from_version')
        batch_op.drop_column('new_from_card')
        batch_op.drop_column('new_from_position')
