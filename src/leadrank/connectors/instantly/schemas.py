"""API shapes of the Instantly webhook receiver."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class InstantlyWebhookEvent(BaseModel):
    """One webhook delivery as Instantly documents it (developer.instantly.ai/guides/webhook-events):
    always `timestamp`, `event_type`, `workspace`, `campaign_id`, `campaign_name`; for lead
    events `lead_email`; then step, email and reply fields and the lead's own data, which are
    kept as they came."""

    model_config = ConfigDict(extra="allow")

    event_type: str = Field(
        min_length=1,
        max_length=100,
        description=(
            "email_sent, email_opened, link_clicked, reply_received, auto_reply_received, "
            "email_bounced, lead_unsubscribed, lead_interested, lead_meeting_booked, ... "
            "or a custom label"
        ),
        examples=["reply_received"],
    )
    timestamp: str = Field(
        min_length=1, max_length=64, description="When it happened (ISO 8601)",
        examples=["2026-06-01T10:00:00.000Z"],
    )  # fmt: skip
    workspace: str | None = Field(default=None, max_length=100)
    campaign_id: str | None = Field(default=None, max_length=100)
    campaign_name: str | None = Field(default=None, max_length=500)
    lead_email: str | None = Field(
        default=None, max_length=320, description="The lead; absent for account-level events"
    )
    email_account: str | None = Field(default=None, max_length=320)


class WebhookReceipt(BaseModel):
    """What became of a delivery: `recorded` (in bronze and as a lead event),
    `already_recorded` (the same delivery came before, or a pull brought the same sent email;
    no event was added) or `quarantined`
    (in bronze, but no lead or no usable time; listed by `leadrank quarantine`)."""

    status: Literal["recorded", "already_recorded", "quarantined"]
    event_type: str | None = Field(description="The leadrank event type it became")
    import_id: int | None
    events_created: int
    leads_created: int
    quarantine_reasons: dict[str, int]
