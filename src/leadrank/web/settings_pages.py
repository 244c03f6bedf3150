"""`/settings/keys` and `/settings/users`: API keys and the people who sign in, an admin's to
manage (anyone else gets a 403 in the app's frame).

A new key, and a password the app made up, are shown once, in the answer to the form that
made them: never in a URL, never again (only hashes are kept), and the answer is not cached.
Disabling a user ends their sessions at once; an admin cannot disable themselves."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi import Path as PathParam
from starlette.responses import Response

from leadrank.auth.keys import (
    DEFAULT_REQUESTS_PER_MINUTE,
    ROLES,
    NewKey,
    any_keys,
    create_key,
    list_keys,
    revoke_key,
)
from leadrank.auth.sessions import SignedIn
from leadrank.auth.users import (
    LONGEST_PASSWORD,
    SHORTEST_PASSWORD,
    USER_ROLES,
    create_user,
    disable_user,
    get_user,
    list_users,
    random_password,
)
from leadrank.deps import NO_NUL, DbSession
from leadrank.errors import AppError, BadInput
from leadrank.web.deps import WebAdmin
from leadrank.web.errors import WebRoute
from leadrank.web.responses import go_to, render

router = APIRouter(route_class=WebRoute, include_in_schema=False)
MOST_REQUESTS_PER_MINUTE = 1_000_000
Prefix = Annotated[str, PathParam(min_length=1, max_length=16, pattern=r"^[0-9a-f]+$")]
UserId = Annotated[int, PathParam(ge=1, le=2**62)]
Shown = Annotated[str | None, Query(max_length=16, pattern=r"^[0-9a-f]*$")]

KEY_ROLES = {
    "scorer": "scores leads through the scoring API, nothing else",
    "reader": "reads leads, scores, imports and jobs",
    "writer": "also imports, enriches, scores and overrides grades",
    "admin": "everything, models and job retries included",
}
USER_ROLE_TEXT = {
    "reader": "sees every page, changes nothing",
    "writer": "also imports, reviews duplicates, overrides grades",
    "admin": "also models, jobs, API keys and users",
}


def _keys_page(
    request: Request,
    session: DbSession,
    *,
    new_key: NewKey | None = None,
    revoked: str | None = None,
    error: str | None = None,
    form: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    """The keys page, with what just happened."""
    guard = getattr(request.app.state, "guard", None)
    context = {
        "keys": list_keys(session),
        "roles": ROLES,
        "role_text": KEY_ROLES,
        "new_key": new_key,
        "revoked": revoked,
        "error": error,
        "form": form or {"name": "", "role": "scorer", "rate": DEFAULT_REQUESTS_PER_MINUTE},
        "most_per_minute": MOST_REQUESTS_PER_MINUTE,
        "auth_on": bool(guard is not None and guard.enabled),
        "keys_exist": any_keys(session),
        "now": datetime.now(UTC),
    }
    return render(request, "settings/keys.html", context, status=status)


@router.get("/settings/keys")
def keys_page(
    request: Request, session: DbSession, user: WebAdmin, revoked: Shown = None
) -> Response:
    """Every API key (never its secret), and a form to make one."""
    return _keys_page(request, session, revoked=revoked or None)


@router.post("/settings/keys")
def create_key_form(
    request: Request,
    session: DbSession,
    user: WebAdmin,
    name: Annotated[str, Form(max_length=200, pattern=NO_NUL)] = "",
    role: Annotated[str, Form(max_length=20)] = "scorer",
    requests_per_minute: Annotated[int, Form(ge=1, le=MOST_REQUESTS_PER_MINUTE)] = (
        DEFAULT_REQUESTS_PER_MINUTE
    ),
) -> Response:
    """Make a key and show it, this once."""
    form = {"name": name, "role": role, "rate": requests_per_minute}
    try:
        made = create_key(session, role=role, name=name, requests_per_minute=requests_per_minute)
    except BadInput as error:
        return _keys_page(request, session, error=error.message, form=form, status=400)
    return _keys_page(request, session, new_key=made, status=201)


@router.post("/settings/keys/{prefix}/revoke")
def revoke_key_form(
    request: Request, session: DbSession, user: WebAdmin, prefix: Prefix
) -> Response:
    """Stop a key from working (servers notice within half a minute)."""
    key = revoke_key(session, prefix=prefix)
    return go_to(f"/settings/keys?revoked={key.prefix}", request=request)


def _users_page(
    request: Request,
    session: DbSession,
    user: SignedIn,
    *,
    notice: str | None = None,
    password: tuple[str, str] | None = None,
    error: str | None = None,
    form: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    """The users page, with what just happened."""
    context = {
        "users": list_users(session),
        "roles": USER_ROLES,
        "role_text": USER_ROLE_TEXT,
        "me": user.user_id,
        "notice": notice,
        "password": password,
        "error": error,
        "form": form or {"email": "", "role": "reader"},
        "shortest": SHORTEST_PASSWORD,
        "longest": LONGEST_PASSWORD,
        "now": datetime.now(UTC),
    }
    return render(request, "settings/users.html", context, status=status)


@router.get("/settings/users")
def users_page(
    request: Request,
    session: DbSession,
    user: WebAdmin,
    created: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    disabled: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> Response:
    """Every user with their role and state, and a form to add one."""
    notice = None
    if created is not None:
        notice = f"{get_user(session, created).email} can sign in now."
    elif disabled is not None:
        notice = f"{get_user(session, disabled).email} can no longer sign in; their sessions ended."
    return _users_page(request, session, user, notice=notice)


@router.post("/settings/users")
def create_user_form(
    request: Request,
    session: DbSession,
    user: WebAdmin,
    email: Annotated[str, Form(max_length=320, pattern=NO_NUL)] = "",
    role: Annotated[str, Form(max_length=20)] = "reader",
    password: Annotated[str, Form(max_length=LONGEST_PASSWORD)] = "",
    generate: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Add a user with the password given, or (asked for, or none given) with one made up
    here and shown once."""
    made_up = random_password() if generate or not password else None
    try:
        created = create_user(
            session, email=email, password=made_up or password, role=role, now=datetime.now(UTC)
        )
    except AppError as error:  # a bad email or password, a taken email: the form again
        form = {"email": email, "role": role}
        return _users_page(
            request, session, user, error=error.message, form=form, status=error.status_code
        )
    if made_up is None:
        return go_to(f"/settings/users?created={created.id}", request=request)
    return _users_page(request, session, user, password=(created.email, made_up), status=201)


@router.post("/settings/users/{user_id}/disable")
def disable_user_form(
    request: Request, session: DbSession, user: WebAdmin, user_id: UserId
) -> Response:
    """Stop a user from signing in; their sessions end now."""
    target = get_user(session, user_id)
    try:
        disable_user(session, email=target.email, now=datetime.now(UTC), by_user_id=user.user_id)
    except BadInput as error:
        return _users_page(request, session, user, error=error.message, status=400)
    return go_to(f"/settings/users?disabled={target.id}", request=request)
