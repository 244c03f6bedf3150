"""`/api/v1/icp`: ideal customer profiles and their rules. Every change saves a new version;
one version is active and is what workspace scoring uses. Thin: `icp_store` does the work."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi import Path as PathParam
from pydantic import BaseModel

from leadrank.api.errors import error_responses
from leadrank.deps import READERS, Admin, DbSession
from leadrank.orm import IcpProfile
from leadrank.scoring import icp_store
from leadrank.scoring.icp import Profile, Rule, load_profile

router = APIRouter(
    prefix="/api/v1/icp", tags=["icp"], responses=error_responses(401, 403, 422, 429)
)
Name = Annotated[str, PathParam(max_length=100, pattern=icp_store.NAME.pattern)]
Version = Annotated[int | None, Query(ge=1, le=2**31 - 1, description="Default: the newest")]
Admin = Admin


class ProfileSummary(BaseModel):
    """One stored version of a profile."""

    name: str
    version: int | None  # None: the built-in profile
    active: bool
    description: str | None
    rules: int
    filters: int
    created_by: str | None
    created_at: datetime | None


class ProfileDetail(ProfileSummary):
    """A version with its whole document and the most points a lead can score."""

    document: dict[str, Any]
    most_points: float


class RuleAt(BaseModel):
    """A rule and its place in the profile (to remove it by)."""

    index: int
    rule: dict[str, Any]
    described: str


@router.get("/profiles", summary="List profiles", dependencies=[READERS])
def list_profiles(session: DbSession) -> list[ProfileSummary]:
    """The newest version of each stored profile, and the active version."""
    return [_summary(record) for record in icp_store.list_profiles(session)]


@router.post(
    "/profiles",
    summary="Save a profile",
    status_code=201,
    responses=error_responses(400, 409),
)
def save_profile(
    session: DbSession,
    profile: Profile,
    principal: Admin,
    activate: Annotated[bool, Query(description="Use it for scoring now")] = False,
) -> ProfileDetail:
    """Store a profile (the YAML document of `leadrank icp show`, as JSON) as the next
    version of its name."""
    record = icp_store.save_profile(
        session,
        document=profile.model_dump(mode="json", exclude_none=True),
        created_by=principal.prefix,
        activate=activate,
    )
    return _detail(record)


@router.get("/active", summary="The profile scoring uses", dependencies=[READERS])
def active(session: DbSession) -> ProfileDetail:
    """The active stored version, or the built-in profile (version null) when none is."""
    record = icp_store.active_profile(session)
    if record is not None:
        return _detail(record)
    built_in = load_profile(None)
    return ProfileDetail(
        **_counts(built_in),
        version=None,
        active=True,
        created_by=None,
        created_at=None,
        document=built_in.model_dump(mode="json", exclude_none=True),
        most_points=built_in.most_points(),
    )


@router.get(
    "/profiles/{name}",
    summary="One profile",
    dependencies=[READERS],
    responses=error_responses(404),
)
def get_profile(session: DbSession, name: Name, version: Version = None) -> ProfileDetail:
    """A version of a profile with its document."""
    return _detail(icp_store.find_profile(session, name=name, version=version))


@router.get(
    "/profiles/{name}/versions",
    summary="Every version of a profile",
    dependencies=[READERS],
    responses=error_responses(404),
)
def versions(session: DbSession, name: Name) -> list[ProfileSummary]:
    """Newest first."""
    return [_summary(record) for record in icp_store.versions_of(session, name)]


@router.post(
    "/profiles/{name}/activate",
    summary="Use a profile for scoring",
    responses=error_responses(404, 409),
)
def activate(
    session: DbSession, name: Name, _principal: Admin, version: Version = None
) -> ProfileDetail:
    """The version (the newest by default) becomes the one scoring uses; `leadrank score`
    applies it at its next run."""
    return _detail(icp_store.activate_profile(session, name=name, version=version))


@router.get(
    "/profiles/{name}/rules",
    summary="A profile's rules",
    dependencies=[READERS],
    responses=error_responses(404),
)
def rules(session: DbSession, name: Name, version: Version = None) -> list[RuleAt]:
    """The rules of a version, in order, each with the words its reasons use."""
    record = icp_store.find_profile(session, name=name, version=version)
    profile = icp_store.profile_of(record)
    return [
        RuleAt(
            index=index,
            rule=rule.model_dump(mode="json", exclude_none=True),
            described=rule.described(),
        )
        for index, rule in enumerate(profile.rules)
    ]


@router.post(
    "/profiles/{name}/rules",
    summary="Add a rule",
    status_code=201,
    responses=error_responses(400, 404, 409),
)
def add_rule(session: DbSession, name: Name, rule: Rule, principal: Admin) -> ProfileDetail:
    """Save a new version of the profile with the rule added at the end."""
    record = icp_store.edit_rules(
        session,
        name=name,
        add=rule.model_dump(mode="json", exclude_none=True),
        created_by=principal.prefix,
    )
    return _detail(record)


@router.delete(
    "/profiles/{name}/rules/{index}",
    summary="Remove a rule",
    responses=error_responses(400, 404, 409),
)
def remove_rule(
    session: DbSession,
    name: Name,
    index: Annotated[int, PathParam(ge=0, le=10_000)],
    principal: Admin,
) -> ProfileDetail:
    """Save a new version of the profile without the rule at `index`."""
    record = icp_store.edit_rules(session, name=name, remove=index, created_by=principal.prefix)
    return _detail(record)


def _counts(profile: Profile) -> dict[str, Any]:
    return {
        "name": profile.name,
        "description": profile.description,
        "rules": len(profile.rules),
        "filters": len(profile.filters),
    }


def _summary(record: IcpProfile) -> ProfileSummary:
    return ProfileSummary(
        **_counts(icp_store.profile_of(record)),
        version=record.version,
        active=record.active,
        created_by=record.created_by,
        created_at=record.created_at,
    )


def _detail(record: IcpProfile) -> ProfileDetail:
    profile = icp_store.profile_of(record)
    return ProfileDetail(
        **_summary(record).model_dump(),
        document=dict(record.document),
        most_points=profile.most_points(),
    )
