"""用户管理: the administrator's account work (create, unit and roles, password, disable).

Every change is one transaction and writes an ``account_changed`` event beside it (who
changed whom, what, when), so the log answers "who gave this person that role".
Only 管理员 may act here; anyone else is refused (Forbidden).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine import accounts, orgchart
from engine.errors import Conflict, Forbidden, InvalidInput
from persistence.db import utcnow

ACCOUNT_EVENT = "account_changed"
ADMIN_ROLE = "admin"


def check_admin(user) -> None:
    """Forbidden unless the user is an administrator (管理员)."""
    if not user.has_role(ADMIN_ROLE):
        raise Forbidden("只有管理员可以管理用户")


@dataclass
class UserForm:
    """The fields of the create/edit form, as typed, with Chinese messages per field."""

    username: str = ""
    display_name: str = ""
    unit_code: str = ""
    roles: list[str] = field(default_factory=list)
    password: str = ""
    errors: dict[str, str] = field(default_factory=dict)


def parse_user_form(raw: Mapping[str, Any], roles: list[str] | None = None) -> UserForm:
    """The form's values trimmed; ``roles`` is the list of ticked role codes."""
    return UserForm(username=str(raw.get("username") or "").strip()[:64],
                    display_name=str(raw.get("display_name") or "").strip()[:100],
                    unit_code=str(raw.get("unit_code") or "").strip()[:64],
                    roles=[r for r in (roles or []) if r in orgchart.ROLES],
                    password=str(raw.get("password") or ""))


class Admin:
    """The account functions behind 用户管理, each checked, audited and in one transaction."""

    def __init__(self, engine):
        self.engine = engine

    def _audit(self, s, actor, username: str, action: str, **data: Any) -> None:
        s.info["events"].append({"case_id": None, "at": utcnow(), "actor": actor.username, "kind": ACCOUNT_EVENT,
                                 "data": {"user": username, "action": action, **data}})

    def list_users(self, actor, unit_code: str | None = None) -> list[accounts.AccountRow]:
        """Every account (disabled ones too), optionally of one unit."""
        check_admin(actor)
        with self.engine.unit_of_work(read_only=True) as s:
            return accounts.list_accounts(s, unit_code)

    def get_user(self, actor, user_id: int | str) -> accounts.AccountRow:
        """One account; NotFound when there is none."""
        check_admin(actor)
        with self.engine.unit_of_work(read_only=True) as s:
            return accounts.get_account(s, user_id)

    def create_user(self, actor, form: UserForm) -> accounts.AccountRow:
        """A new active account; InvalidInput names the fields that are wrong."""
        check_admin(actor)
        try:
            with self.engine.unit_of_work() as s:
                info = accounts.create_user(s, form.username, form.password, form.display_name, form.unit_code,
                                            form.roles)
                self._audit(s, actor, info.username, "created", unit=info.unit_code, roles=info.roles)
                return accounts.get_account(s, info.id)
        except Conflict as taken:
            raise InvalidInput("用户信息有误", {"username": "该用户名已被使用"}) from taken

    def update_user(self, actor, user_id: int | str, form: UserForm) -> dict[str, list]:
        """Change name, unit and roles; returns what changed. An administrator keeps their own admin role."""
        check_admin(actor)
        with self.engine.unit_of_work() as s:
            row = accounts.get_account(s, user_id)
            if row.id == actor.id and ADMIN_ROLE not in form.roles:
                raise InvalidInput("用户信息有误", {"roles": "不能取消自己的管理员角色（请由另一位管理员操作）"})
            changes = accounts.update_user(s, row.id, form.display_name, form.unit_code, form.roles)
            if changes:
                self._audit(s, actor, row.username, "updated", changes=changes)
            return changes

    def reset_password(self, actor, user_id: int | str, password: str) -> accounts.AccountRow:
        """Set a new password chosen by the administrator (and lift a lock)."""
        check_admin(actor)
        with self.engine.unit_of_work() as s:
            row = accounts.get_account(s, user_id)
            accounts.set_password(s, row.id, password)
            self._audit(s, actor, row.username, "password_reset")
            return row

    def set_active(self, actor, user_id: int | str, active: bool) -> accounts.AccountRow:
        """Disable (its sessions end at their next request) or enable an account."""
        check_admin(actor)
        with self.engine.unit_of_work() as s:
            row = accounts.get_account(s, user_id)
            if row.id == actor.id and not active:
                raise InvalidInput("不能停用自己的账户", {"active": "不能停用自己的账户"})
            if accounts.set_active(s, row.id, active):
                self._audit(s, actor, row.username, "enabled" if active else "disabled")
            return accounts.get_account(s, row.id)
