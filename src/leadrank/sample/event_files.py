"""Event exports: a cold-email tool's activity log, website tracking, and CRM deal activity."""

from __future__ import annotations

import numpy as np
import polars as pl

from leadrank.sample.columns import (
    START,
    IntArray,
    Rng,
    formatted_times,
    mixed_times,
    strings,
)
from leadrank.sample.events import (
    CAMPAIGN_EVENTS,
    CAMPAIGNS,
    DEAL_EVENTS,
    MEETING,
    PAGES,
    WEB_EVENTS,
    EventLog,
)
from leadrank.sample.people import People

UNREADABLE_TIMES = ("not a date", "31/02/2026", "yesterday", "2026-13-45", "TBD")
JUNK_RATE = 0.005


def instantly_events(rng: Rng, people: People, log: EventLog) -> pl.DataFrame:
    """Instantly's activity log as JSON lines: type, millisecond timestamp, address, step."""
    log = _in_order(log)
    frame = pl.DataFrame(
        {
            "event_type": strings(CAMPAIGN_EVENTS, log.kind),
            "timestamp": formatted_times(
                log.time, "%Y-%m-%dT%H:%M:%S%.3fZ", rng.integers(0, 1000, log.time.size)
            ),
            "lead_email": _addresses(rng, people, log.person, 0.02),
            "campaign_name": strings([c[0] for c in CAMPAIGNS], log.extra),
            "step": pl.Series(values=log.detail, dtype=pl.Int64),
        }
    )
    return _with_junk(rng, frame, "lead_email", "event_type", "timestamp")


def web_events(rng: Rng, people: People, log: EventLog) -> pl.DataFrame:
    """Website tracking: page views, form fills, downloads; times as ISO text or epoch seconds."""
    log = _in_order(log)
    frame = pl.DataFrame(
        {
            "email": _addresses(rng, people, log.person, 0.02),
            "event_type": strings(WEB_EVENTS, log.kind),
            "timestamp": mixed_times(
                rng, log.time, ("%Y-%m-%dT%H:%M:%SZ", "epoch", "%Y-%m-%d %H:%M:%S")
            ),
            "url": strings(PAGES, log.detail),
        }
    )
    return _with_junk(rng, frame, "email", "event_type", "timestamp")


def crm_deal_events(rng: Rng, people: People, log: EventLog) -> pl.DataFrame:
    """Deal activity from the CRM: meetings, opportunities and their outcome, by day."""
    log = _in_order(log)
    amount = pl.Series(values=log.detail, dtype=pl.Int64).cast(pl.String)
    amount.scatter(np.flatnonzero(log.kind == MEETING), None)  # a meeting has no amount
    frame = pl.DataFrame(
        {
            "Email": _addresses(rng, people, log.person, 0.03),
            "Activity Type": strings(DEAL_EVENTS, log.kind),
            "Activity Date": formatted_times(log.time, "%Y-%m-%d"),
            "Amount": amount,
        }
    )
    return _with_junk(rng, frame, "Email", "Activity Type", "Activity Date")


def _in_order(log: EventLog) -> EventLog:
    """The log sorted by time, as exports list it; never empty, so every file has a record."""
    if not log.person.size:
        one = np.zeros(1, dtype=np.int64)
        return EventLog(one, one, one + START + 9 * 3600, one + 1, one)
    order = np.argsort(log.time, kind="stable")
    return EventLog(
        log.person[order], log.kind[order], log.time[order], log.detail[order], log.extra[order]
    )


def _addresses(rng: Rng, people: People, person: IntArray, upper: float) -> pl.Series:
    """Each event's person by their work address, now and then in capitals."""
    emails = people.email.gather(person)
    shout = pl.Series(values=rng.random(person.size) < upper)
    return emails.str.to_uppercase().zip_with(shout, emails)


def _with_junk(rng: Rng, frame: pl.DataFrame, email: str, kind: str, time: str) -> pl.DataFrame:
    """Add a few broken records: an unknown or missing address, no type, an unreadable time."""
    count = max(1, round(JUNK_RATE * frame.height))
    junk = frame[rng.integers(0, frame.height, count)]
    variant = pl.lit(pl.Series(values=rng.integers(0, 4, count)))
    stranger = pl.Series(values=rng.integers(1_000, 100_000, count)).cast(pl.String)
    unreadable = strings(UNREADABLE_TIMES, rng.integers(0, len(UNREADABLE_TIMES), count))
    junk = junk.with_columns(
        pl.when(variant == 0)
        .then(pl.lit("prospect" + stranger + "@unknown-prospect.com"))
        .when(variant == 1)
        .then(pl.lit(None, dtype=pl.String))
        .otherwise(pl.col(email))
        .alias(email),
        pl.when(variant == 2)
        .then(pl.lit(None, dtype=pl.String))
        .otherwise(pl.col(kind))
        .alias(kind),
        pl.when(variant == 3).then(pl.lit(unreadable)).otherwise(pl.col(time)).alias(time),
    )
    # Broken records sit anywhere in the file, not at its end.
    position = np.concatenate([np.arange(frame.height), rng.random(count) * frame.height])
    return pl.concat([frame, junk])[np.argsort(position, kind="stable")]
