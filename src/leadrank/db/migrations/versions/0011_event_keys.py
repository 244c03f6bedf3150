"""events named by their source (an event id) are stored once per source

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 08:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("event_key", sa.String(length=200), nullable=True))
        batch_op.create_index(
            "uq_events_source_key",
            ["source", "event_key"],
            unique=True,
            sqlite_where=sa.text("event_key IS NOT NULL"),
            postgresql_where=sa.text("event_key IS NOT NULL"),
        )
    with op.batch_alter_table("imports", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("events_repeated", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("imports", schema=None) as batch_op:
        batch_op.drop_column("events_repeated")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("uq_events_source_key")
        batch_op.drop_column("event_key")
