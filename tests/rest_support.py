"""Helpers for the REST and migration tests: demo users, Basic auth, a live server."""
from __future__ import annotations

import base64
import threading
from contextlib import contextmanager
from pathlib import Path

from werkzeug.serving import make_server

from engine.accounts import Accounts

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "modeler"
PASSWORD = "modeler-pass-123"

# username -> (display name, unit, roles)
USERS = {
    "sheji": ("流程设计员", "xfj", ["designer"]),
    "dengji": ("登记员", "xfj", ["registrar"]),
    "dengji2": ("登记员二", "xfj", ["registrar"]),
    "zjj_cb": ("住建局承办人", "zjj", ["handler"]),
    "rsj_cb": ("人社局承办人", "rsj", ["handler"]),
    "guanli": ("管理员", "xfj", ["admin"]),
}


def create_users(engine) -> None:
    """The users every REST test logs in as (one password for all)."""
    accounts = Accounts(engine.sessions)
    for username, (display, unit, roles) in USERS.items():
        accounts.create_user(username, PASSWORD, display, unit, roles)


def basic(username: str, password: str = PASSWORD) -> dict[str, str]:
    """The Authorization header Camunda Modeler sends."""
    token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    return {"Authorization": f"Basic {token}"}


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@contextmanager
def live_server(app):
    """The app on a real socket (127.0.0.1, a free port) for the duration of the block."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="rest-test-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
