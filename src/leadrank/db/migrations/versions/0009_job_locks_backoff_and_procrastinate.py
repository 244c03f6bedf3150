"""job locks, backoff and procrastinate's schema

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 19:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import leadrank.orm.base

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("run_after", leadrank.orm.base.UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("lock", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("queueing_lock", sa.String(length=100), nullable=True))
        batch_op.create_index(
            "uq_jobs_queued_lock",
            ["queueing_lock"],
            unique=True,
            sqlite_where=sa.text("status = 'queued'"),
            postgresql_where=sa.text("status = 'queued'"),
        )
    if op.get_bind().dialect.name == "postgresql":
        # PostgreSQL workers are procrastinate's: its tables and functions, at the version
        # pinned in pyproject.toml, unless this database already has them.
        from leadrank.jobs.procrastinate_schema import apply_schema

        apply_schema(op.get_bind())


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        from leadrank.jobs.procrastinate_schema import drop_schema

        drop_schema(op.get_bind())
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("uq_jobs_queued_lock")
        batch_op.drop_column("queueing_lock")
        batch_op.drop_column("lock")
        batch_op.drop_column("run_after")
