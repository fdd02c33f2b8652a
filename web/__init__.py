"""Flask application factory: the thin web layer over the engine."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask

from engine.settings import Settings


def _stored_secret_key(settings: Settings) -> str:
    """A random key kept in the data folder (mode 0600), so a restart does not log everyone out."""
    path = settings.ensure_data_dir() / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    key = secrets.token_hex(32)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def create_app(test_config: dict | None = None, settings: Settings | None = None) -> Flask:
    """Build the web app from ``settings`` (default: ``Settings.from_env()``)."""
    settings = settings or Settings.from_env()
    app = Flask(__name__, instance_relative_config=False)
    app.config.from_mapping(
        SETTINGS=settings,
        SECRET_KEY=settings.secret_key,
        DATABASE_URL=settings.database_url,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        ATTACHMENT_DIR=settings.attachment_dir,
        MAX_CONTENT_LENGTH=20 * 1024 * 1024,
        START_SCHEDULER=False,
    )
    if test_config:
        app.config.update(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _stored_secret_key(settings)

    from web import services

    services.init_app(app)
    for name in ("web.ui", "web.rest", "web.dashboard", "web.documents", "web.public", "web.bulletins"):
        try:
            module = __import__(name, fromlist=["init_app"])
        except ModuleNotFoundError as exc:  # a subsystem not built yet
            if exc.name != name:
                raise
            continue
        module.init_app(app)
    return app
