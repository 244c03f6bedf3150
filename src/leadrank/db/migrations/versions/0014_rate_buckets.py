"""API key rate limits are counted in one token bucket per key that every process shares

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import leadrank.orm.base

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # No rows: a key's bucket starts full the first time it is used after the upgrade, as a
    # restarted process's did before.
    op.create_table(
        "rate_buckets",
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("updated_at", leadrank.orm.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("prefix", name=op.f("pk_rate_buckets")),
    )


def downgrade() -> None:
    op.drop_table("rate_buckets")
