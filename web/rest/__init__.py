"""The Camunda Platform 7 REST subset at /engine-rest, for Camunda Modeler and other clients.

HTTP Basic against the product's users, the same access policy as the HTML UI, Camunda
JSON shapes and error bodies, CORS for the Modeler's ``file://`` window (Origin
``null``).  Routes are thin: parse, call one engine function (``service``), answer JSON.
"""
from __future__ import annotations

from flask import Flask, jsonify, request, url_for
from flask_cors import CORS

from engine.errors import NotFound
from web.rest import auth, deployments, definitions, instances, tasks  # noqa: F401  (routes)
from web.rest.blueprint import bp, well_known
from web.rest.errors import handle_error
from web.rest.shapes import ENGINE_VERSION

bp.register_error_handler(Exception, handle_error)

ALL_METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH"]


@bp.get("/version")
def version():
    auth.current_user()
    return jsonify({"version": ENGINE_VERSION})


@bp.route("/<path:unknown>", methods=ALL_METHODS)
def unknown_resource(unknown: str):
    """Anything else under /engine-rest answers a Camunda-shaped 404, not an HTML page."""
    raise NotFound(f"{request.method} /engine-rest/{unknown} is not part of this engine's REST API")


@well_known.get("/.well-known/camunda-automation-platform/webapps")
def webapps():
    """Where Camunda Modeler's "open" links go: our definitions pages and the inbox.

    The Modeler appends ``repository?deploymentsQuery=…`` or ``process-instance/<id>`` to
    ``cockpitUrl``; both land on routes of the definitions UI that redirect onwards.
    """
    return jsonify({
        "cockpitUrl": url_for("ui_definitions.modeler_landing", _external=True),
        "tasklistUrl": request.url_root,
        "adminUrl": url_for("ui_definitions.index", _external=True),
    })


def init_app(app: Flask) -> None:
    """Register the REST blueprint, CORS, CSRF exemption and the definitions UI."""
    app.register_blueprint(bp)
    app.register_blueprint(well_known)
    CORS(app, resources={
        r"/engine-rest/*": {"origins": "*"},
        r"/.well-known/*": {"origins": "*"},
    }, allow_headers=["Authorization", "Content-Type", "Accept"],
        methods=ALL_METHODS + ["OPTIONS"], max_age=600, supports_credentials=False)
    # Basic auth on every call and no cookies: CSRF tokens do not apply here.
    csrf = app.extensions.get("csrf")
    if csrf is not None:
        csrf.exempt(bp)
        csrf.exempt(well_known)
    from web import ui_definitions

    ui_definitions.init_app(app)
