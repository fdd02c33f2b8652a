"""The supervisor dashboard (督查督办): overdue and due-soon work by unit, the county's
figures with charts, and 督办函 / 风险提醒函 issued from a row in one step.

``init_app`` registers the blueprint (``/dashboard``) and its navigation entry, shown
to the roles ``engine.access.can_view_dashboard`` allows (督查员、领导、管理员).
"""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Install the dashboard on ``app`` (after ``web.ui``, whose login and base page it uses)."""
    from engine.access import can_view_dashboard
    from engine.supervision_queries import LETTER_EVENT
    from web.dashboard.views import bp
    from web.ui import labels
    from web.ui.nav import NavItem, add_nav_item

    app.register_blueprint(bp)
    add_nav_item(app, NavItem("dashboard", "督查督办", "dashboard.index", visible=can_view_dashboard, order=50))
    # The case timeline names the event a letter leaves on the supervised case (the UI
    # has no hook for event labels; setdefault leaves any label web.ui defines alone).
    labels.EVENT_LABELS.setdefault(LETTER_EVENT, "督查督办发函")
