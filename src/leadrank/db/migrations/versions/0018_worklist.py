"""The worklist walks the served scores in score and probability order, and keeps the words
of shared searches out of URLs

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 11:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import leadrank.orm.base

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEXES = {
    "ix_lead_scores_latest_score": ["score", "lead_id"],
    "ix_lead_scores_latest_probability": ["probability", "lead_id"],
}


def upgrade() -> None:
    op.create_table(
        "saved_searches",
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("words", sa.Text(), nullable=False),
        sa.Column("words_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", leadrank.orm.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_saved_searches")),
        sa.UniqueConstraint("words_hash", name=op.f("uq_saved_searches_words_hash")),
    )
    with op.batch_alter_table("lead_scores", schema=None) as batch_op:
        for name, columns in _INDEXES.items():
            batch_op.create_index(
                name,
                columns,
                unique=False,
                sqlite_where=sa.text("latest = 1"),
                postgresql_where=sa.text("latest"),
            )


def downgrade() -> None:
    op.drop_table("saved_searches")
    with op.batch_alter_table("lead_scores", schema=None) as batch_op:
        for name in _INDEXES:
            batch_op.drop_index(
                name, sqlite_where=sa.text("latest = 1"), postgresql_where=sa.text("latest")
            )
