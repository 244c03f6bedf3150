"""Bronze: every received record exactly as it was sent. Append-only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from leadrank.orm.base import Base, BigId, EncodedJson, UtcDateTime


class BronzeRecord(Base):
    """One row of a file (or one webhook payload) stored verbatim, with where it came from."""

    __tablename__ = "bronze_records"
    __table_args__ = (
        # Re-sending the same record from the same source is a no-op.
        UniqueConstraint("source", "kind", "content_hash"),
        Index("ix_bronze_records_import_row", "import_id", "row_number"),
        # Only quarantined records are ever listed by status; loaded ones need no index entry.
        Index(
            "ix_bronze_records_quarantined",
            "source",
            sqlite_where=text("status = 'quarantined'"),
            postgresql_where=text("status = 'quarantined'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    import_id: Mapped[int] = mapped_column(BigId, ForeignKey("imports.id"))
    kind: Mapped[str] = mapped_column(String(16))  # leads | events
    source: Mapped[str] = mapped_column(String(100))
    file_name: Mapped[str] = mapped_column(String(500))
    row_number: Mapped[int] = mapped_column(Integer)  # 1-based record number in the file
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    content_hash: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(EncodedJson)
    status: Mapped[str] = mapped_column(String(16))  # loaded | quarantined | repeated
    reasons: Mapped[list[str] | None] = mapped_column(EncodedJson)
    lead_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("leads.id"), index=True)
