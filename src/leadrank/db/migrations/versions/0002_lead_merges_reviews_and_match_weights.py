"""lead merges, review pairs and match weights; leads.match_block

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 01:38:10.946391
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import leadrank.orm.base

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lead_reviews",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("lead_a", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("lead_b", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_reviews")),
        sa.UniqueConstraint("lead_a", "lead_b", name=op.f("uq_lead_reviews_lead_a_lead_b")),
    )
    with op.batch_alter_table("lead_reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lead_reviews_lead_b"), ["lead_b"], unique=False)
        batch_op.create_index("ix_lead_reviews_status", ["status"], unique=False)

    op.create_table(
        "match_weights",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("entity", sa.String(length=16), nullable=False),
        sa.Column("trained_at", leadrank.orm.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("lead_count", sa.Integer(), nullable=False),
        sa.Column(
            "parameters",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_weights")),
    )
    op.create_table(
        "lead_merges",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "kept_lead_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "merged_lead_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("match_score", sa.Float(), nullable=True),
        sa.Column("decided_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", leadrank.orm.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("undone_at", leadrank.orm.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column(
            "snapshot",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["kept_lead_id"], ["leads.id"], name=op.f("fk_lead_merges_kept_lead_id_leads")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_merges")),
    )
    with op.batch_alter_table("lead_merges", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lead_merges_kept_lead_id"), ["kept_lead_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_lead_merges_merged_lead_id"), ["merged_lead_id"], unique=False
        )

    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("match_block", sa.String(length=48), nullable=True))
        batch_op.create_index(batch_op.f("ix_leads_match_block"), ["match_block"], unique=False)
    _fill_match_blocks()


def _fill_match_blocks() -> None:
    """Leads stored before this revision get their match block, so new ones can meet them."""
    import polars as pl

    from leadrank.matching.prepare import lead_blocks

    bind = op.get_bind()
    rows = bind.execute(
        sa.text("SELECT id, first_name, last_name, company_id, country_code FROM leads")
    ).all()
    if not rows:
        return
    frame = pl.DataFrame(
        rows,
        schema={
            "id": pl.Int64,
            "first": pl.String,
            "last": pl.String,
            "company": pl.Int64,
            "country": pl.String,
        },
        orient="row",
    )
    blocks = lead_blocks(frame["first"], frame["last"], frame["company"], frame["country"])
    updates = [
        {"id": lead_id, "block": block}
        for lead_id, block in zip(frame["id"].to_list(), blocks.to_list(), strict=True)
        if block is not None
    ]
    for start in range(0, len(updates), 50_000):
        bind.execute(
            sa.text("UPDATE leads SET match_block = :block WHERE id = :id"),
            updates[start : start + 50_000],
        )


def downgrade() -> None:
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_leads_match_block"))
        batch_op.drop_column("match_block")

    with op.batch_alter_table("lead_merges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lead_merges_merged_lead_id"))
        batch_op.drop_index(batch_op.f("ix_lead_merges_kept_lead_id"))

    op.drop_table("lead_merges")
    op.drop_table("match_weights")
    with op.batch_alter_table("lead_reviews", schema=None) as batch_op:
        batch_op.drop_index("ix_lead_reviews_status")
        batch_op.drop_index(batch_op.f("ix_lead_reviews_lead_b"))

    op.drop_table("lead_reviews")
