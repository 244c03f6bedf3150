"""SQLAlchemy tables, one module per table; importing this package registers them all."""

from leadrank.orm.auth import ApiKey, RateBucket, SignInFailures, User, WebSession
from leadrank.orm.base import Base
from leadrank.orm.bronze import BronzeRecord
from leadrank.orm.company import Company
from leadrank.orm.connectors import CampaignPush, CrmLink, SyncState
from leadrank.orm.enrichment import (
    EnrichmentAttempt,
    EnrichmentCacheEntry,
    ProviderCall,
    ProviderSpend,
    ProviderState,
)
from leadrank.orm.event import Event
from leadrank.orm.icp import IcpProfile
from leadrank.orm.imports import Import
from leadrank.orm.job import Job
from leadrank.orm.lead import Lead, LeadKey
from leadrank.orm.matching import (
    CompanyAlias,
    CompanyReview,
    LeadMerge,
    LeadReview,
    MatchWeights,
)
from leadrank.orm.outlets import AlertHit, AlertRule, Delivery, OutboxMessage, WebhookEndpoint
from leadrank.orm.routing import RoutingRuleset, RoutingTurn
from leadrank.orm.scoring import LeadScore, ModelVersion, ScoreRun
from leadrank.orm.searches import SavedSearch

__all__ = [
    "AlertHit",
    "AlertRule",
    "ApiKey",
    "Base",
    "BronzeRecord",
    "CampaignPush",
    "Company",
    "CompanyAlias",
    "CompanyReview",
    "CrmLink",
    "Delivery",
    "EnrichmentAttempt",
    "EnrichmentCacheEntry",
    "Event",
    "IcpProfile",
    "Import",
    "Job",
    "Lead",
    "LeadKey",
    "LeadMerge",
    "LeadReview",
    "LeadScore",
    "MatchWeights",
    "ModelVersion",
    "OutboxMessage",
    "ProviderCall",
    "ProviderSpend",
    "ProviderState",
    "RateBucket",
    "RoutingRuleset",
    "RoutingTurn",
    "SavedSearch",
    "ScoreRun",
    "SignInFailures",
    "SyncState",
    "User",
    "WebSession",
    "WebhookEndpoint",
]
