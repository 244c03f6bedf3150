"""bronze, silver leads, companies and events

Revision ID: 0001
Revises:
Create Date: 2026-11-22 13:46:35.793302
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import leadrank.orm.base

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "companies",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("match_key", sa.String(length=300), nullable=False),
        sa.Column("domain", sa.String(length=253), nullable=True),
        sa.Column("name_key", sa.String(length=300), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("linkedin_url", sa.Text(), nullable=True),
        sa.Column("industry", sa.Text(), nullable=True),
        sa.Column("employees", sa.BigInteger(), nullable=True),
        sa.Column("employees_min", sa.BigInteger(), nullable=True),
        sa.Column("employees_max", sa.BigInteger(), nullable=True),
        sa.Column("revenue", sa.Float(), nullable=True),
        sa.Column("revenue_min", sa.Float(), nullable=True),
        sa.Column("revenue_max", sa.Float(), nullable=True),
        sa.Column("country_code", sa.String(length=2), nullable=True),
        sa.Column("provenance", leadrank.orm.base.EncodedJson(), nullable=False),
        sa.Column("created_at", leadrank.orm.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", leadrank.orm.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_companies")),
        sa.UniqueConstraint("match_key", name=op.f("uq_companies_match_key")),
    )
    with op.batch_alter_table("companies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_companies_domain"), ["domain"], unique=False)
        batch_op.create_index(batch_op.f("ix_companies_name_key"), ["name_key"], unique=False)

    op.create_table(
        "imports",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("file_hash", sa.String(length=64), nullable=False),
        sa.Column("file_format", sa.String(length=16), nullable=False),
        sa.Column(
            "mapping",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", leadrank.orm.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", leadrank.orm.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("rows_new", sa.Integer(), nullable=False),
        sa.Column("rows_duplicate", sa.Integer(), nullable=False),
        sa.Column("rows_quarantined", sa.Integer(), nullable=False),
        sa.Column("leads_created", sa.Integer(), nullable=False),
        sa.Column("leads_updated", sa.Integer(), nullable=False),
        sa.Column("companies_created", sa.Integer(), nullable=False),
        sa.Column("events_created", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("repeat_of", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.ForeignKeyConstraint(
            ["repeat_of"], ["imports.id"], name=op.f("fk_imports_repeat_of_imports")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imports")),
    )
    with op.batch_alter_table("imports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_imports_file_hash"), ["file_hash"], unique=False)
        batch_op.create_index(batch_op.f("ix_imports_source"), ["source"], unique=False)

    op.create_table(
        "leads",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "company_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("email_valid", sa.Boolean(), nullable=True),
        sa.Column("email_free_mail", sa.Boolean(), nullable=True),
        sa.Column("email_disposable", sa.Boolean(), nullable=True),
        sa.Column("email_role", sa.Boolean(), nullable=True),
        sa.Column("phone_e164", sa.String(length=20), nullable=True),
        sa.Column("first_name", sa.Text(), nullable=True),
        sa.Column("last_name", sa.Text(), nullable=True),
        sa.Column("full_name", sa.Text(), nullable=True),
        sa.Column("job_title", sa.Text(), nullable=True),
        sa.Column("seniority", sa.String(length=16), nullable=True),
        sa.Column("department", sa.String(length=32), nullable=True),
        sa.Column("linkedin_url", sa.Text(), nullable=True),
        sa.Column("city", sa.Text(), nullable=True),
        sa.Column("state", sa.Text(), nullable=True),
        sa.Column("country_code", sa.String(length=2), nullable=True),
        sa.Column("company_name", sa.Text(), nullable=True),
        sa.Column("company_domain", sa.String(length=253), nullable=True),
        sa.Column("lead_source", sa.Text(), nullable=True),
        sa.Column("lead_status", sa.Text(), nullable=True),
        sa.Column("source_created_at", leadrank.orm.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("quality_score", sa.Float(), nullable=True),
        sa.Column("issues", leadrank.orm.base.EncodedJson(), nullable=False),
        sa.Column("attributes", leadrank.orm.base.EncodedJson(), nullable=False),
        sa.Column("provenance", leadrank.orm.base.EncodedJson(), nullable=False),
        sa.Column("sources", leadrank.orm.base.EncodedJson(), nullable=False),
        sa.Column("created_at", leadrank.orm.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", leadrank.orm.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_leads_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leads")),
        # A merged lead's id must never be given to another: undoing the merge brings it back.
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_leads_company_id"), ["company_id"], unique=False)

    op.create_table(
        "bronze_records",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "import_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("file_name", sa.String(length=500), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("received_at", leadrank.orm.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("payload", leadrank.orm.base.EncodedJson(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reasons", leadrank.orm.base.EncodedJson(), nullable=True),
        sa.Column("lead_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.ForeignKeyConstraint(
            ["import_id"], ["imports.id"], name=op.f("fk_bronze_records_import_id_imports")
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_bronze_records_lead_id_leads")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bronze_records")),
        sa.UniqueConstraint(
            "source",
            "kind",
            "content_hash",
            name=op.f("uq_bronze_records_source_kind_content_hash"),
        ),
    )
    with op.batch_alter_table("bronze_records", schema=None) as batch_op:
        batch_op.create_index(
            "ix_bronze_records_import_row", ["import_id", "row_number"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_bronze_records_lead_id"), ["lead_id"], unique=False)
        batch_op.create_index(
            "ix_bronze_records_quarantined",
            ["source"],
            unique=False,
            sqlite_where=sa.text("status = 'quarantined'"),
            postgresql_where=sa.text("status = 'quarantined'"),
        )

    op.create_table(
        "lead_keys",
        sa.Column("key_type", sa.String(length=16), nullable=False),
        sa.Column("key_value", sa.String(length=400), nullable=False),
        sa.Column("lead_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], name=op.f("fk_lead_keys_lead_id_leads")),
        sa.PrimaryKeyConstraint("key_type", "key_value", name=op.f("pk_lead_keys")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("lead_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lead_keys_lead_id"), ["lead_id"], unique=False)

    op.create_table(
        "events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("lead_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("occurred_at", leadrank.orm.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("properties", leadrank.orm.base.EncodedJson(), nullable=False),
        sa.Column(
            "record_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], name=op.f("fk_events_lead_id_leads")),
        sa.ForeignKeyConstraint(
            ["record_id"], ["bronze_records.id"], name=op.f("fk_events_record_id_bronze_records")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("record_id", name=op.f("uq_events_record_id")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_events_event_type"), ["event_type"], unique=False)
        batch_op.create_index("ix_events_lead_time", ["lead_id", "occurred_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_lead_time")
        batch_op.drop_index(batch_op.f("ix_events_event_type"))

    op.drop_table("events")
    with op.batch_alter_table("lead_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lead_keys_lead_id"))

    op.drop_table("lead_keys")
    with op.batch_alter_table("bronze_records", schema=None) as batch_op:
        batch_op.drop_index("ix_bronze_records_status")
        batch_op.drop_index(batch_op.f("ix_bronze_records_lead_id"))
        batch_op.drop_index("ix_bronze_records_import_row")

    op.drop_table("bronze_records")
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_leads_email"))
        batch_op.drop_index(batch_op.f("ix_leads_created_at"))
        batch_op.drop_index(batch_op.f("ix_leads_company_id"))

    op.drop_table("leads")
    with op.batch_alter_table("imports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_imports_source"))
        batch_op.drop_index(batch_op.f("ix_imports_file_hash"))

    op.drop_table("imports")
    with op.batch_alter_table("companies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_companies_domain"))

    op.drop_table("companies")
