"""Small workspaces for the outlets' tests: a few leads from a CSV, and endpoints on the
fake receiver."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from leadrank.config import Settings
from leadrank.db.engine import session_scope
from leadrank.ingest.service import ingest_file
from leadrank.orm import Lead
from leadrank.outlets.endpoints import add_endpoint
from tests.conftest import Workspace

PEOPLE = """email,first_name,last_name,company,title,country
ann@acme-corp.com,Ann,Lee,Acme Corp,VP Engineering,US
bo@globex.io,Bo,Chen,Globex,Head of Data,DE
carla@initech.com,Carla,Diaz,Initech,CFO,FR
dev@umbrella-health.com,Dev,Patel,Umbrella Health,Director of IT,GB
eva@hooli.xyz,Eva,Novak,Hooli,Chief Revenue Officer,US
"""


def ingest_people(workspace: Workspace, folder: Path, text: str = PEOPLE) -> list[int]:
    """Ingest the people; their lead ids in the file's order."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"people-{len(list(folder.iterdir()))}.csv"
    path.write_text(text)
    with session_scope(workspace.engine) as session:
        ingest_file(session, path=path, source="crm", kind="leads")
    with session_scope(workspace.engine) as session:
        return list(session.scalars(select(Lead.id).order_by(Lead.id)))


def subscribe(workspace: Workspace, settings: Settings, url: str, *events: str) -> tuple[int, str]:
    """An endpoint for these events at `url`: its id and secret."""
    with session_scope(workspace.engine) as session:
        endpoint = add_endpoint(session, settings, url=url, events=list(events))
        return endpoint.id, endpoint.secret
