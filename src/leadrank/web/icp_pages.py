"""`/icp`: the ideal customer profile and its engagement settings. The profile scoring uses
and every stored version; an editor of rules, groups and caps, hard filters and event points
as rows or as YAML; a preview of the workspace's fit under the edits (nothing stored); save
as a new version, activate one (admins, as the API has it), and compare two versions.

The work is `scoring.icp_store`'s (versions), `scoring.icp_preview`'s (fit without storing)
and `scoring.icp_compare`'s (what changed), as the API and `leadrank icp` use them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import Response

from leadrank.deps import DbSession
from leadrank.errors import BadInput, NotFound
from leadrank.kit import charts
from leadrank.leads.browse import LeadFilters, LeadRow, browse_leads
from leadrank.orm import IcpProfile
from leadrank.scoring import icp_store
from leadrank.scoring.icp import OPERATOR_WORDS, Profile, load_profile, parse_profile
from leadrank.scoring.icp_compare import compare_profiles
from leadrank.scoring.icp_preview import FitPreview, preview_fit
from leadrank.web.deps import WebAdmin, WebReader
from leadrank.web.errors import WebRoute
from leadrank.web.icp_form import (
    FIELDS,
    Draft,
    ProfileForm,
    RuleRow,
    document_of_draft,
    document_of_yaml,
    draft_of,
    draft_of_form,
    profile_of_form,
    value_text,
    yaml_of,
    yaml_of_document,
)
from leadrank.web.responses import go_to, is_partial, render

router = APIRouter(route_class=WebRoute, include_in_schema=False)
BUILT_IN = "built-in"
# A version of a profile in a URL: "default:3", or the built-in profile.
Ref = Annotated[
    str | None,
    Query(max_length=120, pattern=rf"^({BUILT_IN}|{icp_store.NAME.pattern[1:-1]}:[0-9]{{1,9}})$"),
]
Mode = Literal["form", "yaml"]
# A version number as a URL or a form gives it: digits 0-9 only (str.isdigit() takes "²",
# which int() refuses) and few enough of them for the database's integer.
_VERSION_NUMBER = re.compile(r"[0-9]{1,9}")


@dataclass(frozen=True)
class Version:
    """A profile the page can open: a stored version, or the built-in profile."""

    ref: str
    label: str
    profile: Profile
    record: IcpProfile | None

    @property
    def active(self) -> bool:
        """Whether scoring uses it (the built-in profile when no stored one is active)."""
        return self.record.active if self.record is not None else False


def _built_in() -> Version:
    profile = load_profile(None)
    return Version(BUILT_IN, f"built-in {profile.name}", profile, None)


def _version(record: IcpProfile) -> Version:
    return Version(
        f"{record.name}:{record.version}",
        f"{record.name} v{record.version}",
        icp_store.profile_of(record),
        record,
    )


def _in_use(session: DbSession) -> Version:
    """The version scoring uses."""
    record = icp_store.active_profile(session)
    return _version(record) if record is not None else _built_in()


def _open(session: DbSession, ref: str | None) -> Version:
    """The version a URL names (the one in use when it names none)."""
    if ref is None:
        return _in_use(session)
    if ref == BUILT_IN:
        return _built_in()
    name, version = _name_and_version(ref)
    return _version(icp_store.find_profile(session, name=name, version=version))


def _name_and_version(ref: str) -> tuple[str, int]:
    """ "default:3" as ("default", 3); NotFound for anything else: no version has that name."""
    name, _, version = ref.rpartition(":")
    if not icp_store.NAME.fullmatch(name) or not _VERSION_NUMBER.fullmatch(version):
        raise NotFound(f"no profile version {ref!r}")
    return name, int(version)


def _every_version(session: DbSession) -> list[Version]:
    """Every stored version, by profile and newest first, then the built-in profile."""
    names = dict.fromkeys(record.name for record in icp_store.list_profiles(session))
    found = [_version(r) for name in names for r in icp_store.versions_of(session, name)]
    return [*found, _built_in()]


def _editor(
    user: Any,
    *,
    mode: Mode,
    draft: Draft,
    yaml_text: str,
    error: str | None = None,
) -> dict[str, Any]:
    """What the editor's template needs."""
    return {
        "mode": mode,
        "draft": draft,
        "yaml_text": yaml_text,
        "error": error,
        "can_save": user.role == "admin",
        "fields": FIELDS,
        "operators": OPERATOR_WORDS,
        "blank": RuleRow(),
    }


def _page(
    request: Request,
    session: DbSession,
    user: Any,
    *,
    opened: Version,
    editor: dict[str, Any],
    notice: str | None = None,
    status: int = 200,
) -> Response:
    in_use = _in_use(session)
    versions = _every_version(session)
    context = {
        **editor,
        "opened": opened,
        "in_use": in_use,
        "in_use_is_built_in": in_use.record is None,
        "versions": versions,
        "notice": notice,
    }
    return render(request, "icp/page.html", context, status=status)


@router.get("/icp")
def icp_page(
    request: Request, session: DbSession, user: WebReader, open: Ref = None, saved: int = 0
) -> Response:
    """The profile in use, its versions, and the editor (holding `open`, else the one in
    use)."""
    opened = _open(session, open)
    editor = _editor(
        user,
        mode="form",
        draft=draft_of(opened.profile),
        yaml_text=yaml_of(opened.profile),
    )
    notice = f"Saved {opened.label}." if saved and opened.record is not None else None
    return _page(request, session, user, opened=opened, editor=editor, notice=notice)


@router.post("/icp/editor/{mode}")
def switch_editor(
    request: Request, user: WebReader, mode: Mode, form: Annotated[ProfileForm, Form()]
) -> Response:
    """The editor again as rows or as YAML, holding what it held (with why not, when the
    edits cannot be turned into the other form)."""
    draft, text = Draft(), form.yaml_text
    error: str | None = None
    try:
        draft = draft_of_form(form)
        if mode == "yaml" and form.source == "form":
            document = document_of_draft(draft)
            try:
                text = yaml_of(parse_profile(document, source="form"))
            except BadInput as problem:  # shown as YAML anyway, to be mended there
                text, error = yaml_of_document(document), problem.message
        elif mode == "form" and form.source == "yaml":
            draft = draft_of(parse_profile(document_of_yaml(text), source="YAML"))
    except BadInput as problem:
        mode, error = form.source, problem.message
    context = _editor(user, mode=mode, draft=draft, yaml_text=text, error=error)
    return render(request, "icp/_editor.html", context)


@router.get("/icp/rows/{kind}")
def blank_row(
    request: Request, user: WebReader, kind: Literal["rule", "filter", "group", "event", "none"]
) -> Response:
    """An empty row for the editor's table of `kind` (nothing for "none": a removed row)."""
    context = {"kind": kind, "row": RuleRow(), "fields": FIELDS, "operators": OPERATOR_WORDS}
    return render(request, "icp/_row.html", context)


@router.post("/icp/preview")
def preview(
    request: Request, session: DbSession, user: WebReader, form: Annotated[ProfileForm, Form()]
) -> Response:
    """The fit of the workspace's leads under the profile in use and under the edits, and
    ten leads as they would score; nothing is stored."""
    in_use = _in_use(session)
    try:
        edited = profile_of_form(form)
        result = preview_fit(session, current=in_use.profile, edited=edited)
    except BadInput as problem:
        status = 200 if is_partial(request) else 400  # htmx shows only what answers 2xx
        return render(request, "icp/_preview.html", {"error": problem.message}, status=status)
    rows = _lead_rows(session, [lead.lead_id for lead in result.leads])
    context = {
        "error": None,
        "result": result,
        "in_use": in_use,
        "edited": edited,
        "rows": rows,
        "chart": _histogram(result, before=in_use.label),
    }
    return render(request, "icp/_preview.html", context)


def _lead_rows(session: DbSession, ids: list[int]) -> dict[int, LeadRow]:
    """The leads listed in a preview, with their served score, by id."""
    if not ids:
        return {}
    rows, _ = browse_leads(session, filters=LeadFilters(ids=tuple(ids)), limit=len(ids))
    return {row.lead.id: row for row in rows}


def _histogram(result: FitPreview, *, before: str) -> str:
    """The fit distribution under both profiles, as grouped bars per band of fit."""
    import altair as alt

    values = []
    for band, old, new in result.histogram():
        values.append({"band": band, "profile": f"In use ({before})", "leads": old})
        values.append({"band": band, "profile": "With your edits", "leads": new})
    order = [band for band, _, _ in result.histogram()]
    chart = (
        alt.Chart(alt.InlineData(values=values))
        .mark_bar()
        .encode(
            x=alt.X("band:N", sort=order, title="Fit", axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset("profile:N"),
            y=alt.Y("leads:Q", title="Leads"),
            color=alt.Color(
                "profile:N",
                scale=alt.Scale(range=[charts.MUTED, charts.ACCENT]),
                legend=alt.Legend(orient="top", title=None),
            ),
            tooltip=["band:N", "profile:N", "leads:Q"],
        )
        .properties(width=880, height=220)
    )
    return charts.svg(chart)


@router.post("/icp/save")
def save(
    request: Request, session: DbSession, user: WebAdmin, form: Annotated[ProfileForm, Form()]
) -> Response:
    """Store the edits as the next version of the profile's name (and make it the one in use
    when asked); the editor again with what is wrong when they are not a valid profile."""
    try:
        profile = profile_of_form(form)
        record = icp_store.save_profile(
            session,
            document=profile.model_dump(mode="json", exclude_none=True),
            created_by=user.email,
            activate=form.activate,
        )
    except BadInput as problem:
        mode: Mode = form.source
        editor = _editor(
            user,
            mode=mode,
            draft=draft_of_form(form) if mode == "form" else Draft(),
            yaml_text=form.yaml_text,
            error=problem.message,
        )
        opened = _in_use(session)
        return _page(request, session, user, opened=opened, editor=editor, status=400)
    return go_to(f"/icp?open={record.name}:{record.version}&saved=1", request=request)


@router.post("/icp/activate")
def activate(
    request: Request,
    session: DbSession,
    user: WebAdmin,
    ref: Annotated[str, Form(max_length=120)],
) -> Response:
    """Make a stored version (or the built-in profile) the one scoring uses from its next
    run."""
    if ref == BUILT_IN:
        icp_store.deactivate_profiles(session)
        return go_to("/icp", request=request)
    name, version = _name_and_version(ref)
    record = icp_store.activate_profile(session, name=name, version=version)
    return go_to(f"/icp?open={record.name}:{record.version}", request=request)


@router.get("/icp/compare")
def compare(
    request: Request, session: DbSession, user: WebReader, a: Ref = None, b: Ref = None
) -> Response:
    """Two versions side by side: rules and filters added, removed and changed; caps and
    engagement settings that differ. By default the one in use and the version before it."""
    versions = _every_version(session)
    newer = _open(session, b)
    if a is not None:
        older = _open(session, a)
    else:
        # The version listed after it (the one before it, or the built-in profile); for the
        # built-in profile, the newest stored version is compared with it.
        refs = [v.ref for v in versions]
        at = refs.index(newer.ref)
        if at + 1 < len(versions):
            older = versions[at + 1]
        elif b is None and at > 0:
            older, newer = newer, versions[at - 1]
        else:
            older = newer
    context = {
        "older": older,
        "newer": newer,
        "versions": versions,
        "comparison": compare_profiles(older.profile, newer.profile),
        "most": (older.profile.most_points(), newer.profile.most_points()),
        "value_text": value_text,
    }
    return render(request, "icp/compare.html", context)
