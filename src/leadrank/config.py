"""Typed settings: the one place that reads the environment (prefix LEADRANK_)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///./leadrank.db"


class Settings(BaseSettings):
    """Workspace settings; every field can be set as LEADRANK_<NAME> in the environment."""

    model_config = SettingsConfigDict(env_prefix="LEADRANK_", extra="ignore")

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="SQLAlchemy URL: sqlite:///path.db (default) or postgresql://...",
    )
    data_dir: Path = Field(
        default=Path("./leadrank-data"),
        description="Directory for artifacts: models, prediction lake, exports.",
    )
    ingest_chunk_rows: int = Field(
        default=100_000,
        ge=1_000,
        description="Rows processed per chunk when ingesting; bounds memory on large files.",
    )
    log_level: str = Field(default="WARNING")
    grade_thresholds: str = Field(
        default="90,75,50,25",
        description="Lowest combined score of grades A, B, C and D; below D is E.",
    )
    score_blend: str = Field(
        default="model=1,fit=0.5,engagement=0.5",
        description=(
            "How the combined score is made: the model's share, and the weights of ICP fit and "
            "engagement in the rest (the whole score when no model is active)."
        ),
    )

    api_model: str = Field(
        default="api-leads",
        description="Registry name of the table model the scoring API serves when active.",
    )
    api_demo_model: bool = Field(
        default=True,
        description="Serve the built-in demo model while no model of that name is active.",
    )
    api_max_body_bytes: int = Field(
        default=4 * 1024 * 1024, ge=1024, description="Larger request bodies get 413."
    )
    api_max_upload_bytes: int = Field(
        default=1024 * 1024 * 1024,
        ge=1024,
        description="Larger file uploads (POST /api/v1/imports) get 413.",
    )
    api_access_log: bool = Field(default=True, description="One JSON log line per request.")
    api_auth: bool | None = Field(
        default=None,
        description="Require API keys; unset: required as soon as one key exists.",
    )
    api_cors_origins: list[str] = Field(
        default_factory=list,
        description="Browser origins allowed to call the API (JSON list); none by default.",
    )
    api_opentelemetry: bool = Field(
        default=False,
        description=(
            "Let FastAPI report traces, metrics and logs to the OpenTelemetry providers set up "
            "in the process; off, its per-request check costs nothing."
        ),
    )
    api_workers: int = Field(
        default=1, ge=1, description="Worker processes sharing each key's rate limit."
    )

    run_jobs: bool = Field(
        default=True,
        description=(
            "Run background jobs (imports, training) inside each `leadrank serve` process, the "
            "embedded default; turn off where `leadrank worker` processes run them."
        ),
    )

    @field_validator("database_url")
    @classmethod
    def _normalise_driver(cls, url: str) -> str:
        # Users write postgresql://; psycopg 3 is the driver we ship.
        for prefix in ("postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        return url

    @property
    def is_sqlite(self) -> bool:
        """True when the workspace database is the embedded SQLite file."""
        return self.database_url.startswith("sqlite")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process, read once from the environment."""
    return Settings()
