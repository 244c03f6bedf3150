"""Cached provider answers with a time to live per field group, a shorter one for "not
found", so a lead enriched yesterday costs nothing today."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete, select

from leadrank.enrichment.providers.base import EnrichmentQuery, EnrichmentResult, FieldGroup
from leadrank.kit.sql import insert_missing, table_of
from leadrank.orm import EnrichmentCacheEntry

DEFAULT_TTL_DAYS = {"company": 90.0, "person": 30.0, "email": 14.0, "not_found": 7.0}


def query_hash(query: EnrichmentQuery, group: FieldGroup) -> str:
    """The cache key of a query for one group: only what names the subject of that group (a
    company by its domain, a person by email or profile, an address by itself), so leads at
    one company share its answer, and values that enrichment writes back do not change it.
    Hashed: no email is kept in clear."""
    email = (query.email or "").strip().lower()
    if group == "email":
        subject: dict[str, str] = {"email": email}
    elif group == "company":
        domain = (query.domain or "").strip().lower() or email.rpartition("@")[2]
        subject = {"domain": domain} if domain else {"name": (query.company_name or "").lower()}
    elif email:
        subject = {"email": email}
    elif query.linkedin_url:
        subject = {"linkedin": query.linkedin_url.lower()}
    else:
        name = query.full_name or f"{query.first_name or ''} {query.last_name or ''}"
        subject = {"name": name.strip().lower(), "domain": (query.domain or "").lower()}
    text = json.dumps({"group": group, **subject}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


class AnswerCache:
    """Provider answers by provider, group and query, each in its own short transaction."""

    def __init__(
        self,
        engine: Engine,
        *,
        ttl_days: dict[str, float] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.engine, self.clock = engine, clock
        self.ttl_days = {**DEFAULT_TTL_DAYS, **(ttl_days or {})}

    def get(
        self, provider: str, group: FieldGroup, query: EnrichmentQuery
    ) -> EnrichmentResult | None:
        """The fresh cached answer, or None."""
        entry = EnrichmentCacheEntry
        with self.engine.connect() as connection:
            row = connection.execute(
                select(entry.fields, entry.confidence).where(
                    entry.provider == provider,
                    entry.field_group == group,
                    entry.query_hash == query_hash(query, group),
                    entry.expires_at > self.clock(),
                )
            ).first()
        if row is None:
            return None
        return EnrichmentResult(dict(row.fields), confidence=row.confidence, cost=0.0)

    def put(
        self, provider: str, group: FieldGroup, query: EnrichmentQuery, result: EnrichmentResult
    ) -> None:
        """Keep an answer (found or not) for its time to live."""
        now = self.clock()
        days = self.ttl_days[group if result.found else "not_found"]
        key = query_hash(query, group)
        entry = EnrichmentCacheEntry
        with self.engine.begin() as connection:
            connection.execute(
                delete(entry).where(
                    entry.provider == provider, entry.field_group == group, entry.query_hash == key
                )
            )
            insert_missing(
                connection,
                table_of(entry),
                [
                    {
                        "provider": provider,
                        "field_group": group,
                        "query_hash": key,
                        "fields": result.fields,
                        "confidence": result.confidence,
                        "fetched_at": now,
                        "expires_at": now + timedelta(days=days),
                    }
                ],
            )
