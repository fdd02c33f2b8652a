"""The bulletins (日调度、周通报、月分析、每日信访) in the UI: pages, PDF and Excel downloads,
the archive, and regeneration for any past date.  ``init_app`` also starts the 08:30 job
when the app runs the scheduler."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Install the bulletin pages on ``app`` (after ``web.ui``)."""
    from web.bulletins.views import bp, may_read
    from web.ui.nav import NavItem, add_nav_item

    app.register_blueprint(bp)
    add_nav_item(app, NavItem("bulletins", "调度通报", "bulletins.index", visible=may_read, order=55))
    if app.config.get("START_SCHEDULER"):
        from engine.bulletins import BulletinScheduler
        from web.services import get_engine

        with app.app_context():
            scheduler = BulletinScheduler(get_engine())
        scheduler.start()
        app.extensions["xinfang.bulletin_scheduler"] = scheduler
