"""The engine instance behind the web app, created once per app."""
from __future__ import annotations

from flask import Flask, current_app

from engine.bootstrap import build_engine


def init_app(app: Flask) -> None:
    """Attach an Engine (and, when asked, the timer scheduler) to the app."""
    engine = app.config.get("ENGINE") or build_engine(app.config["SETTINGS"])
    app.extensions["xinfang.engine"] = engine
    if app.config.get("START_SCHEDULER"):
        from engine.timers import TimerScheduler

        scheduler = TimerScheduler(engine)
        scheduler.start()
        from engine.notifications import Bell

        # the bell's due-soon and overdue notices: a sweep every few minutes is plenty
        scheduler.scheduler.add_job(Bell(engine).sweep, "interval", minutes=5, id="xinfang-notify",
                                    max_instances=1, coalesce=True, next_run_time=None)
        app.extensions["xinfang.scheduler"] = scheduler


def get_engine():
    """The Engine of the current app."""
    return current_app.extensions["xinfang.engine"]
