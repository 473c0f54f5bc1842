"""A session's open queue has an index of its own

Revision ID: 9c2e5a7d4b13
Revises: 3f9b7d1c5e24
Create Date: 2026-11-27 15:00:00

Every study page reads its session's open queue items (cleared_by IS NULL) joined to the
session. PostgreSQL's generic plan for that read could scan the open items of every session
through ix_study_queue_item_cleared_by and filter them by session: a walk that grows with all
learners' queues (1.1 ms per page read under the HTTP bench). A partial index on the session
of open items serves exactly that read.
"""
import sqlalchemy as sa
from alembic import op

revision = '9c2e5a7d4b13'
down_revision = "3f9b7d1c5e24"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_study_queue_item_open', 'study_queue_item', ['session_id'], unique=False,
                    sqlite_where=sa.text('cleared_by IS NULL'),
                    postgresql_where=sa.text('cleared_by IS NULL'))


def downgrade():
    op.drop_index('ix_study_queue_item_open', table_name='study_queue_item')
