"""Who is signed in to a page, and what they may do.

Every page depends on one of `WebReader`, `WebWriter` or `WebAdmin`: the request's session
cookie must name a live session (else the browser goes to /login), the user's role must be
one the page accepts (the same check API keys pass), and a request that changes anything
must carry the session's CSRF token, in the form field `csrf_token` or the header
`X-CSRF-Token` (htmx sends it). SameSite=Lax cookies already keep other sites' forms out;
the token also covers browsers and proxies that do not honour it.
"""

import hmac
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, TypeVar

import structlog
from fastapi import Depends, Request
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from leadrank.auth.keys import permit
from leadrank.auth.sessions import SessionLife, SignedIn, find_session, touch_session
from leadrank.config import Settings
from leadrank.db.engine import session_scope
from leadrank.deps import ADMIN_ROLES, READER_ROLES, WRITER_ROLES, DbSession
from leadrank.web.errors import CsrfRefused, SignInNeeded

log = structlog.get_logger("leadrank.web")
T = TypeVar("T")
SESSION_COOKIE = "leadrank_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
_READING = frozenset({"GET", "HEAD"})


def secure_cookies(request: Request) -> bool:
    """Whether the app's cookies are marked Secure: as configured, else when the request
    came over HTTPS (directly, or as a trusted proxy says)."""
    configured: bool | None = request.app.state.settings.web_secure_cookies
    return request.url.scheme == "https" if configured is None else configured


def session_life(settings: Settings) -> SessionLife:
    """How long sessions last under `settings`."""
    return SessionLife(
        idle=timedelta(hours=settings.web_session_idle_hours),
        longest=timedelta(days=settings.web_session_max_days),
    )


def signed_in(*roles: str) -> Callable[..., Awaitable[SignedIn]]:
    """A dependency: the signed-in user, if their role is one of `roles` and, for a change,
    the CSRF token is right."""

    def lookup(request: Request, session: DbSession) -> SignedIn:
        # A plain function: FastAPI runs it in the thread pool, with the database.
        token = request.cookies.get(SESSION_COOKIE)
        life = session_life(request.app.state.settings)
        now = datetime.now(UTC)
        user = find_session(session, token=token, now=now, life=life) if token else None
        if user is None:
            raise SignInNeeded("sign in to see this page")
        request.state.web_user = user  # the frame shows who is signed in, even on a 403
        if user.touch_due:
            write_beside(
                request,
                session,
                lambda s: touch_session(s, session_id=user.session_id, now=now, life=life),
            )
        permit(user.principal, roles)
        return user

    async def check(request: Request, user: Annotated[SignedIn, Depends(lookup)]) -> SignedIn:
        if request.method not in _READING:
            await check_csrf(request, expected=user.csrf_token)
        return user

    return check


def write_beside(request: Request, session: Session, write: Callable[[Session], T]) -> T | None:
    """`write(session)` in the request's own transaction when the request writes already;
    for a page that only reads, in a short write transaction of its own (a read transaction
    on SQLite could not become a write once another writer has committed). Best effort:
    None if the database is busy; the next request can try again."""
    if request.method not in _READING:
        return write(session)
    try:
        with session_scope(request.app.state.engine, writes=True) as apart:
            return write(apart)
    except OperationalError:
        log.info("a write beside a page waits for the next request", path=request.url.path)
        return None


async def check_csrf(request: Request, *, expected: str) -> None:
    """CsrfRefused unless the request carries `expected` in its header or form."""
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            value = (await request.form()).get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise CsrfRefused("this form has expired or did not come from leadrank: reload the page")


WebReader = Annotated[SignedIn, Depends(signed_in(*READER_ROLES))]
WebWriter = Annotated[SignedIn, Depends(signed_in(*WRITER_ROLES))]
WebAdmin = Annotated[SignedIn, Depends(signed_in(*ADMIN_ROLES))]
