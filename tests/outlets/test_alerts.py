"""Alerts: a lead entering a grade or reaching a score is told in the chat, alone, in one
summary when many come at once, after quiet hours, or in the day's digest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from leadrank.config import Settings
from leadrank.db.engine import session_scope
from leadrank.errors import BadInput
from leadrank.leads.grade_overrides import set_override
from leadrank.orm.outlets import AlertHit, AlertRule
from leadrank.outlets.alert_messages import escape
from leadrank.outlets.alert_rules import add_rule, next_digest, quiet_until
from leadrank.scoring.score_run import score_workspace
from tests.conftest import Workspace
from tests.outlets.conftest import Outlet
from tests.outlets.helpers import PEOPLE, ingest_people

MANY = PEOPLE + "".join(
    f"p{n}@firm{n}.com,Pat{n},Quinn,Firm {n},Head of Sales,US\n" for n in range(8)
)


def _rule(outlet: Outlet, path: str, **options: object) -> int:
    with session_scope(outlet.workspace.engine) as session:
        rule = add_rule(
            session,
            outlet.settings,
            name="hot",
            url=outlet.url + path,
            **options,  # type: ignore[arg-type]
        )
        return rule.id


def _override(outlet: Outlet, lead_ids: list[int], grade: str = "A") -> None:
    for lead_id in lead_ids:
        with session_scope(outlet.workspace.engine) as session:
            set_override(session, lead_id=lead_id, grade=grade, reason="demo", by="sam")


def _score(outlet: Outlet) -> None:
    with session_scope(outlet.workspace.engine) as session:
        score_workspace(session)


def test_a_lead_entering_the_grade_is_told_with_its_reasons_and_link(outlet: Outlet) -> None:
    people = PEOPLE.replace("Ann,Lee", "<!channel>,Lee")
    ids = ingest_people(outlet.workspace, outlet.folder / "in", people)
    _rule(outlet, "/slack/T1/B1/x", grades=["A"])
    _override(outlet, ids[:1])
    _override(outlet, ids[1:2], grade="B")  # not A
    assert outlet.tell() == 1
    (posted,) = outlet.receiver.got()
    message = posted.json
    section = message["blocks"][0]["text"]["text"]
    assert f"/leads/{ids[0]}|&lt;!channel&gt; Lee>*" in section and "<!channel>" not in section
    assert "entered grade A" in section and "VP Engineering at Acme Corp" in section
    assert message["text"].startswith("&lt;!channel&gt; Lee entered grade A")
    # Told once: the same lead is news again only after leaving the grade and coming back.
    assert outlet.tell() == 0


def test_a_bulk_rescore_posts_one_summary_not_one_message_per_lead(outlet: Outlet) -> None:
    ingest_people(outlet.workspace, outlet.folder / "in", MANY)
    _rule(outlet, "/slack/T1/B1/x", grades=["A", "B", "C", "D", "E"])
    _score(outlet)
    assert outlet.tell() == 1
    (posted,) = outlet.receiver.got()
    assert posted.json["blocks"][0]["text"]["text"] == "13 leads met the rule hot"
    assert "and 8 more" in posted.json["blocks"][1]["text"]["text"]


def test_a_score_line_is_told_when_crossed_from_below_and_json_form(outlet: Outlet) -> None:
    ingest_people(outlet.workspace, outlet.folder / "in")
    _rule(outlet, "/alerts", min_score=0, form="json")
    _score(outlet)
    assert outlet.tell() == 5
    bodies = [request.json for request in outlet.receiver.got()]
    assert {body["kind"] for body in bodies} == {"lead"}
    assert all(b["leads"][0]["url"].startswith("http://127.0.0.1:8000/leads/") for b in bodies)
    _score(outlet)  # the same scores again: no line crossed
    assert outlet.tell() == 0


def test_quiet_hours_hold_alerts_until_they_end(outlet: Outlet) -> None:
    ids = ingest_people(outlet.workspace, outlet.folder / "in")
    now = datetime.now(UTC)
    start, end = (now - timedelta(hours=1)), (now + timedelta(hours=1))
    _rule(outlet, "/slack/a", grades=["A"], quiet=f"{start:%H}:00-{end:%H}:00")
    _override(outlet, ids[:1])
    assert outlet.tell(now) == 0
    with session_scope(outlet.workspace.engine) as session:
        assert session.scalar(select(AlertHit.sent_at)) is None
    later = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1, minutes=1)
    assert outlet.tell(later) == 1


def test_a_digest_rule_speaks_once_a_day_at_its_hour(outlet: Outlet) -> None:
    ids = ingest_people(outlet.workspace, outlet.folder / "in")
    options = {"grades": ["A"], "digest": True, "digest_hour": 9, "timezone": "Europe/Berlin"}
    rule_id = _rule(outlet, "/slack/d", **options)
    _override(outlet, ids[:2])
    morning = datetime(2026, 12, 7, 7, 30, tzinfo=UTC)  # 08:30 in Berlin
    assert outlet.tell(morning) == 0
    nine = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    assert outlet.tell(nine) == 1
    heading = outlet.receiver.got()[0].json["blocks"][0]["text"]["text"]
    assert heading.startswith("Daily digest: 2 leads")
    _override(outlet, ids[2:3])
    with session_scope(outlet.workspace.engine) as session:
        rule = session.get(AlertRule, rule_id)
        assert rule is not None
        # A lead met the rule after today's hour: it waits for tomorrow's digest, even on a
        # day whose digest had nothing to say.
        assert next_digest(rule, nine + timedelta(hours=3)) == nine + timedelta(days=1)
        assert next_digest(rule, morning) == nine
    with session_scope(outlet.workspace.engine) as session:  # the hit came at 11:00 Berlin
        session.execute(
            update(AlertHit)
            .where(AlertHit.sent_at.is_(None))
            .values(created_at=nine + timedelta(hours=2))
        )
    assert outlet.tell(nine + timedelta(hours=3)) == 0
    assert outlet.tell(nine + timedelta(days=1)) == 1


def test_a_storm_of_hits_is_one_summary_naming_the_best_and_all_are_marked_told(
    outlet: Outlet,
) -> None:
    from sqlalchemy import func, insert

    ingest_people(outlet.workspace, outlet.folder / "in")
    rule_id = _rule(outlet, "/slack/s", grades=["A"])
    now = datetime.now(UTC)
    hits = [
        {
            "rule_id": rule_id,
            "lead_id": n % 20_000,
            "score": float(n % 97),
            "details": {"event": "lead.grade_changed", "grade": "A", "score": float(n % 97),
                        "name": f"Lead {n % 20_000}"},
            "created_at": now,
        }
        for n in range(30_000)
    ]  # fmt: skip
    with session_scope(outlet.workspace.engine) as session:
        session.execute(insert(AlertHit), hits)
    assert outlet.tell() == 1
    (posted,) = outlet.receiver.got()
    assert posted.json["blocks"][0]["text"]["text"] == "20000 leads met the rule hot"
    assert posted.json["blocks"][1]["text"]["text"].count("score 96") == 5
    with session_scope(outlet.workspace.engine) as session:
        waiting = select(func.count()).select_from(AlertHit).where(AlertHit.sent_at.is_(None))
        assert session.scalar(waiting) == 0


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
    assert escape("<@U1> & <https://evil|click>") == "&lt;@U1&gt; &amp; &lt;https://evil|click&gt;"
