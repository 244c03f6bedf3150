"""Small workspaces for the routing tests: people in given places and companies, and rule
sets stored the way `leadrank routing set` stores them."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from leadrank.db.engine import session_scope
from leadrank.orm import Lead
from leadrank.routing.service import set_rules
from tests.conftest import Workspace
from tests.outlets.helpers import ingest_people

HEADER = "email,first_name,last_name,company,title,country,state,employees,industry,lead source\n"


def person(
    name: str,
    country: str = "",
    *,
    state: str = "",
    employees: int | None = None,
    industry: str = "",
    source: str = "web",
) -> str:
    """One CSV line: a person at a company of their own (so its size is theirs)."""
    company = f"{name}-co"
    return (
        f"{name}@{company}.com,{name.title()},Test,{company.title()},Manager,{country},{state},"
        f"{employees if employees is not None else ''},{industry},{source}\n"
    )


def add_people(workspace: Workspace, folder: Path, *lines: str) -> list[int]:
    """Ingest these people; the new leads' ids in the lines' order."""
    with session_scope(workspace.engine) as session:
        before = set(session.scalars(select(Lead.id)))
    ids = ingest_people(workspace, folder, HEADER + "".join(lines))
    return [lead_id for lead_id in ids if lead_id not in before]


def store_rules(workspace: Workspace, text: str) -> int:
    """Store and activate a rule set; its version."""
    with session_scope(workspace.engine) as session:
        return set_rules(session, text=text).version


def owners(workspace: Workspace, ids: list[int]) -> list[tuple[str | None, str | None]]:
    """Each lead's (owner, owner_source), in the order of `ids`."""
    with session_scope(workspace.engine) as session:
        found = {
            lead_id: (owner, source)
            for lead_id, owner, source in session.execute(
                select(Lead.id, Lead.owner, Lead.owner_source).where(Lead.id.in_(ids))
            )
        }
    return [found[lead_id] for lead_id in ids]
