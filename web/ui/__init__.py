"""The caseworkers' HTML UI: login, inbox, task forms, registration and case pages.

``init_app`` wires security (CSRF, Content-Security-Policy), Flask-Login, the Jinja
filters, the navigation and the blueprint.  Other UI subsystems (the supervisor
dashboard) add a blueprint of their own and a navigation entry with
``web.ui.nav.add_nav_item``.
"""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Install the HTML UI on ``app``."""
    from web.ui import auth, errors, filters, nav, security
    from web.ui import admin, bell, cases, inbox, registration, search, tasks  # noqa: F401  (routes on the blueprint)
    from web.ui.blueprint import bp

    security.init_app(app)
    auth.init_app(app)
    filters.init_app(app)
    nav.init_app(app)
    errors.init_app(app)
    app.register_blueprint(bp)
