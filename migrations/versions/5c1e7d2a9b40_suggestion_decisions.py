"""An instructor's accepted or dropped generation suggestions

Revision ID: 5c1e7d2a9b40
Revises: 82ac7c92e3a0
Create Date: 2026-11-26 13:10:00

"""
import sqlalchemy as sa
from alembic import op

import quizapp.models

revision = "5c1e7d2a9b40"
down_revision = "82ac7c92e3a0"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "suggestion_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deck_id", sa.Integer(), nullable=False),
        sa.Column("suggestion_id", sa.String(length=200), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("added_guids", sa.JSON(), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", quizapp.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["deck_id"], ["deck.id"],
                                name=op.f("fk_suggestion_decision_deck_id_deck"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["decided_by"], ["user.id"],
                                name=op.f("fk_suggestion_decision_decided_by_user"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suggestion_decision")),
        sa.UniqueConstraint("deck_id", "suggestion_id",
                            name=op.f("uq_suggestion_decision_deck_id_suggestion_id")),
    )


def downgrade():
    op.drop_table("suggestion_decision")
