"""Dependencies of the API's routes: the request's database session (the edge owns the
transaction: committed when the route returns, rolled back when it raises) and the roles a
route accepts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from leadrank.auth.keys import Principal
from leadrank.db.engine import session_scope

_WRITING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _session(request: Request) -> Iterator[Session]:
    # A request that changes things reads first (is the record known?) and then writes: on
    # SQLite it waits for the write lock up front instead of failing when another writer won.
    writes = request.method in _WRITING_METHODS
    with session_scope(request.app.state.engine, writes=writes) as session:
        yield session


# "function" scope: the transaction ends before the response is sent, so a client that got
# its answer finds its write, and a failed commit is an error answer, never a lost 200.
DbSession = Annotated[Session, Depends(_session, scope="function")]


def requires(*roles: str) -> Callable[[Request], Principal]:
    """A dependency that lets through keys of these roles (everyone when auth is off)."""

    def check(request: Request) -> Principal:
        principal: Principal = request.app.state.guard.check(request, roles)
        return principal

    return check


# Who may call a route, spelled only here: `dependencies=[READERS]` on a route that does not
# look at the key, a parameter `principal: Reader` on one that records who called it.
READER_ROLES = ("reader", "writer", "admin")
WRITER_ROLES = ("writer", "admin")
ADMIN_ROLES = ("admin",)
READERS = Depends(requires(*READER_ROLES))
WRITERS = Depends(requires(*WRITER_ROLES))
ADMINS = Depends(requires(*ADMIN_ROLES))
Reader = Annotated[Principal, READERS]
Writer = Annotated[Principal, WRITERS]
Admin = Annotated[Principal, ADMINS]

NO_NUL = r"^[^\x00]*$"  # for text parameters: PostgreSQL text cannot hold a NUL character
