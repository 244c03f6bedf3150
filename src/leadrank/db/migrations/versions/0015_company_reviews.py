"""Companies that may be one organisation wait for review; a name found to be a company, and a
company folded into another, leave their match keys behind as aliases

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 09:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import leadrank.orm.base

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "company_reviews",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "company_a", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "company_b", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("match_score", sa.Float(), nullable=False),
        sa.Column(
            "reasons",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", leadrank.orm.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", leadrank.orm.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_company_reviews")),
        sa.UniqueConstraint(
            "company_a", "company_b", name=op.f("uq_company_reviews_company_a_company_b")
        ),
    )
    with op.batch_alter_table("company_reviews", schema=None) as batch_op:
        batch_op.create_index("ix_company_reviews_status", ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_company_reviews_company_b"), ["company_b"], unique=False
        )
    op.create_table(
        "company_aliases",
        sa.Column("match_key", sa.String(length=300), nullable=False),
        sa.Column(
            "company_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("folded_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("match_score", sa.Float(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", leadrank.orm.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_company_aliases_company_id_companies"),
        ),
        sa.PrimaryKeyConstraint("match_key", name=op.f("pk_company_aliases")),
    )
    with op.batch_alter_table("company_aliases", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_company_aliases_company_id"), ["company_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_company_aliases_folded_id"), ["folded_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("company_aliases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_company_aliases_folded_id"))
        batch_op.drop_index(batch_op.f("ix_company_aliases_company_id"))
    op.drop_table("company_aliases")
    with op.batch_alter_table("company_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_company_reviews_company_b"))
        batch_op.drop_index("ix_company_reviews_status")
    op.drop_table("company_reviews")
