"""Rate-limit counters in the database, shared by every worker

Revision ID: c4e1b7d2a9f3
Revises: 5d1e7c3a9b20
Create Date: 2026-11-26 13:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c4e1b7d2a9f3'
down_revision = "5d1e7c3a9b20"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('rate_limit_counter',
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.Column('expires_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_rate_limit_counter'))
    )
    op.create_index(op.f('ix_rate_limit_counter_expires_at'), 'rate_limit_counter',
                    ['expires_at'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_rate_limit_counter_expires_at'), table_name='rate_limit_counter')
    op.drop_table('rate_limit_counter')
