"""provider rate limits count each call in a log instead of two weighted windows

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import leadrank.orm.base

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "provider_calls",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("called_at", leadrank.orm.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_calls")),
    )
    op.create_index("ix_provider_calls_provider_time", "provider_calls", ["provider", "called_at"])
    # The counts of the old windows are not calls one can place in time: they are dropped, and
    # the first minute after the upgrade may see up to one window's worth more calls.
    with op.batch_alter_table("provider_states", schema=None) as batch_op:
        batch_op.drop_column("window_previous_calls")
        batch_op.drop_column("window_calls")
        batch_op.drop_column("window_started_at")


def downgrade() -> None:
    with op.batch_alter_table("provider_states", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "window_started_at", leadrank.orm.base.UtcDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column("window_calls", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("window_previous_calls", sa.Integer(), nullable=False, server_default="0")
        )
    op.drop_index("ix_provider_calls_provider_time", table_name="provider_calls")
    op.drop_table("provider_calls")
