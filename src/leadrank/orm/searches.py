"""Searches of the worklist kept by the server, so a shared or bookmarked view carries an id
in its URL instead of the words (a name, an email) someone searched for."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from leadrank.orm.base import Base, UtcDateTime


class SavedSearch(Base):
    """The free-text parts of one worklist view, found by the random token its URL holds."""

    __tablename__ = "saved_searches"

    token: Mapped[str] = mapped_column(String(32), primary_key=True)
    words: Mapped[str] = mapped_column(Text)  # JSON: {"q": ..., "owner": ...}
    words_hash: Mapped[str] = mapped_column(String(64), unique=True)  # the same words, one token
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
