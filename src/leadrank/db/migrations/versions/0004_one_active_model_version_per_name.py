"""one active model version per name

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 05:35:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Two promotions at once could leave a name with two active versions: keep the one that
    # became active last, as scoring did, so the index can be built.
    op.execute(
        sa.text(
            "UPDATE model_versions SET stage = 'archived' WHERE stage = 'active' AND id NOT IN ("
            " SELECT id FROM model_versions AS newest WHERE newest.stage = 'active'"
            " AND NOT EXISTS (SELECT 1 FROM model_versions AS later"
            " WHERE later.name = newest.name AND later.stage = 'active'"
            " AND (later.stage_changed_at > newest.stage_changed_at"
            " OR (later.stage_changed_at = newest.stage_changed_at AND later.id > newest.id))))"
        )
    )
    with op.batch_alter_table("model_versions", schema=None) as batch_op:
        batch_op.create_index(
            "uq_model_versions_one_active",
            ["name"],
            unique=True,
            sqlite_where=sa.text("stage = 'active'"),
            postgresql_where=sa.text("stage = 'active'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("model_versions", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_model_versions_one_active",
            sqlite_where=sa.text("stage = 'active'"),
            postgresql_where=sa.text("stage = 'active'"),
        )
