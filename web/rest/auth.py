"""HTTP Basic authentication against the product's users (no cookies, no CSRF).

Every request under /engine-rest carries ``Authorization: Basic …`` (Camunda Modeler
sends it on each call); CORS preflights carry none and are answered before this runs.
The password hash is checked once per client: verified credentials are cached for a
few minutes (``engine.accounts.CredentialCache``) and a repeated request only reads the
user row, writing nothing.
"""
from __future__ import annotations

from flask import current_app, g, request

from engine.accounts import Accounts, CredentialCache, UserInfo
from engine.errors import Forbidden
from web.rest.blueprint import bp
from web.rest.errors import Unauthorized
from web.services import get_engine

# 流程设计员 and 管理员 may deploy (issue 6); the rest follows engine.access.
DEPLOY_ROLES = ("designer", "admin")
# Who may start a case over REST: those who register petitions in the UI, and designers
# trying out a process from the Modeler.
START_ROLES = ("registrar", "designer", "admin")
# Who may cancel (DELETE) a case they can see.
CANCEL_ROLES = ("admin", "supervisor", "leader")


@bp.before_request
def authenticate_request():
    """Resolve the Basic credentials to a user, or answer 401."""
    if request.method == "OPTIONS":
        return None
    creds = request.authorization
    if creds is None or creds.type != "basic" or not creds.username:
        raise Unauthorized("需要用户名和密码（HTTP Basic）")
    user = Accounts(get_engine().sessions).authenticate_cached(
        credential_cache(), creds.username, creds.password or "", address=request.remote_addr)
    if user is None:
        raise Unauthorized("用户名或密码错误，或账号已被锁定")
    g.rest_user = user
    return None


def credential_cache() -> CredentialCache:
    """The app's cache of verified Basic credentials (one per server process)."""
    cache = current_app.extensions.get("xinfang.credentials")
    if cache is None:
        cache = current_app.extensions.setdefault("xinfang.credentials", CredentialCache())
    return cache


def current_user() -> UserInfo:
    """The user of this request (set by authenticate_request)."""
    return g.rest_user


def require_role(roles: tuple[str, ...], action: str) -> UserInfo:
    """The current user if they hold one of ``roles``; Forbidden otherwise."""
    user = current_user()
    if not user.has_role(*roles):
        raise Forbidden(f"{user.username} 无权{action}")
    return user
