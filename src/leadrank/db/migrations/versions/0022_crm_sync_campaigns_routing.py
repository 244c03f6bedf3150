"""CRM links and sync states, campaign pushes, routing rule sets and turns, and how a
lead's owner came

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 14:28:28.108247
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import leadrank.orm.base

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "routing_rulesets",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column(
            "rules",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", leadrank.orm.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_rulesets")),
        sa.UniqueConstraint("version", name=op.f("uq_routing_rulesets_version")),
    )
    with op.batch_alter_table("routing_rulesets", schema=None) as batch_op:
        batch_op.create_index(
            "uq_routing_rulesets_active",
            ["active"],
            unique=True,
            sqlite_where=sa.text("active = 1"),
            postgresql_where=sa.text("active"),
        )

    op.create_table(
        "routing_turns",
        sa.Column("team", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("team", name=op.f("pk_routing_turns")),
    )
    op.create_table(
        "sync_states",
        sa.Column("vendor", sa.String(length=20), nullable=False),
        sa.Column("object_type", sa.String(length=20), nullable=False),
        sa.Column("modified_through", leadrank.orm.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_pull_at", leadrank.orm.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_push_at", leadrank.orm.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column(
            "last_result",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.PrimaryKeyConstraint("vendor", "object_type", name=op.f("pk_sync_states")),
    )
    op.create_table(
        "campaign_pushes",
        sa.Column("vendor", sa.String(length=20), nullable=False),
        sa.Column("campaign_id", sa.String(length=64), nullable=False),
        sa.Column("lead_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("remote_id", sa.String(length=64), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("pushed_at", leadrank.orm.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["leads.id"],
            name=op.f("fk_campaign_pushes_lead_id_leads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "vendor", "campaign_id", "lead_id", name=op.f("pk_campaign_pushes")
        ),
    )
    op.create_table(
        "crm_links",
        sa.Column("vendor", sa.String(length=20), nullable=False),
        sa.Column("object_type", sa.String(length=20), nullable=False),
        sa.Column("remote_id", sa.String(length=40), nullable=False),
        sa.Column("lead_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "company_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "pushed",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("pushed_at", leadrank.orm.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("push_error", sa.Text(), nullable=True),
        sa.Column(
            "remote_modified_at", leadrank.orm.base.UtcDateTime(timezone=True), nullable=True
        ),
        sa.Column("seen_at", leadrank.orm.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_crm_links_company_id_companies"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_crm_links_lead_id_leads"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("vendor", "object_type", "remote_id", name=op.f("pk_crm_links")),
    )
    with op.batch_alter_table("crm_links", schema=None) as batch_op:
        batch_op.create_index("ix_crm_links_company", ["company_id"], unique=False)
        batch_op.create_index("ix_crm_links_lead", ["lead_id"], unique=False)

    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_source", sa.String(length=120), nullable=True))
        batch_op.add_column(
            sa.Column(
                "owner_assigned_at", leadrank.orm.base.UtcDateTime(timezone=True), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_column("owner_assigned_at")
        batch_op.drop_column("owner_source")

    with op.batch_alter_table("crm_links", schema=None) as batch_op:
        batch_op.drop_index("ix_crm_links_lead")
        batch_op.drop_index("ix_crm_links_company")

    op.drop_table("crm_links")
    op.drop_table("campaign_pushes")
    op.drop_table("sync_states")
    op.drop_table("routing_turns")
    with op.batch_alter_table("routing_rulesets", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_routing_rulesets_active",
            sqlite_where=sa.text("active = 1"),
            postgresql_where=sa.text("active"),
        )

    op.drop_table("routing_rulesets")
