"""The blueprint every HTML page of the caseworker UI hangs on."""
from __future__ import annotations

from flask import Blueprint, current_app, redirect, url_for
from flask_login import login_required

bp = Blueprint("ui", __name__)


def casework():
    """The app's Casework service (built on first use from the app's engine)."""
    from web.ui.context import get_casework

    return get_casework(current_app)


@bp.get("/")
@login_required
def home():
    return redirect(url_for("ui.inbox"))
