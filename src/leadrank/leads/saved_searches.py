"""The words of a worklist search (free text, an owner's name) kept by the server under a
random token, so the URL of a shared or bookmarked view names no person: `/leads?view=TOKEN`.
The same words always get the same token; a token says nothing about its words."""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from leadrank.errors import NotFound
from leadrank.orm.searches import SavedSearch

TOKEN_BYTES = 12  # 16 URL-safe characters: not guessable, short enough to share


def kept_token(session: Session, *, words: dict[str, str]) -> str | None:
    """The token these words were kept under, if they were (a read only)."""
    _, digest = _fingerprint(words)
    return session.scalar(select(SavedSearch.token).where(SavedSearch.words_hash == digest))


def _fingerprint(words: dict[str, str]) -> tuple[str, str]:
    text = json.dumps(words, sort_keys=True, ensure_ascii=False)
    return text, hashlib.sha256(text.encode()).hexdigest()


def keep_search(session: Session, *, words: dict[str, str], now: datetime) -> str:
    """The token of these words, stored now unless they were before."""
    text, digest = _fingerprint(words)
    found = kept_token(session, words=words)
    if found is not None:
        return found
    token = secrets.token_urlsafe(TOKEN_BYTES)
    try:
        with session.begin_nested():  # another process may store the same words meanwhile
            session.add(SavedSearch(token=token, words=text, words_hash=digest, created_at=now))
    except IntegrityError:
        stored = session.scalar(select(SavedSearch.token).where(SavedSearch.words_hash == digest))
        if stored is None:
            raise
        return stored
    return token


def search_words(session: Session, *, token: str) -> dict[str, str]:
    """The words kept under `token`; NotFound for a token no search has."""
    text = session.scalar(select(SavedSearch.words).where(SavedSearch.token == token[:32]))
    if text is None:
        raise NotFound("this shared view is not known here: start a new search")
    words = json.loads(text)
    return {str(k): str(v) for k, v in words.items()}
