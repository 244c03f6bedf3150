"""Stored ideal customer profiles: each save is a new version of its name, and one version
is active: the profile `leadrank score` and the API's rules use unless told otherwise."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from leadrank.errors import BadInput, Conflict, NotFound
from leadrank.kit.storable import unstorable
from leadrank.orm import IcpProfile
from leadrank.scoring.icp import Profile, load_profile, parse_profile

NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")


def save_profile(
    session: Session,
    *,
    document: dict[str, Any],
    created_by: str | None = None,
    activate: bool = False,
) -> IcpProfile:
    """Validate a profile and store it as the next version of its name."""
    problem = unstorable(document)
    if problem:
        raise BadInput(f"the profile {problem}")
    profile = parse_profile(document, source="profile")
    if not NAME.match(profile.name):
        raise BadInput(
            f"profile name {profile.name!r}: use lower-case letters, digits, - and _ "
            "(up to 100, starting with a letter or digit)"
        )
    latest = session.scalar(
        select(func.max(IcpProfile.version)).where(IcpProfile.name == profile.name)
    )
    record = IcpProfile(
        name=profile.name,
        version=(latest or 0) + 1,
        document=profile.model_dump(mode="json", exclude_none=True),
        active=False,
        created_by=created_by,
        created_at=datetime.now(UTC),
    )
    session.add(record)
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(
            f"another save made {record.name} v{record.version} at the same moment; save again"
        ) from exc
    if activate:
        activate_profile(session, name=record.name, version=record.version)
    return record


def find_profile(session: Session, *, name: str, version: int | None = None) -> IcpProfile:
    """A version of a profile (its newest when none is given), or 404."""
    statement = select(IcpProfile).where(IcpProfile.name == name)
    if version is not None:
        statement = statement.where(IcpProfile.version == version)
    record = session.scalar(statement.order_by(IcpProfile.version.desc()).limit(1))
    if record is None:
        shown = f"{name} v{version}" if version is not None else name
        raise NotFound(f"no profile {shown}")
    return record


def list_profiles(session: Session) -> list[IcpProfile]:
    """The newest version of each profile, and the active version where it is older."""
    newest = (
        select(IcpProfile.name, func.max(IcpProfile.version).label("version"))
        .group_by(IcpProfile.name)
        .subquery()
    )
    statement = (
        select(IcpProfile)
        .outerjoin(
            newest,
            (IcpProfile.name == newest.c.name) & (IcpProfile.version == newest.c.version),
        )
        .where(newest.c.name.is_not(None) | IcpProfile.active)
        .order_by(IcpProfile.name, IcpProfile.version.desc())
    )
    return list(session.scalars(statement))


def versions_of(session: Session, name: str) -> list[IcpProfile]:
    """Every version of one profile, newest first."""
    found = list(
        session.scalars(
            select(IcpProfile).where(IcpProfile.name == name).order_by(IcpProfile.version.desc())
        )
    )
    if not found:
        raise NotFound(f"no profile {name}")
    return found


def activate_profile(session: Session, *, name: str, version: int | None = None) -> IcpProfile:
    """Make a version (the newest when none is given) the one scoring uses."""
    record = find_profile(session, name=name, version=version)
    # The active one is let go first: the unique index allows one active row at a time.
    session.execute(
        update(IcpProfile)
        .where(IcpProfile.active, IcpProfile.id != record.id)
        .values(active=False)
        .execution_options(synchronize_session="fetch")
    )
    try:
        session.flush()
        record.active = True
        session.flush()
    except IntegrityError as exc:
        raise Conflict("another profile was activated at the same moment; try again") from exc
    return record


def deactivate_profiles(session: Session) -> None:
    """Back to the built-in profile."""
    session.execute(
        update(IcpProfile)
        .where(IcpProfile.active)
        .values(active=False)
        .execution_options(synchronize_session="fetch")
    )


def active_profile(session: Session) -> IcpProfile | None:
    """The stored version scoring uses, if any."""
    return session.scalar(select(IcpProfile).where(IcpProfile.active))


def profile_of(record: IcpProfile) -> Profile:
    """The profile a stored version holds."""
    return parse_profile(record.document, source=f"profile {record.name} v{record.version}")


def scoring_profile(session: Session, path: Path | None = None) -> Profile:
    """The profile to score with: a file when one is named, else the active stored profile,
    else the built-in one."""
    if path is not None:
        return load_profile(path)
    record = active_profile(session)
    return profile_of(record) if record is not None else load_profile(None)


def edit_rules(
    session: Session,
    *,
    name: str,
    add: dict[str, Any] | None = None,
    remove: int | None = None,
    created_by: str | None = None,
) -> IcpProfile:
    """A new version of a profile with a rule added or the rule at `remove` taken out; it is
    active when the version it edits was."""
    current = find_profile(session, name=name)
    document = dict(current.document)
    rules = list(document.get("rules", []))
    if remove is not None:
        if not 0 <= remove < len(rules):
            raise NotFound(f"profile {name} v{current.version} has no rule {remove}")
        rules.pop(remove)
    if add is not None:
        rules.append(add)
    document["rules"] = rules
    return save_profile(session, document=document, created_by=created_by, activate=current.active)
