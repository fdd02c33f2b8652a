"""Flask application factory: the thin web layer over the engine."""
from __future__ import annotations

import os

from flask import Flask


def create_app(test_config: dict | None = None) -> Flask:
    """Build the web app; settings come from XINFANG_* environment variables."""
    app = Flask(__name__, instance_relative_config=False)
    app.config.from_mapping(
        SECRET_KEY=os.environ.get("XINFANG_SECRET_KEY") or os.urandom(32).hex(),
        DATABASE_URL=os.environ.get("DATABASE_URL"),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=20 * 1024 * 1024,
        START_SCHEDULER=False,
    )
    app.config.from_prefixed_env("XINFANG")
    if test_config:
        app.config.update(test_config)

    from web import services

    services.init_app(app)
    for name in ("web.ui", "web.rest", "web.dashboard"):
        try:
            module = __import__(name, fromlist=["init_app"])
        except ModuleNotFoundError as exc:  # a subsystem not built yet
            if exc.name != name:
                raise
            continue
        module.init_app(app)
    return app
