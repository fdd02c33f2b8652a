"""Where the UI finds its services: one Casework per app, over the app's engine."""
from __future__ import annotations

from pathlib import Path

from flask import Flask

from engine.attachments import AttachmentStore
from engine.casework import Casework
from web.services import get_engine


def attachment_dir(app: Flask, engine) -> Path:
    """ATTACHMENT_DIR if set; else beside the SQLite file; else <data dir>/attachments."""
    configured = app.config.get("ATTACHMENT_DIR")
    if configured:
        return Path(configured)
    url = str(getattr(engine, "database_url", "") or "")
    if url.startswith("sqlite:///") and len(url) > len("sqlite:///"):
        return Path(url[len("sqlite:///"):]).resolve().parent / "attachments"
    return Path(app.config["SETTINGS"].data_dir).resolve() / "attachments"


def get_casework(app: Flask) -> Casework:
    """The app's Casework, created once."""
    work = app.extensions.get("xinfang.casework")
    if work is None:
        engine = get_engine()
        store = AttachmentStore(attachment_dir(app, engine),
                                max_bytes=int(app.config.get("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)))
        work = app.extensions["xinfang.casework"] = Casework(engine, store)
    return work
