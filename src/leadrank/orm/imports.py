"""An import: one file (or request) received from a source, with its counts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from leadrank.orm.base import Base, BigId, JsonType, UtcDateTime


class Import(Base):
    """One ingestion run of a file; the bronze records it brought point back here."""

    __tablename__ = "imports"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # leads | events
    source: Mapped[str] = mapped_column(String(100), index=True)
    file_name: Mapped[str] = mapped_column(Text)
    file_hash: Mapped[str] = mapped_column(String(64), index=True)
    file_format: Mapped[str] = mapped_column(String(16))
    mapping: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="running")  # queued|running|done|failed
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_new: Mapped[int] = mapped_column(Integer, default=0)
    rows_duplicate: Mapped[int] = mapped_column(Integer, default=0)
    rows_quarantined: Mapped[int] = mapped_column(Integer, default=0)
    leads_created: Mapped[int] = mapped_column(Integer, default=0)
    leads_updated: Mapped[int] = mapped_column(Integer, default=0)
    companies_created: Mapped[int] = mapped_column(Integer, default=0)
    events_created: Mapped[int] = mapped_column(Integer, default=0)
    events_repeated: Mapped[int] = mapped_column(Integer, default=0)  # the same event id again
    error: Mapped[str | None] = mapped_column(Text)
    # The import this one repeats, when the same file from the same source came in before.
    repeat_of: Mapped[int | None] = mapped_column(BigId, ForeignKey("imports.id"))
    # The background job that runs an uploaded file's import (no foreign key: SQLite could
    # only add one by copying this table, which every bronze record refers to).
    job_id: Mapped[int | None] = mapped_column(BigId)
