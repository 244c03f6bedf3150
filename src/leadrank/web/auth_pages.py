"""`/login` and `/logout`: signing in with an email and a password, and out again.

The sign-in form carries a token that must match a cookie set with the form (there is no
session yet to hold it), so another site cannot sign a browser in to an account of its
choosing. Failed sign-ins in a row slow further attempts down (`auth.sign_in_limits`).
"""

from __future__ import annotations

import hmac
import math
import secrets
from datetime import UTC, datetime
from typing import Annotated

import structlog
from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from leadrank.auth.sessions import end_session, start_session
from leadrank.auth.sign_in_limits import (
    attempt_keys,
    clear_failures,
    record_failure,
    seconds_to_wait,
)
from leadrank.auth.users import LONGEST_PASSWORD, anyone_can_sign_in, signed_in_user
from leadrank.deps import DbSession
from leadrank.web.deps import SESSION_COOKIE, WebReader, secure_cookies, session_life
from leadrank.web.errors import WebRoute
from leadrank.web.responses import go_to, render, safe_next

log = structlog.get_logger("leadrank.web")
router = APIRouter(route_class=WebRoute, include_in_schema=False)
SIGN_IN_COOKIE = "leadrank_signin"  # the sign-in form's own CSRF token
Text = Annotated[str, Form(max_length=LONGEST_PASSWORD)]


@router.get("/")
def home() -> Response:
    """The worklist is the start page."""
    return go_to("/leads")


@router.get("/login")
def sign_in_form(request: Request, session: DbSession, next: str | None = None) -> Response:
    """The sign-in form."""
    return _form(request, session, next=safe_next(next))


@router.post("/login")
def sign_in(
    request: Request,
    session: DbSession,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Text = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2_000)] = "/leads",
) -> Response:
    """Check the email and password; a session cookie and the page asked for, or the form
    again with why not."""
    target = safe_next(next)
    expected = request.cookies.get(SIGN_IN_COOKIE, "")
    if not expected or not hmac.compare_digest(csrf_token.encode(), expected.encode()):
        return _form(
            request,
            session,
            next=target,
            email=email,
            status=403,
            error="This form expired: sign in again.",
        )
    now = datetime.now(UTC)
    client = request.client.host if request.client else None
    keys = attempt_keys(email=email, client=client)
    wait = seconds_to_wait(session, keys=keys, now=now)
    if wait > 0:
        seconds = math.ceil(wait)
        response = _form(
            request,
            session,
            next=target,
            email=email,
            status=429,
            error=f"Too many failed sign-ins: try again in {seconds} s.",
        )
        response.headers["Retry-After"] = str(seconds)
        return response
    user = signed_in_user(session, email=email, password=password, now=now)
    if user is None:
        record_failure(session, keys=keys, now=now)
        log.info("sign-in failed", email=email, client=client)  # emails are masked in logs
        return _form(
            request,
            session,
            next=target,
            email=email,
            status=401,
            error="That email and password do not match an account that may sign in.",
        )
    clear_failures(session, keys=keys[:1])  # the email's count; an address keeps its own
    settings = request.app.state.settings
    previous = request.cookies.get(SESSION_COOKIE)
    if previous:  # a browser signing in again leaves no session of its behind
        end_session(session, token=previous, now=now)
    token = start_session(session, user=user, now=now, life=session_life(settings))
    log.info("signed in", user=user.id, role=user.role)
    response = go_to(target)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(settings.web_session_max_days * 86_400),
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
        path="/",
    )
    response.delete_cookie(SIGN_IN_COOKIE, path="/login")
    return response


@router.get("/logout")
def sign_out_form(request: Request, user: WebReader) -> Response:
    """A button to sign out (signing out changes something, so it is a form, not a link)."""
    return render(request, "logout.html")


@router.post("/logout")
def sign_out(request: Request, session: DbSession, user: WebReader) -> Response:
    """End this browser's session."""
    token = request.cookies.get(SESSION_COOKIE, "")
    end_session(session, token=token, now=datetime.now(UTC))
    response = go_to("/login?signed_out=1")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _form(
    request: Request,
    session: DbSession,
    *,
    next: str,
    email: str = "",
    error: str | None = None,
    status: int = 200,
) -> Response:
    token = request.cookies.get(SIGN_IN_COOKIE) or secrets.token_urlsafe(32)
    no_users = not anyone_can_sign_in(session)
    notice = "You are signed out." if request.query_params.get("signed_out") else None
    response = render(
        request,
        "login.html",
        {
            "csrf_token": token,
            "next": next,
            "email": email[:320],
            "error": error,
            "notice": notice,
            "no_users": no_users,
        },
        status=status,
    )
    response.set_cookie(
        SIGN_IN_COOKIE,
        token,
        max_age=3_600,
        httponly=True,
        samesite="strict",
        secure=secure_cookies(request),
        path="/login",
    )
    return response
