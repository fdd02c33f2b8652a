"""The ``users`` table and its repository functions (they never commit).

Units are not a table: they come from ``engine/orgchart.py``; a user row names its
unit by code.  Roles are a short JSON list of role codes from ``orgchart.ROLES``.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from persistence.db import Base, UTCDateTime, utcnow


class User(Base):
    """A person who logs in to the UI or the REST API."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    unit_code: Mapped[str] = mapped_column(String(64), index=True)
    roles: Mapped[list[Any]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Login throttling, kept in the row so it holds across server processes.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Bumped by logout, password change and disabling: a session cookie or cached REST
    # credential issued under an older generation is no longer honoured.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class LoginThrottle(Base):
    """Failed logins counted per scope: a client address, or one account from one address.

    Kept in the database so every server process sees the same counts.
    """

    __tablename__ = "login_throttle"

    scope: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


def find_user_by_username(session: Session, username: str) -> User | None:
    """The user with this login name, or None."""
    return session.scalars(select(User).where(User.username == username)).one_or_none()


def find_user(session: Session, user_id: int) -> User | None:
    """The user with this id, or None."""
    return session.get(User, user_id)


def list_users(session: Session, unit_code: str | None = None, active_only: bool = True) -> list[User]:
    """Users ordered by unit and name, optionally of one unit."""
    query = select(User).order_by(User.unit_code, User.username)
    if unit_code is not None:
        query = query.where(User.unit_code == unit_code)
    if active_only:
        query = query.where(User.active.is_(True))
    return list(session.scalars(query))


def add_user(session: Session, **fields: Any) -> User:
    """Add a user row and flush it so its id is known; the caller commits."""
    user = User(**fields)
    session.add(user)
    session.flush()
    return user


def find_throttles(session: Session, scopes: list[str]) -> dict[str, LoginThrottle]:
    """The throttle rows of these scopes that exist, by scope."""
    rows = session.scalars(select(LoginThrottle).where(LoginThrottle.scope.in_(scopes)))
    return {row.scope: row for row in rows}


def add_throttle(session: Session, **fields: Any) -> LoginThrottle:
    """Add a throttle row; the caller commits."""
    row = LoginThrottle(**fields)
    session.add(row)
    return row


def display_names(session: Session, usernames: list[str]) -> dict[str, str]:
    """Display name of each of these users that exists, in one query."""
    if not usernames:
        return {}
    query = select(User.username, User.display_name).where(User.username.in_(usernames))
    return {username: name for username, name in session.execute(query)}
