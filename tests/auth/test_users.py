"""People who sign in: `leadrank users create/list/disable`, Argon2 hashes, and checking a
password the same way whichever part is wrong."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from leadrank.auth.users import signed_in_user
from leadrank.db.engine import session_scope
from leadrank.orm import User
from tests.conftest import CliResult, Workspace

Cli = Callable[..., CliResult]
PASSWORD = "correct horse battery staple"


def create(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, *args: str, password: str = PASSWORD
) -> CliResult:
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    return cli("users", "create", *args, "--password-stdin")


def test_a_user_is_created_listed_and_disabled(
    workspace: Workspace, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = create(cli, monkeypatch, "Ann.Lee@Example.COM", "--role", "writer")
    assert made.exit_code == 0, made.stderr
    assert "user ann.lee@example.com (writer) can sign in" in made.stdout
    with session_scope(workspace.engine) as session:
        user = session.scalars(select(User)).one()
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash
    listed = cli("users", "list").stdout
    assert "ann.lee@example.com" in listed and "writer" in listed
    now = datetime.now(UTC)
    with session_scope(workspace.engine) as session:
        assert signed_in_user(session, email="ANN.LEE@example.com", password=PASSWORD, now=now)
        assert (
            signed_in_user(session, email="ann.lee@example.com", password="wrong", now=now) is None
        )
        assert (
            signed_in_user(session, email="nobody@example.com", password=PASSWORD, now=now) is None
        )
        assert signed_in_user(session, email="not an email", password=PASSWORD, now=now) is None
    disabled = cli("users", "disable", "ann.lee@example.com")
    assert "can no longer sign in" in disabled.stdout
    with session_scope(workspace.engine) as session:
        assert (
            signed_in_user(session, email="ann.lee@example.com", password=PASSWORD, now=now) is None
        )
        assert session.scalars(select(User)).one().last_sign_in_at is not None


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (("ann@example.com", "--role", "owner"), PASSWORD, "unknown role 'owner'"),
        (("ann@", "--role", "reader"), PASSWORD, "is not an email address"),
        (("ann@example.com", "--role", "reader"), "short", "at least 12 characters"),
    ],
)
def test_bad_users_are_refused_in_one_line(
    workspace: Workspace,
    cli: Cli,
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
    password: str,
    message: str,
) -> None:
    refused = create(cli, monkeypatch, *args, password=password)
    assert refused.exit_code != 0
    assert message in refused.stderr
    assert "Traceback" not in refused.stderr


def test_one_email_is_one_user(
    workspace: Workspace, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert create(cli, monkeypatch, "ann@example.com", "--role", "admin").exit_code == 0
    again = create(cli, monkeypatch, "ANN@example.com", "--role", "reader")
    assert again.exit_code != 0 and "there is a user ann@example.com already" in again.stderr
    missing = cli("users", "disable", "bob@example.com")
    assert missing.exit_code != 0 and "no user bob@example.com" in missing.stderr
