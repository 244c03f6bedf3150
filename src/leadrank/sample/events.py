"""What the people do: campaign emails, website visits, and the deals that follow.

Behaviour comes from each person's latent engagement and fit; meetings, opportunities and
closed deals come from fit and from the behaviour a scoring model can see (replies, pricing
views, form fills), always after that behaviour in time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from leadrank.sample.columns import (
    DAY,
    END,
    START,
    IntArray,
    Rng,
    pick,
    rows_where,
    sigmoid,
)
from leadrank.sample.people import People

CAMPAIGN_EVENTS = (
    "email_sent",
    "email_opened",
    "link_clicked",
    "reply_received",
    "email_bounced",
    "lead_unsubscribed",
)
SENT, OPENED, CLICKED, REPLIED, BOUNCED, UNSUBSCRIBED = range(len(CAMPAIGN_EVENTS))
# (name, first send, number of steps)
CAMPAIGNS = (
    ("Q1 Outbound - SaaS Leaders", date(2026, 1, 12), 4),
    ("EMEA Expansion 2026", date(2026, 2, 2), 3),
    ("CFO Pain Points", date(2026, 2, 23), 4),
    ("Webinar Follow-up: Pipeline Analytics", date(2026, 3, 16), 3),
    ("Q2 Outbound - Mid-Market", date(2026, 4, 6), 4),
    ("Product Launch: Scoring 2.0", date(2026, 5, 4), 3),
    ("Re-engagement - Cold Leads", date(2026, 6, 8), 2),
    ("Q3 Outbound - Enterprise", date(2026, 7, 6), 4),
    ("Partner Referral Sequence", date(2026, 8, 3), 3),
)
STEP_DAYS = (0, 3, 7, 14)

WEB_EVENTS = ("page_view", "form_fill", "content_download")
PAGE_VIEW, FORM_FILL, DOWNLOAD = range(len(WEB_EVENTS))
# (path, weight among pages browsed, weight among pages an email link lands on). Pricing views
# are drawn from intent rather than browsing, so they carry no browsing weight.
# fmt: off
PAGE_WEIGHTS = (
    ("/pricing", 0, 3), ("/", 8, 0), ("/docs", 4, 0), ("/docs/getting-started", 2, 0),
    ("/docs/api", 2, 0), ("/features", 3, 1), ("/integrations/hubspot", 1, 0),
    ("/case-studies", 3, 3), ("/case-studies/brightwave-analytics", 1, 1),
    ("/blog/what-is-lead-scoring", 3, 2), ("/blog/b2b-data-decay", 2, 0),
    ("/blog/icp-in-5-steps", 2, 1), ("/blog/intent-signals", 2, 1), ("/about", 1, 0),
    ("/careers", 1, 0), ("/demo", 0, 0), ("/contact-sales", 0, 0),
    ("/resources/lead-scoring-playbook.pdf", 0, 0), ("/resources/state-of-b2b-data-2026.pdf", 0, 0),
)
# fmt: on
PAGES = tuple(page for page, _, _ in PAGE_WEIGHTS)
BROWSE_WEIGHTS = tuple(weight for _, weight, _ in PAGE_WEIGHTS)
LANDING_WEIGHTS = tuple(weight for _, _, weight in PAGE_WEIGHTS)
PRICING = PAGES.index("/pricing")
FORMS = (PAGES.index("/demo"), PAGES.index("/contact-sales"))
DOWNLOADS = (
    PAGES.index("/resources/lead-scoring-playbook.pdf"),
    PAGES.index("/resources/state-of-b2b-data-2026.pdf"),
)

DEAL_EVENTS = ("Meeting Booked", "Opportunity Created", "Closed Won", "Closed Lost")
MEETING, OPPORTUNITY, WON, LOST = range(len(DEAL_EVENTS))


@dataclass(frozen=True)
class EventLog:
    """Events as parallel arrays: who, what (index into a name list), when, and a detail."""

    person: IntArray
    kind: IntArray
    time: IntArray  # epoch seconds
    detail: IntArray  # campaign step, page index, or deal amount
    extra: IntArray  # campaign index (campaign events); zeros elsewhere

    @staticmethod
    def of(parts: list[tuple[IntArray, int, IntArray, IntArray, IntArray]]) -> EventLog:
        """Concatenate (person, kind, time, detail, extra) parts, keeping only in-window events."""
        if not parts:
            empty = np.zeros(0, dtype=np.int64)
            return EventLog(empty, empty, empty, empty, empty)
        person = np.concatenate([p[0] for p in parts])
        kind = np.concatenate([np.full(p[0].size, p[1], dtype=np.int64) for p in parts])
        time = np.concatenate([p[2] for p in parts]).astype(np.int64)
        detail = np.concatenate([p[3] for p in parts]).astype(np.int64)
        extra = np.concatenate([p[4] for p in parts]).astype(np.int64)
        keep = time <= END
        return EventLog(person[keep], kind[keep], time[keep], detail[keep], extra[keep])

    def count(self, kind: int, people: int, detail: int | None = None) -> IntArray:
        """Per person, how many events of a kind (and detail) they have."""
        chosen = (
            self.kind == kind if detail is None else (self.kind == kind) & (self.detail == detail)
        )
        return np.bincount(self.person[chosen], minlength=people).astype(np.int64)


def simulate_campaigns(rng: Rng, people: People) -> EventLog:
    """Outbound sequences: sends, opens, clicks, replies; a bounce or a reply ends a sequence."""
    fit_all = people.fit
    enrolled = rows_where(rng, people.count, 0.3 + 0.25 * sigmoid(fit_all))
    m = enrolled.size
    eng, fit = people.engagement[enrolled], fit_all[enrolled]
    campaign = rng.integers(0, len(CAMPAIGNS), m)
    first_send = np.array([_epoch(c[1]) for c in CAMPAIGNS])
    start = first_send[campaign] + rng.integers(0, 28, m) * DAY
    steps = np.array([c[2] for c in CAMPAIGNS])[campaign]
    p_open = sigmoid(-0.4 + 0.9 * eng)
    p_click = sigmoid(-2.2 + 0.7 * eng + 0.3 * fit)
    p_reply = sigmoid(-3.4 + 0.9 * eng + 0.5 * fit)
    alive = np.ones(m, dtype=bool)
    parts: list[tuple[IntArray, int, IntArray, IntArray, IntArray]] = []

    def emit(rows: IntArray, kind: int, time: IntArray, step: int) -> None:
        parts.append((enrolled[rows], kind, time, np.full(rows.size, step + 1), campaign[rows]))

    for step in range(len(STEP_DAYS)):
        rows = np.flatnonzero(alive & (step < steps))
        sent = start[rows] + STEP_DAYS[step] * DAY + rng.integers(8 * 3600, 17 * 3600, rows.size)
        emit(rows, SENT, sent, step)
        if step == 0:
            bounced = rng.random(rows.size) < 0.03
            emit(rows[bounced], BOUNCED, sent[bounced] + rng.integers(5, 600, bounced.sum()), 0)
            alive[rows[bounced]] = False
            rows, sent = rows[~bounced], sent[~bounced]
        opened = rng.random(rows.size) < p_open[rows]
        open_time = sent + 30 + rng.exponential(4 * 3600, rows.size).astype(np.int64)
        emit(rows[opened], OPENED, open_time[opened], step)
        clicked = opened & (rng.random(rows.size) < p_click[rows])
        click_time = open_time + 5 + rng.exponential(600, rows.size).astype(np.int64)
        emit(rows[clicked], CLICKED, click_time[clicked], step)
        replied = opened & (rng.random(rows.size) < p_reply[rows])
        reply_time = open_time + 60 + rng.exponential(6 * 3600, rows.size).astype(np.int64)
        emit(rows[replied], REPLIED, reply_time[replied], step)
        p_leave = np.where(eng[rows] < -1.0, 0.03, 0.006)
        leave = ~replied & (rng.random(rows.size) < p_leave)
        leave_time = sent + 60 + rng.exponential(DAY, rows.size).astype(np.int64)
        emit(rows[leave], UNSUBSCRIBED, leave_time[leave], step)
        alive[rows[replied | leave]] = False
    return EventLog.of(parts)


def simulate_web(rng: Rng, people: People, campaign: EventLog) -> EventLog:
    """Identified website visits: browsing, pricing views, form fills, downloads."""
    n = people.count
    eng, fit = people.engagement, people.fit
    visitor = rows_where(rng, n, sigmoid(-1.0 + 0.9 * eng))
    views = 1 + np.minimum(rng.poisson(np.exp(0.4 + 0.45 * eng[visitor])), 29)
    person = np.repeat(visitor, views)
    first_visit = rng.integers(START, END - 60 * DAY, visitor.size)
    spread = (rng.exponential(20 * DAY, visitor.size) + DAY).astype(np.int64)
    time = np.repeat(first_visit, views) + (rng.random(person.size) * np.repeat(spread, views))
    p_pricing = sigmoid(-2.3 + 0.6 * fit + 0.6 * eng)[person]
    page = np.where(
        rng.random(person.size) < p_pricing, PRICING, pick(rng, person.size, BROWSE_WEIGHTS)
    )
    clicks = np.flatnonzero(campaign.kind == CLICKED)
    landed = pick(rng, clicks.size, LANDING_WEIGHTS)
    landed_time = campaign.time[clicks] + rng.integers(2, 60, clicks.size)
    zeros = np.zeros(person.size, dtype=np.int64)
    parts = [
        (person, PAGE_VIEW, time.astype(np.int64), page, zeros),
        (campaign.person[clicks], PAGE_VIEW, landed_time, landed, zeros[: clicks.size]),
    ]

    saw_pricing = np.bincount(person[page == PRICING], minlength=n) > 0
    # A form fill or download happens during one of the visitor's own visits.
    starts = np.cumsum(views) - views
    for kind, pages, p in (
        (FORM_FILL, FORMS, sigmoid(-3.0 + 0.8 * eng + 0.4 * fit + 1.0 * saw_pricing)),
        (DOWNLOAD, DOWNLOADS, sigmoid(-1.8 + 0.6 * eng)),
    ):
        chosen = np.flatnonzero(rng.random(visitor.size) < p[visitor])
        visit = starts[chosen] + (rng.random(chosen.size) * views[chosen]).astype(np.int64)
        at = time[visit].astype(np.int64) + rng.integers(30, 1800, chosen.size)
        which = np.asarray(pages)[rng.integers(0, len(pages), chosen.size)]
        parts.append((visitor[chosen], kind, at, which, np.zeros(chosen.size, dtype=np.int64)))
    return EventLog.of(parts)


def simulate_deals(
    rng: Rng, people: People, employees: IntArray, campaign: EventLog, web: EventLog
) -> EventLog:
    """Meetings, opportunities and closed deals, driven by fit and by visible behaviour."""
    n = people.count
    fit = people.fit
    replied = campaign.count(REPLIED, n) > 0
    clicked = campaign.count(CLICKED, n) > 0
    pricing = web.count(PAGE_VIEW, n, PRICING)
    formed = web.count(FORM_FILL, n) > 0
    downloaded = web.count(DOWNLOAD, n) > 0

    # A meeting follows the latest buying signal, or failing one the latest activity at all.
    signal = _last_time(n, campaign, np.isin(campaign.kind, (REPLIED, CLICKED)))
    viewed_pricing = (web.kind == PAGE_VIEW) & (web.detail == PRICING)
    signal = np.maximum(signal, _last_time(n, web, (web.kind == FORM_FILL) | viewed_pricing))
    anything = np.maximum(_last_time(n, campaign, None), _last_time(n, web, None))
    base = np.where(signal > 0, signal, anything)
    base = np.where(base > 0, base, rng.integers(START, END, n))

    z = (
        -4.6
        + 2.2 * replied
        + 0.8 * (pricing > 0)
        + 0.2 * np.minimum(pricing, 5)
        + 1.5 * formed
        + 0.4 * clicked
        + 0.3 * downloaded
        + 0.5 * fit
    )
    meet_time = base + DAY + rng.exponential(5 * DAY, n).astype(np.int64)
    meeting = (rng.random(n) < sigmoid(z)) & (meet_time <= END)
    opp_time = meet_time + rng.integers(1, 21, n) * DAY + rng.integers(0, DAY, n)
    p_opp = sigmoid(-0.9 + 0.8 * fit + 0.4 * replied + 0.3 * (pricing > 0))
    opportunity = meeting & (rng.random(n) < p_opp) & (opp_time <= END)
    close_time = opp_time + rng.integers(14, 100, n) * DAY
    p_won = sigmoid(-3.8 + 1.1 * fit + 0.6 * (pricing > 0) + 0.4 * formed + 0.3 * replied)
    closed = opportunity & (close_time <= END)
    won = closed & (rng.random(n) < p_won)
    lost = closed & ~won

    size = np.clip(employees, 5, 20_000).astype(np.float64)
    amount = np.rint(size**0.55 * np.exp(rng.normal(0, 0.35, n)) * 10) * 100
    paid = np.rint(amount * rng.uniform(0.8, 1.0, n) / 100) * 100
    parts: list[tuple[IntArray, int, IntArray, IntArray, IntArray]] = []
    for kind, mask, when, value in (
        (MEETING, meeting, meet_time, np.zeros(n)),
        (OPPORTUNITY, opportunity, opp_time, amount),
        (WON, won, close_time, paid),
        (LOST, lost, close_time, amount),
    ):
        rows = np.flatnonzero(mask)
        zeros = np.zeros(rows.size, dtype=np.int64)
        parts.append((rows, kind, when[rows], value[rows].astype(np.int64), zeros))
    return EventLog.of(parts)


def _last_time(n: int, log: EventLog, mask: np.ndarray | None) -> IntArray:
    """Per person, the time of their latest event among `mask` (0 when none)."""
    latest = np.zeros(n, dtype=np.int64)
    chosen = slice(None) if mask is None else mask
    np.maximum.at(latest, log.person[chosen], log.time[chosen])
    return latest


def _epoch(day: date) -> int:
    return START + (day - date(2026, 1, 1)).days * DAY
