"""The navigation bar: entries, who sees them, and the counts beside them.

Another UI subsystem adds its entry once at start-up::

    from web.ui.nav import NavItem, add_nav_item
    add_nav_item(app, NavItem("dashboard", "督查督办", "dashboard.index",
                              visible=lambda user: user.county_wide or user.has_role("supervisor")))
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, request, url_for
from flask_login import current_user


@dataclass(frozen=True)
class NavItem:
    """One entry of the navigation bar."""

    key: str
    label: str
    endpoint: str
    url_values: tuple[tuple[str, str], ...] = ()
    visible: Callable[[object], bool] = lambda user: True
    count_key: str | None = None  # a key of Casework.inbox_counts shown as a badge
    order: int = 100


DEFAULT_ITEMS = (
    NavItem("mine", "我的待办", "ui.inbox", (("tab", "mine"),), count_key="mine", order=10),
    NavItem("claimable", "待认领", "ui.inbox", (("tab", "claimable"),), count_key="claimable", order=20),
    NavItem("done", "已办", "ui.inbox", (("tab", "done"),), order=30),
    NavItem("cases", "案件查询", "ui.cases", order=35),
    NavItem("register", "新信访登记", "ui.register", visible=lambda u: u.has_role("registrar"), order=40),
    NavItem("admin_users", "用户管理", "ui.admin_users", visible=lambda u: u.has_role("admin"), order=90),
)


def add_nav_item(app: Flask, item: NavItem) -> None:
    """Add an entry to the navigation bar of ``app``."""
    items = app.extensions.setdefault("xinfang.nav", list(DEFAULT_ITEMS))
    items.append(item)
    items.sort(key=lambda i: i.order)


def _is_active(item: NavItem) -> bool:
    if request.endpoint != item.endpoint:
        return False
    wanted = dict(item.url_values)
    if request.endpoint == "ui.inbox":
        return request.args.get("tab", "mine") == wanted.get("tab", "mine")
    return True


def _badge(count: int | None) -> str | None:
    """A count as the navigation shows it: counting stops at COUNT_CAP ("1000+")."""
    from engine.casework import COUNT_CAP

    if count is None:
        return None
    return f"{count}+" if count >= COUNT_CAP else str(count)


def init_app(app: Flask) -> None:
    """Make ``nav_items`` available to every template of a logged-in user."""
    app.extensions.setdefault("xinfang.nav", list(DEFAULT_ITEMS))

    @app.context_processor
    def _navigation():
        if request.path.startswith(tuple(app.config.get("CSRF_EXEMPT_PREFIXES", ("/engine-rest",)))):
            return {}  # the JSON APIs render no pages
        if not current_user.is_authenticated:
            return {}
        from web.ui.blueprint import casework

        items = [i for i in app.extensions["xinfang.nav"] if i.visible(current_user)]
        counts = casework().inbox_counts(current_user) if any(i.count_key for i in items) else {}
        from web.ui.bell import bell

        return {"bell_count": bell().count(current_user), "nav_items": [
            {"key": i.key, "label": i.label, "url": url_for(i.endpoint, **dict(i.url_values)),
             "active": _is_active(i), "count": _badge(counts.get(i.count_key)) if i.count_key else None}
            for i in items
        ]}
