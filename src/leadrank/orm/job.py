"""A background job: what to do (a task name and its arguments), and what became of it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from leadrank.orm.base import Base, BigId, JsonType, UtcDateTime


class Job(Base):
    """One deferred unit of work; it is written in the same transaction as the rows it refers
    to, so a job never exists without them and they never wait for a job that was lost."""

    __tablename__ = "jobs"
    __table_args__ = (
        # One queued job per queueing lock: a burst of triggers (webhook events, imports)
        # queues one rescore, not one per trigger.
        Index(
            "uq_jobs_queued_lock",
            "queueing_lock",
            unique=True,
            sqlite_where=text("status = 'queued'"),
            postgresql_where=text("status = 'queued'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    task: Mapped[str] = mapped_column(String(50), index=True)  # train_model | import_file
    arguments: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    status: Mapped[str] = mapped_column(String(16), index=True)  # queued|running|succeeded|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    requested_by: Mapped[str | None] = mapped_column(String(200))  # an API key's prefix, or cli
    worker: Mapped[str | None] = mapped_column(String(200))  # host:pid of the running process
    progress: Mapped[dict[str, Any] | None] = mapped_column(JsonType)  # {stage, done, total}
    result: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Not before this time: a failed attempt waits out its backoff before the next.
    run_after: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Jobs sharing a lock run one at a time (the rows they all write: "scores").
    lock: Mapped[str | None] = mapped_column(String(100))
    queueing_lock: Mapped[str | None] = mapped_column(String(100))
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
