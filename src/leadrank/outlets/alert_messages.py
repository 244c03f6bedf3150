"""The words of an alert: one lead, a summary of many, or a day's digest, as a Slack
incoming-webhook message (`text` for notifications, `blocks` for the message) or as plain
JSON for any other receiver. Pure.

Everything a lead's data brings is escaped for Slack's mrkdwn (`&`, `<`, `>`), so a lead
named "<!channel>" cannot ping a channel and a title cannot forge a link."""

from __future__ import annotations

from typing import Any

SHOWN_IN_SUMMARY = 5  # leads named in a summary or digest; the rest are counted
REASONS_SHOWN = 3


def escape(text: Any) -> str:
    """Text as Slack shows it literally."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def lead_url(public_url: str, lead_id: int) -> str:
    """The lead's page in the web app."""
    return f"{public_url.rstrip('/')}/leads/{lead_id}"


def why(rule: dict[str, Any], hit: dict[str, Any]) -> str:
    """What the lead did to meet the rule, in a few words."""
    if hit.get("event") == "lead.grade_changed":
        before = hit.get("previous_grade")
        return f"entered grade {hit.get('grade')}" + (f" (was {before})" if before else "")
    return f"reached score {_score(hit.get('score'))} (rule: {_score(rule.get('min_score'))}+)"


def one_lead(
    rule: dict[str, Any], hit: dict[str, Any], *, public_url: str, form: str
) -> dict[str, Any]:
    """A message about one lead."""
    url = lead_url(public_url, int(hit["lead_id"]))
    if form == "json":
        return {"rule": rule["name"], "kind": "lead", "count": 1, "leads": [_lead_json(hit, url)]}
    name = escape(_name(hit))
    title = f"*<{url}|{name}>* {escape(why(rule, hit))}"
    lines = [title, escape(_position(hit)), _figures(hit)]
    reasons = [f"• {escape(reason)}" for reason in _reasons(hit)]
    text = f"{_name(hit)} {why(rule, hit)}"
    return {
        "text": escape(text),
        "blocks": [
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": "\n".join(line for line in lines if line)},
            },
            *(
                [{"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(reasons)}}]
                if reasons
                else []
            ),
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": f"leadrank alert: {escape(rule['name'])}"}],
            },
        ],
    }


def many_leads(
    rule: dict[str, Any],
    hits: list[dict[str, Any]],
    *,
    public_url: str,
    form: str,
    kind: str,
    count: int | None = None,
) -> dict[str, Any]:
    """One message about `count` leads (default: the hits given), naming the best-scored of
    `hits`: a `summary` (a bulk rescore moved many at once, or quiet hours held them) or a
    `digest` (the day's)."""
    total = len(hits) if count is None else count
    best = sorted(hits, key=lambda hit: -(_number(hit.get("score")) or 0.0))
    shown = best[:SHOWN_IN_SUMMARY]
    worklist = _worklist(public_url, rule)
    if form == "json":
        return {
            "rule": rule["name"],
            "kind": kind,
            "count": total,
            "url": worklist,
            "leads": [_lead_json(hit, lead_url(public_url, int(hit["lead_id"]))) for hit in shown],
        }
    heading = (
        f"{total} leads met the rule {rule['name']}"
        if kind == "summary"
        else f"Daily digest: {total} leads met the rule {rule['name']}"
    )
    lines = [
        f"• *<{lead_url(public_url, int(hit['lead_id']))}|{escape(_name(hit))}>* "
        f"{escape(why(rule, hit))} · {_figures(hit)}"
        for hit in shown
    ]
    if total > len(shown):
        lines.append(f"…and {total - len(shown)} more: <{worklist}|open the worklist>")
    return {
        "text": escape(heading),
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": heading[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)[:3000]}},
        ],
    }


def _worklist(public_url: str, rule: dict[str, Any]) -> str:
    grades = rule.get("grades") or []
    query = "&".join(f"grade={grade}" for grade in grades)
    return f"{public_url.rstrip('/')}/leads" + (f"?{query}" if query else "")


def _lead_json(hit: dict[str, Any], url: str) -> dict[str, Any]:
    keep = ("lead_id", "name", "email", "title", "company", "grade", "previous_grade", "score",
            "previous_score", "probability", "reasons", "owner")  # fmt: skip
    return {**{key: hit.get(key) for key in keep}, "url": url}


def _name(hit: dict[str, Any]) -> str:
    return str(hit.get("name") or hit.get("email") or f"lead {hit.get('lead_id')}")


def _position(hit: dict[str, Any]) -> str:
    title, company = hit.get("title"), hit.get("company")
    if title and company:
        return f"{title} at {company}"
    return str(title or company or "")


def _figures(hit: dict[str, Any]) -> str:
    parts = [f"grade *{escape(hit.get('grade') or '-')}*", f"score {_score(hit.get('score'))}"]
    probability = _number(hit.get("probability"))
    if probability is not None:
        parts.append(f"{probability:.0%} likely")
    if hit.get("owner"):
        parts.append(f"owner {escape(hit['owner'])}")
    return " · ".join(parts)


def _reasons(hit: dict[str, Any]) -> list[str]:
    reasons = hit.get("reasons")
    if not isinstance(reasons, list):
        return []
    return [str(reason) for reason in reasons[:REASONS_SHOWN]]


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _score(value: Any) -> str:
    number = _number(value)
    return "-" if number is None else f"{number:.0f}"
