"""Accounts: users, their units and roles, password checks and login throttling.

The HTML UI (Flask-Login) and the REST API (HTTP Basic) both call ``authenticate``.
Functions taking a ``session`` never commit (the caller's unit of work does);
``Accounts`` wraps them in one transaction each for callers that hold only a
session factory.

Throttling counts failures per client address and per account *from that address*
(``login_throttle``): someone guessing from one place blocks only themselves, never the
account's owner signing in from elsewhere.  A session is bound to the account's
``session_generation``; logout, a password change and disabling bump it, so a copied
cookie (or a cached REST credential) stops working at once.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.security import check_password_hash, generate_password_hash

from engine import orgchart
from engine.access import is_county_wide
from engine.errors import Conflict, InvalidInput, NotFound
from persistence import accounts as repo
from persistence.db import utcnow

MIN_PASSWORD_LENGTH = 8
# Five wrong passwords in a row for one account from one address lock that pair for
# five minutes: enough to stop guessing, short enough for a forgetful caseworker.
MAX_FAILED_LOGINS = 5
LOCK_DURATION = dt.timedelta(minutes=5)
ACCOUNT_WINDOW = dt.timedelta(minutes=15)
# One address failing this often (whatever the accounts) is refused for a while.
ADDRESS_MAX_FAILURES = 20
ADDRESS_WINDOW = dt.timedelta(minutes=15)
ADDRESS_LOCK = dt.timedelta(minutes=15)
# last_login_at is written at a real login, at most this often (reads never write).
LAST_LOGIN_INTERVAL = dt.timedelta(minutes=15)
# How long verified HTTP Basic credentials skip the password hash.
CREDENTIAL_CACHE_SECONDS = 300.0
UNKNOWN_ADDRESS = "-"

# Checked when the user name is unknown so both answers take the same time.
_DUMMY_HASH = generate_password_hash("not a real password")


@dataclass(frozen=True)
class UserInfo:
    """A logged-in user as every layer above persistence sees it."""

    id: int
    username: str
    display_name: str
    unit_code: str
    roles: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    county_wide: bool = False
    session_generation: int = 0

    @property
    def unit_name(self) -> str:
        return orgchart.unit_name(self.unit_code)

    @property
    def role_names(self) -> list[str]:
        return [orgchart.ROLES.get(r, r) for r in self.roles]

    def has_role(self, *roles: str) -> bool:
        """True when the user holds at least one of ``roles``."""
        return any(r in self.roles for r in roles)

    # The session-user protocol Flask-Login expects, duck-typed so this module
    # needs no Flask import.
    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        # The generation travels in the session, so bumping it revokes the cookie.
        return f"{self.id}:{self.session_generation}"


def user_groups(unit_code: str, roles: list[str]) -> list[str]:
    """The candidate groups ``unit:role`` a user of ``unit_code`` with ``roles`` belongs to."""
    return [orgchart.group(unit_code, r) for r in roles]


def to_info(user: repo.User) -> UserInfo:
    """UserInfo of a user row."""
    roles = list(user.roles or [])
    return UserInfo(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        unit_code=user.unit_code,
        roles=roles,
        groups=user_groups(user.unit_code, roles),
        county_wide=is_county_wide(user.unit_code, roles),
        session_generation=user.session_generation or 0,
    )


def _scopes(username: str, address: str | None) -> tuple[str, str]:
    address = (address or UNKNOWN_ADDRESS)[:64]
    return f"address:{address}", f"account:{username[:64]}@{address}"


def authenticate(session: Session, username: str, password: str,
                 now: dt.datetime | None = None, address: str | None = None) -> UserInfo | None:
    """The user when the password matches and the account is active, else None.

    Refused without a check while the client ``address`` or this account from that
    address is locked; failures count towards both locks.
    """
    now = now or utcnow()
    username, password = (username or "").strip(), password or ""
    scopes = _scopes(username, address)
    throttles = repo.find_throttles(session, list(scopes))
    if any(t.locked_until is not None and t.locked_until > now for t in throttles.values()):
        check_password_hash(_DUMMY_HASH, password)
        return None
    user = repo.find_user_by_username(session, username)
    if user is None or not user.active:
        check_password_hash(_DUMMY_HASH, password)
        _count_failure(session, throttles, scopes, now, None)
        return None
    if not check_password_hash(user.password_hash, password):
        _count_failure(session, throttles, scopes, now, user)
        return None
    pair = throttles.get(scopes[1])
    if pair is not None:
        session.delete(pair)
    if user.locked_until is not None or user.failed_logins:
        user.locked_until, user.failed_logins = None, 0
    if user.last_login_at is None or now - user.last_login_at >= LAST_LOGIN_INTERVAL:
        user.last_login_at = now
    return to_info(user)


def _count_failure(session: Session, throttles: dict, scopes: tuple[str, str], now: dt.datetime,
                   user: repo.User | None) -> None:
    limits = ((scopes[0], ADDRESS_MAX_FAILURES, ADDRESS_WINDOW, ADDRESS_LOCK),
              (scopes[1], MAX_FAILED_LOGINS, ACCOUNT_WINDOW, LOCK_DURATION))
    for scope, limit, window, lock in limits:
        row = throttles.get(scope)
        if row is None:
            try:  # two failures racing to create the row: the loser counts on the winner's
                with session.begin_nested():
                    row = repo.add_throttle(session, scope=scope, failures=0, window_started_at=now)
                    session.flush()
            except IntegrityError:
                row = repo.find_throttles(session, [scope])[scope]
        elif now - row.window_started_at > window:
            row.failures, row.window_started_at, row.locked_until = 0, now, None
        row.failures += 1
        if row.failures >= limit:
            row.locked_until, row.failures, row.window_started_at = now + lock, 0, now
            if user is not None and scope == scopes[1]:
                # Shown on the administrator's page; the lock itself is the pair's row.
                user.locked_until = row.locked_until


def revoke_sessions(session: Session, user_id: int) -> None:
    """End every session and cached credential of this account (logout)."""
    user = repo.find_user(session, int(user_id))
    if user is not None:
        user.session_generation = (user.session_generation or 0) + 1


def load_session_user(session: Session, token: str) -> UserInfo | None:
    """The user a session cookie names (``"<id>:<generation>"``), or None when the account
    is gone, disabled, or the session was revoked since."""
    user_id, _, generation = (token or "").partition(":")
    try:
        user = repo.find_user(session, int(user_id))
        generation_number = int(generation)
    except (TypeError, ValueError):
        return None
    if user is None or not user.active or (user.session_generation or 0) != generation_number:
        return None
    return to_info(user)


class CredentialCache:
    """HTTP Basic credentials verified recently, so scrypt runs once per client and not on
    every request.

    Keyed by an HMAC (with a per-process random key) of user name and password, so
    memory never holds a password or a hash that could be checked offline.  An entry
    remembers the password hash and session generation it was verified against; the
    caller compares them with the user row it reads anyway, so a password change,
    disabling or logout (in any server process) invalidates it at once.
    """

    def __init__(self, ttl_seconds: float = CREDENTIAL_CACHE_SECONDS, max_entries: int = 1024,
                 clock=time.monotonic):
        self._key = secrets.token_bytes(32)
        self._ttl, self._max, self._clock = ttl_seconds, max_entries, clock
        self._entries: OrderedDict[bytes, tuple[float, str, int]] = OrderedDict()
        self._lock = threading.Lock()

    def _digest(self, username: str, password: str) -> bytes:
        return hmac.new(self._key, f"{username}\0{password}".encode(), hashlib.sha256).digest()

    def get(self, username: str, password: str) -> tuple[str, int] | None:
        """(password hash, generation) verified for these credentials, if still fresh."""
        digest = self._digest(username, password)
        with self._lock:
            entry = self._entries.get(digest)
            if entry is None:
                return None
            if entry[0] < self._clock():
                del self._entries[digest]
                return None
            return entry[1], entry[2]

    def put(self, username: str, password: str, password_hash: str, generation: int) -> None:
        digest = self._digest(username, password)
        with self._lock:
            self._entries[digest] = (self._clock() + self._ttl, password_hash, generation)
            self._entries.move_to_end(digest)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def authenticate_cached(session: Session, cache: CredentialCache, username: str, password: str,
                        address: str | None = None, now: dt.datetime | None = None) -> UserInfo | None:
    """``authenticate`` for HTTP Basic: within the cache's lifetime a repeated request reads
    the user row once and writes nothing; otherwise the full check runs (and is cached)."""
    username, password = (username or "").strip(), password or ""
    verified = cache.get(username, password)
    if verified is not None:
        user = repo.find_user_by_username(session, username)
        if user is not None and user.active and verified == (user.password_hash, user.session_generation or 0):
            return to_info(user)
    info = authenticate(session, username, password, now=now, address=address)
    if info is not None:
        user = repo.find_user_by_username(session, username)
        cache.put(username, password, user.password_hash, user.session_generation or 0)
    return info


def _check_user_fields(username: str, display_name: str, unit_code: str,
                       roles: list[str], password: str | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not username or len(username) > 64 or not all(c.isalnum() or c in "._-" for c in username):
        errors["username"] = "用户名须为1至64位字母、数字或 . _ -"
    if not display_name or len(display_name) > 100:
        errors["display_name"] = "请填写姓名（不超过100字）"
    try:
        orgchart.unit(unit_code)
    except KeyError:
        errors["unit_code"] = "单位不存在"
    unknown = [r for r in roles if r not in orgchart.ROLES]
    if not roles or unknown:
        errors["roles"] = "请选择角色" if not roles else f"未知角色：{'、'.join(unknown)}"
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        errors["password"] = f"密码至少{MIN_PASSWORD_LENGTH}位"
    return errors


def create_user(session: Session, username: str, password: str, display_name: str,
                unit_code: str, roles: list[str]) -> UserInfo:
    """Add a user with a hashed password; InvalidInput for bad fields, Conflict for a taken name."""
    roles = list(dict.fromkeys(roles))
    errors = _check_user_fields(username, display_name, unit_code, roles, password)
    if errors:
        raise InvalidInput("用户信息有误", errors)
    if repo.find_user_by_username(session, username) is not None:
        raise Conflict(f"用户名 {username} 已被使用")
    user = repo.add_user(
        session,
        username=username,
        display_name=display_name,
        password_hash=generate_password_hash(password),
        unit_code=unit_code,
        roles=roles,
        active=True,
        failed_logins=0,
    )
    return to_info(user)


def get_user(session: Session, user_id: int | str) -> UserInfo:
    """The active user with this id; NotFound otherwise."""
    try:
        user = repo.find_user(session, int(user_id))
    except (TypeError, ValueError):
        user = None
    if user is None or not user.active:
        raise NotFound(f"user {user_id} not found")
    return to_info(user)


def get_user_by_username(session: Session, username: str) -> UserInfo:
    """The active user with this login name; NotFound otherwise."""
    user = repo.find_user_by_username(session, username)
    if user is None or not user.active:
        raise NotFound(f"user {username} not found")
    return to_info(user)


def unit_members(session: Session, unit_code: str) -> list[UserInfo]:
    """Active users of one unit (the people a task may be reassigned to)."""
    return [to_info(u) for u in repo.list_users(session, unit_code=unit_code)]


def set_password(session: Session, user_id: int, password: str) -> None:
    """Replace a user's password (and lift any lock)."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise InvalidInput("密码太短", {"password": f"密码至少{MIN_PASSWORD_LENGTH}位"})
    user = repo.find_user(session, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found")
    user.password_hash = generate_password_hash(password)
    user.failed_logins = 0
    user.locked_until = None
    user.session_generation = (user.session_generation or 0) + 1  # other sessions end


@dataclass(frozen=True)
class AccountRow:
    """A user as the administrator's list shows it (disabled ones too)."""

    id: int
    username: str
    display_name: str
    unit_code: str
    roles: list[str]
    active: bool
    created_at: dt.datetime | None
    last_login_at: dt.datetime | None
    locked_until: dt.datetime | None

    @property
    def unit_name(self) -> str:
        return orgchart.unit_name(self.unit_code)

    @property
    def role_names(self) -> list[str]:
        return [orgchart.ROLES.get(r, r) for r in self.roles]


def _row(user: repo.User) -> AccountRow:
    return AccountRow(id=user.id, username=user.username, display_name=user.display_name,
                      unit_code=user.unit_code, roles=list(user.roles or []), active=bool(user.active),
                      created_at=user.created_at, last_login_at=user.last_login_at, locked_until=user.locked_until)


def list_accounts(session: Session, unit_code: str | None = None) -> list[AccountRow]:
    """Every account, disabled ones included, by unit and login name."""
    return [_row(u) for u in repo.list_users(session, unit_code=unit_code or None, active_only=False)]


def get_account(session: Session, user_id: int | str) -> AccountRow:
    """One account, active or not; NotFound otherwise."""
    try:
        user = repo.find_user(session, int(user_id))
    except (TypeError, ValueError):
        user = None
    if user is None:
        raise NotFound(f"user {user_id} not found")
    return _row(user)


def update_user(session: Session, user_id: int, display_name: str, unit_code: str,
                roles: list[str]) -> dict[str, list]:
    """Change a user's name, unit and roles; returns {field: [old, new]} of what changed."""
    roles = list(dict.fromkeys(roles))
    user = repo.find_user(session, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found")
    errors = _check_user_fields(user.username, display_name, unit_code, roles, None)
    if errors:
        raise InvalidInput("用户信息有误", errors)
    changes = {}
    for name, value in (("display_name", display_name), ("unit_code", unit_code), ("roles", roles)):
        if getattr(user, name) != value:
            changes[name] = [getattr(user, name), value]
            setattr(user, name, value)
    return changes


def set_active(session: Session, user_id: int, active: bool) -> bool:
    """Enable or disable an account; returns whether it changed.

    A disabled account can no longer sign in, and its open sessions end at their next
    request: the UI's session loader and the REST check both refuse inactive users.
    """
    user = repo.find_user(session, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found")
    if bool(user.active) == bool(active):
        return False
    user.active = bool(active)
    user.session_generation = (user.session_generation or 0) + 1
    if active:
        user.failed_logins = 0
        user.locked_until = None
    return True


class Accounts:
    """The account functions, one transaction each, for holders of a session factory."""

    def __init__(self, session_factory: sessionmaker):
        self._sessions = session_factory

    def authenticate(self, username: str, password: str, address: str | None = None) -> UserInfo | None:
        with self._sessions.begin() as session:
            return authenticate(session, username, password, address=address)

    def authenticate_cached(self, cache: CredentialCache, username: str, password: str,
                            address: str | None = None) -> UserInfo | None:
        with self._sessions.begin() as session:
            return authenticate_cached(session, cache, username, password, address=address)

    def revoke_sessions(self, user_id: int) -> None:
        with self._sessions.begin() as session:
            revoke_sessions(session, user_id)

    def load_session_user(self, token: str) -> UserInfo | None:
        with self._sessions() as session:
            return load_session_user(session, token)

    def create_user(self, username: str, password: str, display_name: str,
                    unit_code: str, roles: list[str]) -> UserInfo:
        with self._sessions.begin() as session:
            return create_user(session, username, password, display_name, unit_code, roles)

    def get_user(self, user_id: int | str) -> UserInfo:
        with self._sessions() as session:
            return get_user(session, user_id)

    def get_user_by_username(self, username: str) -> UserInfo:
        with self._sessions() as session:
            return get_user_by_username(session, username)

    def unit_members(self, unit_code: str) -> list[UserInfo]:
        with self._sessions() as session:
            return unit_members(session, unit_code)

    def set_password(self, user_id: int, password: str) -> None:
        with self._sessions.begin() as session:
            set_password(session, user_id, password)
