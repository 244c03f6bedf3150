"""each lead's and company's latest served score is marked; leads wait to be rescored

Runs may now score only the leads that changed, so "the newest run's rows" no longer holds
every lead's score: the lead's newest served row is marked `latest` instead (and kept by the
score history's retention). Runs say whether they covered every lead and what their scores
meant, and leads whose data changed wait in `pending_rescores` for the next such run.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import leadrank.orm.base

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The newest row of each lead (company) among the finished runs whose scores are served.
_NEWEST_SERVED = (
    "SELECT max(s.id) FROM {table} AS s JOIN score_runs AS r ON r.id = s.run_id"
    " WHERE r.stage IN ('active', 'rules') AND r.finished_at IS NOT NULL GROUP BY s.{key}"
)


def upgrade() -> None:
    with op.batch_alter_table("score_runs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("scope", sa.String(length=16), nullable=False, server_default="all")
        )
        batch_op.add_column(sa.Column("basis", sa.String(length=64), nullable=True))
    for table, key in (("lead_scores", "lead_id"), ("account_scores", "company_id")):
        # A default written as text: with an expression, SQLite's batch mode would copy the
        # whole table (every score ever stored) instead of adding a column.
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("latest", sa.Boolean(), nullable=False, server_default="0")
            )
        newest = _NEWEST_SERVED.format(table=table, key=key)
        op.execute(sa.text(f"UPDATE {table} SET latest = true WHERE id IN ({newest})"))
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(
                f"uq_{table}_latest",
                [key],
                unique=True,
                sqlite_where=sa.text("latest = 1"),
                postgresql_where=sa.text("latest"),
            )
    op.create_table(
        "pending_rescores",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("lead_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("marked_at", leadrank.orm.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_rescores")),
    )


def downgrade() -> None:
    op.drop_table("pending_rescores")
    for table in ("account_scores", "lead_scores"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f"uq_{table}_latest")
            batch_op.drop_column("latest")
    with op.batch_alter_table("score_runs", schema=None) as batch_op:
        batch_op.drop_column("basis")
        batch_op.drop_column("scope")
