"""Typed settings: the one place that reads the environment (prefix LEADRANK_)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from leadrank.errors import BadInput
from leadrank.grades import Blend, GradeScale

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
    safe_spreadsheet_cells: bool = Field(
        default=True,
        description=(
            "In CSV, TSV and Excel files written by clean, dedupe, score, icp apply, leads "
            "export and quarantine: a ' before text cells a spreadsheet would run as formulas "
            "(=, +, -, @, tab, CR; plain numbers stay); --raw-cells turns it off per command."
        ),
    )
    # Written as text ("90,75,50,25", "model=1,fit=0.5,engagement=0.5"), parsed once here.
    grade_thresholds: Annotated[GradeScale, NoDecode] = Field(
        default=GradeScale(),
        description="Lowest combined score of grades A, B, C and D; below D is E.",
    )
    score_blend: Annotated[Blend, NoDecode] = Field(
        default=Blend(),
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
    api_model_check_seconds: float = Field(
        default=2.0,
        ge=0,
        description=(
            "How often each API process looks for a newly active model (or profile) to serve; "
            "0: only at start."
        ),
    )
    api_max_body_bytes: int = Field(
        default=4 * 1024 * 1024, ge=1024, description="Larger request bodies get 413."
    )
    api_body_timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        allow_inf_nan=False,
        description="A request whose body stops arriving for this long gets 408.",
    )
    api_max_upload_bytes: int = Field(
        default=1024 * 1024 * 1024,
        ge=1024,
        description="Larger file uploads (POST /api/v1/imports) get 413.",
    )
    max_workbook_cells: int = Field(
        default=20_000_000,
        ge=1,
        description=(
            "Largest Excel sheet read, in cells from its first to its last row and column "
            "(empty ones count: the reader lays the sheet out whole)."
        ),
    )
    max_workbook_bytes: int = Field(
        default=1024 * 1024 * 1024, ge=1024, description="Largest Excel workbook read, unzipped."
    )
    api_access_log: bool = Field(default=True, description="One JSON log line per request.")
    api_auth: bool | None = Field(
        default=None,
        description="Require API keys; unset: required as soon as one key exists.",
    )
    api_forwarded_allow_ips: list[str] = Field(
        default_factory=list,
        description=(
            "Addresses of reverse proxies trusted to name the client and the scheme "
            "(X-Forwarded-For, X-Forwarded-Proto), as a JSON list; none by default."
        ),
    )
    web_secure_cookies: bool | None = Field(
        default=None,
        description=(
            "Mark the web app's cookies Secure; unset: when the request came over HTTPS "
            "(directly, or as a trusted proxy says)."
        ),
    )
    web_session_idle_hours: float = Field(
        default=12.0,
        gt=0,
        le=24 * 30,
        description="A web app session ends after this long without a request.",
    )
    web_session_max_days: float = Field(
        default=7.0,
        gt=0,
        le=90,
        description="A web app session ends this long after sign-in, however busy.",
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
        default=1,
        ge=1,
        description=(
            "Worker processes of this `leadrank serve` (it sets this): while the store of API "
            "key rate limits does not answer, each process allows its share of a key's rate."
        ),
    )

    run_jobs: bool = Field(
        default=True,
        description=(
            "Run background jobs (imports, training) inside each `leadrank serve` process, the "
            "embedded default; turn off where `leadrank worker` processes run them."
        ),
    )

    auto_enrich: bool = Field(
        default=True,
        description=(
            "Enrich new leads in the background (then rescore) after an API upload, batch, "
            "webhook or connector pull."
        ),
    )
    auto_score: bool = Field(
        default=True,
        description=(
            "Rescore in the background the leads that new data (leads, events, enrichment) "
            "touched, as it arrives."
        ),
    )
    score_quiet_seconds: float = Field(
        default=2.0,
        ge=0,
        le=60,
        allow_inf_nan=False,
        description=(
            "How long arrivals must pause before the leads they touched are rescored, so a "
            "burst is scored in one run (never more than five such pauses late); 0: at once."
        ),
    )
    schedule_enrichment_refresh: str = Field(
        default="0 3 * * *",
        description="Cron of the enrichment refresh on PostgreSQL workers; empty: never.",
    )
    schedule_rescore: str = Field(
        default="15 * * * *",
        description="Cron of the workspace rescoring (recency decays) on PostgreSQL workers.",
    )
    schedule_retrain: str = Field(
        default="0 4 * * 0",
        description="Cron of retraining on PostgreSQL workers; runs only with a retrain_label.",
    )
    schedule_retention: str = Field(
        default="30 3 * * *",
        description="Cron of the retention purge on PostgreSQL workers; empty: never.",
    )
    retrain_label: str | None = Field(
        default=None,
        description='The label scheduled retraining learns, e.g. "deal_won within 90d".',
    )
    retention_days: int = Field(
        default=90,
        ge=1,
        description=(
            "Finished jobs, enrichment attempts and stale cache entries older than this many "
            "days are purged by the retention schedule."
        ),
    )
    score_history_days: int = Field(
        default=90,
        ge=1,
        description=(
            "Score history older than this many days is purged by the retention schedule and "
            "`leadrank jobs purge`; each lead's latest score is always kept."
        ),
    )
    score_history_per_lead: int = Field(
        default=100,
        ge=1,
        description=(
            "At most this many scores of each lead (and account scores of each company) are "
            "kept by the same purge, the newest ones."
        ),
    )

    instantly_api_key: SecretStr | None = Field(
        default=None,
        description="Instantly API v2 key (Bearer) for `leadrank connectors instantly pull`.",
    )
    instantly_base_url: str = Field(
        default="https://api.instantly.ai/api/v2",
        description="Instantly API v2 base URL (a local fake in tests and demos).",
    )
    instantly_emails_per_minute: float = Field(
        default=20,
        gt=0,
        description="Pace of GET /emails during a pull (Instantly allows 20 requests a minute).",
    )
    instantly_webhook_secret: SecretStr | None = Field(
        default=None,
        min_length=16,
        description=(
            "Shared secret Instantly sends with each webhook (X-Webhook-Secret or "
            "Authorization: Bearer); unset: POST /api/v1/webhooks/instantly answers 503."
        ),
    )

    hubspot_token: SecretStr | None = Field(
        default=None,
        description=(
            "HubSpot private-app access token for `leadrank connectors hubspot` (scopes: "
            "crm.objects.contacts/companies/deals read and write, crm.schemas.contacts/companies "
            "write, crm.objects.owners.read)."
        ),
    )
    hubspot_url: str = Field(
        default="https://api.hubapi.com",
        description="HubSpot API base URL (a local fake in tests and demos).",
    )
    hubspot_calls_per_10s: int = Field(
        default=100,
        ge=1,
        description=(
            "HubSpot calls allowed per 10 seconds, shared by every worker (private apps: 100 "
            "on Free and Starter, 190 on Professional and Enterprise)."
        ),
    )
    hubspot_search_per_second: int = Field(
        default=5, ge=1, description="HubSpot search calls allowed per second (HubSpot's limit)."
    )
    salesforce_url: str | None = Field(
        default=None,
        description="Salesforce My Domain URL, e.g. https://acme.my.salesforce.com.",
    )
    salesforce_client_id: str | None = Field(
        default=None,
        description="Consumer key of the Salesforce connected app (client credentials flow).",
    )
    salesforce_client_secret: SecretStr | None = Field(
        default=None, description="Consumer secret of the Salesforce connected app."
    )
    salesforce_api_version: str = Field(
        default="v60.0", pattern=r"^v\d+\.\d$", description="Salesforce REST API version."
    )
    salesforce_calls_per_second: int = Field(
        default=25, ge=1, description="Salesforce calls per second, shared by every worker."
    )
    schedule_crm_sync: str = Field(
        default="*/15 * * * *",
        description=(
            "Cron schedule (UTC) of the workers' CRM sync: pull, then push, for each CRM "
            "whose credentials are set; empty: no schedule."
        ),
    )
    webhook_allow_private_urls: bool = Field(
        default=False,
        description=(
            "Let webhooks and alerts go to loopback and private-network addresses (refused by "
            "default, so a webhook cannot reach services inside your network)."
        ),
    )
    webhook_retry_schedule: Annotated[list[float], NoDecode] = Field(
        default_factory=lambda: [10.0, 60.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0],
        description=(
            "Waits between a delivery's attempts, comma-separated with units "
            "(10s,1m,5m,30m,2h,5h,10h,10h: nine attempts over about 28 hours); after the "
            "last, the delivery is dead and can be replayed."
        ),
    )
    webhook_timeout_seconds: float = Field(
        default=10, gt=0, le=120, description="How long a receiver has to answer a delivery."
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Where people reach the web app: links in alerts point there.",
    )

    enrichment_waterfall: dict[str, list[str]] = Field(
        default_factory=lambda: {
            "company": ["builtin", "clearbit", "apollo", "pdl", "hunter"],
            "person": ["builtin", "apollo", "pdl"],
            "email": ["builtin", "hunter"],
        },
        description=(
            "Providers asked per field group, in order (JSON); vendors without a key are "
            "skipped. The first answer at least `enrichment_confidence` sure stops the group."
        ),
    )
    enrichment_confidence: float = Field(
        default=0.7, ge=0, le=1, description="How sure an answer must be to stop a waterfall."
    )
    enrichment_precedence: list[str] = Field(
        default_factory=lambda: ["user", "apollo", "pdl", "clearbit", "hunter", "builtin"],
        description=(
            "Sources in order of trust (JSON list; `user` is data you imported): a value only "
            "replaces one from a source ranked below it. Enriched values never replace user "
            "data unless a provider is ranked above `user`."
        ),
    )
    enrichment_ttl_days: dict[str, float] = Field(
        default_factory=lambda: {"company": 90.0, "person": 30.0, "email": 14.0, "not_found": 7.0},
        description="Days a cached answer stays fresh, per field group and for 'not found'.",
    )
    enrichment_daily_credits: dict[str, float] = Field(
        default_factory=dict,
        description="Credits each provider may spend per UTC day (JSON), beyond the default.",
    )
    enrichment_default_daily_credits: float = Field(
        default=1000, ge=0, description="Daily credit budget of a provider not named above."
    )
    enrichment_rate_limits: dict[str, str] = Field(
        default_factory=dict,
        description='Override a provider\'s documented rate: {"apollo": "50/60"} is 50 calls a minute.',
    )
    enrichment_base_urls: dict[str, str] = Field(
        default_factory=dict,
        description="Another base URL per vendor (a proxy, or a local fake for trials).",
    )
    apollo_api_key: SecretStr | None = Field(default=None, description="Apollo.io API key.")
    hunter_api_key: SecretStr | None = Field(default=None, description="Hunter.io API key.")
    pdl_api_key: SecretStr | None = Field(default=None, description="People Data Labs API key.")
    clearbit_api_key: SecretStr | None = Field(default=None, description="Clearbit API key.")
    redis_url: str | None = Field(
        default=None,
        description=(
            "redis://host:port/db: provider rate windows and API key rate limits kept in Redis, "
            "not the database."
        ),
    )

    @field_validator("grade_thresholds", mode="before")
    @classmethod
    def _parse_grade_thresholds(cls, value: Any) -> Any:
        return GradeScale.parse(value) if isinstance(value, str) else value

    @field_validator("score_blend", mode="before")
    @classmethod
    def _parse_score_blend(cls, value: Any) -> Any:
        return Blend.parse(value) if isinstance(value, str) else value

    @field_validator("webhook_retry_schedule", mode="before")
    @classmethod
    def _parse_retry_schedule(cls, value: Any) -> Any:
        return parse_waits(value) if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _normalise_driver(cls, url: str) -> str:
        # Users write postgresql://; psycopg 3 is the driver we ship.
        for prefix in ("postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        return url

    @property
    def configured_crms(self) -> list[str]:
        """The CRMs whose credentials are all set: HubSpot's token; Salesforce's URL and
        connected app."""
        salesforce = (self.salesforce_url, self.salesforce_client_id, self.salesforce_client_secret)
        return [
            name
            for name, ready in (
                ("hubspot", self.hubspot_token is not None),
                ("salesforce", all(value is not None for value in salesforce)),
            )
            if ready
        ]

    @property
    def is_sqlite(self) -> bool:
        """True when the workspace database is the embedded SQLite file."""
        return self.database_url.startswith("sqlite")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process, read once from the environment; a value that cannot be
    used is one clear error naming its variable."""
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "_".join(str(part) for part in first["loc"][:1]).upper()
        raise BadInput(f"setting LEADRANK_{name}: {first['msg']}") from None


_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_waits(text: str) -> list[float]:
    """ "10s,1m,2h" (or plain seconds) as seconds: [10.0, 60.0, 7200.0]."""
    waits = []
    for part in text.split(","):
        part = part.strip().lower()
        if not part:
            continue
        unit = _UNITS.get(part[-1])
        number = part[:-1] if unit else part
        try:
            seconds = float(number) * (unit or 1.0)
        except ValueError:
            raise ValueError(f"{part!r} is not a wait like 30s, 5m or 2h") from None
        if not 0 < seconds <= 7 * 86400:
            raise ValueError(f"{part!r}: each wait must be more than 0 and at most 7 days")
        waits.append(seconds)
    if not waits:
        raise ValueError("give at least one wait, e.g. 10s,1m,5m")
    return waits
