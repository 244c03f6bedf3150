"""Errors that carry their HTTP status; the CLI prints their message on one line."""

from __future__ import annotations


class AppError(Exception):
    """An expected failure with a message meant for the user."""

    status_code = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadInput(AppError):
    """The user's input (file, option, payload) cannot be used as given."""

    status_code = 400


class Unauthorized(AppError):
    """No API key, or one that does not work."""

    status_code = 401


class Forbidden(AppError):
    """A working key whose role may not do this."""

    status_code = 403


class RateLimited(AppError):
    """Over the key's rate; `retry_after` says in how many seconds to come back."""

    status_code = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class NotFound(AppError):
    """The thing asked for does not exist."""

    status_code = 404


class Conflict(AppError):
    """The request conflicts with the current state."""

    status_code = 409


class SchemaOutOfDate(AppError):
    """The database schema is not at the version this code needs."""

    status_code = 503


class WriteRace(AppError):
    """Another request wrote the same record, lead or event at the same moment; sent again,
    this one finds it there."""

    status_code = 503

    def __init__(
        self, message: str = "another request is recording the same records; send this one again"
    ) -> None:
        super().__init__(message)
        self.retry_after = 1
