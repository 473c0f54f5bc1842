"""Background jobs (job, job_file) and source document locations

Revision ID: 5b1c0e7a9d24
Revises: c4e1b7d2a9f3
Create Date: 2026-11-26 13:05:00

"""
from alembic import op
import sqlalchemy as sa

import quizapp.models


revision = '5b1c0e7a9d24'
down_revision = "c4e1b7d2a9f3"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=True),
    sa.Column('upload_token', sa.String(length=64), nullable=True),
    sa.Column('stage', sa.String(length=200), nullable=False),
    sa.Column('percent', sa.Integer(), nullable=False),
    sa.Column('documents_read', sa.Integer(), nullable=False),
    sa.Column('documents_total', sa.Integer(), nullable=False),
    sa.Column('facts', sa.Integer(), nullable=False),
    sa.Column('cards', sa.Integer(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('claim', sa.String(length=64), nullable=True),
    sa.Column('deck_id', sa.Integer(), nullable=True),
    sa.Column('created_at', quizapp.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('heartbeat_at', quizapp.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', quizapp.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['deck_id'], ['deck.id'], name=op.f('fk_job_deck_id_deck'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_job_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job'))
    )
    op.create_index('ix_job_user_status', 'job', ['user_id', 'status'], unique=False)
    op.create_table('job_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['job.id'], name=op.f('fk_job_file_job_id_job'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_file'))
    )
    op.create_index(op.f('ix_job_file_job_id'), 'job_file', ['job_id'], unique=False)
    with op.batch_alter_table('source_document', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locations', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('source_document', schema=None) as batch_op:
        batch_op.drop_column('locations')
    op.drop_index(op.f('ix_job_file_job_id'), table_name='job_file')
    op.drop_table('job_file')
    op.drop_index('ix_job_user_status', table_name='job')
    op.drop_table('job')
