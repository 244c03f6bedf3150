"""Alert rules: adding, listing and removing them, and when a rule may speak (quiet hours,
the daily digest's hour), in the rule's own time zone."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadrank.config import Settings
from leadrank.errors import BadInput, Conflict, NotFound
from leadrank.orm.outlets import AlertHit, AlertRule
from leadrank.outlets.urls import checked_url

FORMATS = ("slack", "json")
GRADES = ("A", "B", "C", "D", "E")
_QUIET = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def add_rule(
    session: Session,
    settings: Settings,
    *,
    name: str,
    url: str,
    grades: Sequence[str] = (),
    min_score: float | None = None,
    form: str = "slack",
    digest: bool = False,
    digest_hour: int = 8,
    quiet: str | None = None,
    timezone: str = "UTC",
    created_by: str | None = None,
) -> AlertRule:
    """A new rule; BadInput when it could never fire or its settings do not parse."""
    name = name.strip()
    if not name or len(name) > 100:
        raise BadInput("an alert rule needs a name of 1-100 characters")
    if session.scalar(select(AlertRule.id).where(AlertRule.name == name)) is not None:
        raise Conflict(f"an alert rule named {name!r} exists already")
    chosen = sorted(
        {grade.strip().upper() for g in grades for grade in g.split(",") if grade.strip()}
    )
    if unknown := [grade for grade in chosen if grade not in GRADES]:
        raise BadInput(f"unknown grade(s) {', '.join(unknown)}; grades are A-E")
    if not chosen and min_score is None:
        raise BadInput("say when the rule fires: --grade (a lead enters it) or --min-score")
    if min_score is not None and not 0 <= min_score <= 100:
        raise BadInput("--min-score is a score from 0 to 100")
    if form not in FORMATS:
        raise BadInput(f"the format is one of {', '.join(FORMATS)}")
    if not 0 <= digest_hour <= 23:
        raise BadInput("the digest hour is 0-23")
    start, end = parse_quiet(quiet) if quiet else (None, None)
    rule = AlertRule(
        name=name,
        url=checked_url(url, allow_private=settings.webhook_allow_private_urls),
        format=form,
        grades=chosen,
        min_score=min_score,
        digest=digest,
        digest_hour=digest_hour,
        quiet_start=start,
        quiet_end=end,
        timezone=zone(timezone).key,
        created_at=datetime.now(UTC),
        created_by=created_by,
    )
    session.add(rule)
    session.flush()
    return rule


def list_rules(session: Session) -> list[tuple[AlertRule, int]]:
    """Every rule with the hits waiting to be told."""
    waiting: dict[int, int] = dict(
        session.execute(
            select(AlertHit.rule_id, func.count())
            .where(AlertHit.sent_at.is_(None))
            .group_by(AlertHit.rule_id)
        ).all()
    )
    rules = session.scalars(select(AlertRule).order_by(AlertRule.id)).all()
    return [(rule, waiting.get(rule.id, 0)) for rule in rules]


def get_rule(session: Session, rule: str) -> AlertRule:
    """A rule by id or name."""
    found = (
        session.get(AlertRule, int(rule))
        if rule.isascii() and rule.isdigit() and len(rule) < 15
        else session.scalar(select(AlertRule).where(AlertRule.name == rule))
    )
    if found is None:
        raise NotFound(f"no alert rule {rule}")
    return found


def remove_rule(session: Session, rule: str) -> AlertRule:
    """Remove a rule, with its waiting hits and unsent messages. Flushes only."""
    found = get_rule(session, rule)
    session.delete(found)
    session.flush()
    return found


def describe(rule: AlertRule) -> str:
    """When the rule fires, in words."""
    parts = []
    if rule.grades:
        parts.append(f"a lead enters grade {'/'.join(rule.grades)}")
    if rule.min_score is not None:
        parts.append(f"a score reaches {rule.min_score:g}")
    when = " or ".join(parts)
    if rule.digest:
        when += f"; daily digest at {rule.digest_hour:02d}:00 {rule.timezone}"
    if rule.quiet_start and rule.quiet_end:
        when += f"; quiet {rule.quiet_start}-{rule.quiet_end} {rule.timezone}"
    return when


def masked(url: str) -> str:
    """A chat webhook URL without its path (Slack's incoming-webhook URL is the credential)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/…" if parts.path.strip("/") else url


def parse_quiet(text: str) -> tuple[str, str]:
    """ "22:00-07:00" as ("22:00", "07:00")."""
    match = _QUIET.match(text)
    if not match:
        raise BadInput(f"quiet hours look like 22:00-07:00, not {text!r}")
    h1, m1, h2, m2 = (int(part) for part in match.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        raise BadInput(f"{text!r} is not a time range within a day")
    if (h1, m1) == (h2, m2):
        raise BadInput("quiet hours must start and end at different times")
    return f"{h1:02d}:{m1:02d}", f"{h2:02d}:{m2:02d}"


def zone(name: str) -> ZoneInfo:
    """The time zone of this IANA name (Europe/Berlin), or BadInput."""
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise BadInput(f"unknown time zone {name!r}; use an IANA name like Europe/Berlin") from None


def quiet_until(rule: AlertRule, now: datetime) -> datetime | None:
    """When the rule's quiet hours end, if `now` lies in them; None when it may speak."""
    if not (rule.quiet_start and rule.quiet_end):
        return None
    local = now.astimezone(zone(rule.timezone))
    start, end = _clock(rule.quiet_start), _clock(rule.quiet_end)
    moment = local.time()
    inside = start <= moment < end if start < end else moment >= start or moment < end
    if not inside:
        return None
    ends = datetime.combine(local.date(), end, tzinfo=local.tzinfo)
    if ends <= local:
        ends += timedelta(days=1)
    return ends.astimezone(UTC)


def next_digest(rule: AlertRule, since: datetime) -> datetime:
    """The moment of the rule's first daily digest after `since` (its oldest waiting hit):
    a hit after today's hour waits for tomorrow's digest."""
    tz = zone(rule.timezone)
    local = since.astimezone(tz)
    moment = datetime.combine(local.date(), time(rule.digest_hour), tzinfo=tz)
    if moment <= local:
        moment = datetime.combine(
            local.date() + timedelta(days=1), time(rule.digest_hour), tzinfo=tz
        )
    return moment.astimezone(UTC)


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))
