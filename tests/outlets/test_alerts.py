"""Alerts: a lead entering a grade or reaching a score is told in the chat, alone, in one
summary when many come at once, after quiet hours, or in the day's digest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from leadrank.config import Settings
from leadrank.db.engine import session_scope
from leadrank.errors import BadInput
from leadrank.leads.grade_overrides import set_override
from leadrank.orm.outlets import AlertHit, AlertRule
from leadrank.outlets.alert_messages import escape
from leadrank.outlets.alert_rules import add_rule, next_digest, quiet_until
from leadrank.outlets.alert_sending import send_alerts
from leadrank.outlets.fake_receiver import FakeReceiver
from leadrank.outlets.sender import send_due
from leadrank.scoring.score_run import score_workspace
from tests.conftest import Workspace
from tests.outlets.conftest import Clock
from tests.outlets.helpers import PEOPLE, ingest_people

MANY = PEOPLE + "".join(
    f"p{n}@firm{n}.com,Pat{n},Quinn,Firm {n},Head of Sales,US\n" for n in range(8)
)


def _rule(workspace: Workspace, settings: Settings, url: str, **options: object) -> int:
    with session_scope(workspace.engine) as session:
        rule = add_rule(session, settings, name=str(options.pop("name", "hot")), url=url, **options)  # type: ignore[arg-type]
        return rule.id


def _tell(
    workspace: Workspace,
    settings: Settings,
    http: httpx.Client,
    clock: Clock,
    now: datetime | None = None,
) -> int:
    with session_scope(workspace.engine) as session:
        report = send_alerts(session, settings, now=now)
    if now is not None:  # what was queued at `now` is due by the sender's clock
        clock.now = max(clock.now, now)
    send_due(workspace.engine, settings, http, clock=clock)
    return report.messages


def test_a_lead_entering_the_grade_is_told_with_its_reasons_and_link(
    workspace: Workspace,
    settings: Settings,
    tmp_path: Path,
    receiver: FakeReceiver,
    receiver_url: str,
    http: httpx.Client,
    clock: Clock,
) -> None:
    ids = ingest_people(workspace, tmp_path / "in", PEOPLE.replace("Ann,Lee", "<!channel>,Lee"))
    _rule(workspace, settings, f"{receiver_url}/slack/T1/B1/x", grades=["A"])
    with session_scope(workspace.engine) as session:
        set_override(session, lead_id=ids[0], grade="A", reason="asked for a demo", by="sam")
        set_override(session, lead_id=ids[1], grade="B", reason="later", by="sam")  # not A
    assert _tell(workspace, settings, http, clock) == 1
    (posted,) = receiver.got()
    message = posted.json
    section = message["blocks"][0]["text"]["text"]
    assert f"/leads/{ids[0]}|&lt;!channel&gt; Lee>*" in section and "<!channel>" not in section
    assert "entered grade A" in section and "VP Engineering at Acme Corp" in section
    assert message["text"].startswith("&lt;!channel&gt; Lee entered grade A")
    # Told once: the same lead entering A again later is news again only after leaving it.
    assert _tell(workspace, settings, http, clock) == 0


def test_a_bulk_rescore_posts_one_summary_not_one_message_per_lead(
    workspace: Workspace,
    settings: Settings,
    tmp_path: Path,
    receiver: FakeReceiver,
    receiver_url: str,
    http: httpx.Client,
    clock: Clock,
) -> None:
    ingest_people(workspace, tmp_path / "in", MANY)
    _rule(workspace, settings, f"{receiver_url}/slack/T1/B1/x", grades=["A", "B", "C", "D", "E"])
    with session_scope(workspace.engine) as session:
        score_workspace(session)
    assert _tell(workspace, settings, http, clock) == 1
    (posted,) = receiver.got()
    assert posted.json["blocks"][0]["text"]["text"] == "13 leads met the rule hot"
    assert "and 8 more" in posted.json["blocks"][1]["text"]["text"]


def test_a_score_line_is_told_when_crossed_from_below_and_json_form(
    workspace: Workspace,
    settings: Settings,
    tmp_path: Path,
    receiver: FakeReceiver,
    receiver_url: str,
    http: httpx.Client,
    clock: Clock,
) -> None:
    ingest_people(workspace, tmp_path / "in")
    _rule(workspace, settings, f"{receiver_url}/alerts", min_score=0, form="json")
    with session_scope(workspace.engine) as session:
        score_workspace(session)
    assert _tell(workspace, settings, http, clock) == 5
    bodies = [request.json for request in receiver.got()]
    assert {body["kind"] for body in bodies} == {"lead"}
    assert all(
        body["leads"][0]["url"].startswith("http://127.0.0.1:8000/leads/") for body in bodies
    )
    with session_scope(workspace.engine) as session:
        score_workspace(session)  # the same scores again: no line crossed
    assert _tell(workspace, settings, http, clock) == 0


def test_quiet_hours_hold_alerts_until_they_end(
    workspace: Workspace,
    settings: Settings,
    tmp_path: Path,
    receiver: FakeReceiver,
    receiver_url: str,
    http: httpx.Client,
    clock: Clock,
) -> None:
    ids = ingest_people(workspace, tmp_path / "in")
    now = datetime.now(UTC)
    start, end = (now - timedelta(hours=1)), (now + timedelta(hours=1))
    quiet = f"{start:%H}:00-{end:%H}:00"
    _rule(workspace, settings, f"{receiver_url}/slack/a", grades=["A"], quiet=quiet)
    with session_scope(workspace.engine) as session:
        set_override(session, lead_id=ids[0], grade="A", reason="demo", by="sam")
    assert _tell(workspace, settings, http, clock, now=now) == 0
    with session_scope(workspace.engine) as session:
        assert session.scalar(select(AlertHit.sent_at)) is None
    later = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1, minutes=1)
    assert _tell(workspace, settings, http, clock, now=later) == 1


def test_a_digest_rule_speaks_once_a_day_at_its_hour(
    workspace: Workspace,
    settings: Settings,
    tmp_path: Path,
    receiver: FakeReceiver,
    receiver_url: str,
    http: httpx.Client,
    clock: Clock,
) -> None:
    ids = ingest_people(workspace, tmp_path / "in")
    rule_id = _rule(
        workspace,
        settings,
        f"{receiver_url}/slack/d",
        grades=["A"],
        digest=True,
        digest_hour=9,
        timezone="Europe/Berlin",
    )
    for lead_id in ids[:2]:
        with session_scope(workspace.engine) as session:
            set_override(session, lead_id=lead_id, grade="A", reason="demo", by="sam")
    morning = datetime(2026, 12, 7, 7, 30, tzinfo=UTC)  # 08:30 in Berlin
    assert _tell(workspace, settings, http, clock, now=morning) == 0
    nine = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    assert _tell(workspace, settings, http, clock, now=nine) == 1
    assert receiver.got()[0].json["blocks"][0]["text"]["text"].startswith("Daily digest: 2 leads")
    with session_scope(workspace.engine) as session:
        set_override(session, lead_id=ids[2], grade="A", reason="demo", by="sam")
        rule = session.get(AlertRule, rule_id)
        assert rule is not None and next_digest(
            rule, nine + timedelta(hours=3)
        ) == nine + timedelta(days=1)
    assert _tell(workspace, settings, http, clock, now=nine + timedelta(hours=3)) == 0


def test_quiet_hours_across_midnight_in_the_rules_time_zone() -> None:
    rule = AlertRule(quiet_start="22:00", quiet_end="07:00", timezone="America/New_York")
    late = datetime(2026, 12, 7, 4, 0, tzinfo=UTC)  # 23:00 in New York
    assert quiet_until(rule, late) == datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    assert quiet_until(rule, datetime(2026, 12, 7, 15, 0, tzinfo=UTC)) is None


def test_rules_that_could_never_fire_or_do_not_parse_are_refused(
    workspace: Workspace, settings: Settings
) -> None:
    with session_scope(workspace.engine) as session:
        for options, words in [
            ({}, "say when"),
            ({"grades": ["F"]}, "unknown grade"),
            ({"grades": ["A"], "quiet": "late"}, "quiet hours"),
            ({"grades": ["A"], "timezone": "Mars/Olympus"}, "time zone"),
            ({"grades": ["A"], "form": "xml"}, "format"),
        ]:
            with pytest.raises(BadInput, match=words):
                add_rule(session, settings, name="x", url="https://93.184.215.14/h", **options)  # type: ignore[arg-type]


def test_slack_text_is_escaped() -> None:
    assert (
        escape("<@U123> & <https://evil|click>") == "&lt;@U123&gt; &amp; &lt;https://evil|click&gt;"
    )
