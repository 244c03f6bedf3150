"""Each stored score carries the worklist's sort key of its top reason, indexed for the
served scores

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The served scores get their key now; older rows are never listed, and new runs write it.
_FIRST = {
    "sqlite": (
        "coalesce(json_extract(reasons, '$.positive[0]'), json_extract(reasons, '$.negative[0]'))"
    ),
    "postgresql": "coalesce((reasons -> 'positive') ->> 0, (reasons -> 'negative') ->> 0)",
}


def upgrade() -> None:
    with op.batch_alter_table("lead_scores", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason_key", sa.Text(), nullable=True))
    first = _FIRST[op.get_bind().dialect.name]
    latest = "latest = 1" if op.get_bind().dialect.name == "sqlite" else "latest"
    op.execute(
        f"UPDATE lead_scores SET reason_key = CASE WHEN coalesce({first}, '') = '' THEN '1' "
        f"ELSE '0' || lower({first}) END WHERE {latest}"
    )
    with op.batch_alter_table("lead_scores", schema=None) as batch_op:
        batch_op.create_index(
            "ix_lead_scores_latest_reason",
            ["reason_key", "lead_id"],
            unique=False,
            sqlite_where=sa.text("latest = 1"),
            postgresql_where=sa.text("latest"),
        )


def downgrade() -> None:
    with op.batch_alter_table("lead_scores", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_lead_scores_latest_reason",
            sqlite_where=sa.text("latest = 1"),
            postgresql_where=sa.text("latest"),
        )
        batch_op.drop_column("reason_key")
