"""The definitions UI: process definitions, their versions, diagrams, diffs, migration.

A blueprint of its own (``ui_definitions``), registered by ``web.rest.init_app``; it
uses the caseworker UI's layout, login and CSRF.  Camunda Modeler's "open" links land
under ``/definitions/modeler/`` (the ``cockpitUrl`` the well-known endpoint announces).
"""
from __future__ import annotations

import json
from itertools import groupby
from flask import Blueprint, Flask, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from engine import migration
from engine.errors import EngineError, NotFound
from web.services import get_engine

bp = Blueprint("ui_definitions", __name__, url_prefix="/definitions", template_folder="templates",
               static_folder="static", static_url_path="/static")

VIEW_ROLES = ("designer", "admin", "supervisor", "leader")
MIGRATE_ROLES = ("designer", "admin")


def init_app(app: Flask) -> None:
    """Register the pages and, when the caseworker UI is installed, its navigation entry."""
    app.register_blueprint(bp)
    try:
        from web.ui.nav import NavItem, add_nav_item
    except ImportError:  # no caseworker UI: the pages still answer by URL
        return
    add_nav_item(app, NavItem("definitions", "流程版本", "ui_definitions.index",
                              visible=lambda user: user.has_role(*VIEW_ROLES), order=80))
    shown = tuple(app.config.get("NAV_BLUEPRINTS", ("ui", "dashboard")))
    if bp.name not in shown:
        app.config["NAV_BLUEPRINTS"] = shown + (bp.name,)


def _require(roles: tuple[str, ...]) -> None:
    if not current_user.has_role(*roles):
        abort(403)


@bp.get("/")
@login_required
def index():
    _require(VIEW_ROLES)
    engine = get_engine()
    definitions = engine.list_definitions()
    keys = []
    for key, versions in groupby(definitions, key=lambda d: d.key):
        versions = list(versions)  # newest first
        keys.append({"key": key, "latest": versions[0], "count": len(versions)})
    running = _running_by_definition(engine, None)
    return render_template("definitions/index.html", keys=keys, running=running)


def _running_by_definition(engine, key: str | None) -> dict[str, int]:
    counts: dict[str, int] = {}
    for case in engine.list_cases(process_key=key, status="running", limit=None):
        counts[case.definition_id] = counts.get(case.definition_id, 0) + 1
    return counts


@bp.get("/key/<key>")
@login_required
def versions(key: str):
    _require(VIEW_ROLES)
    engine = get_engine()
    defs = engine.list_definitions(key=key)
    if not defs:
        abort(404)
    return render_template("definitions/versions.html", key=key, versions=defs,
                           running=_running_by_definition(engine, key))


@bp.get("/version/<definition_id>")
@login_required
def version(definition_id: str):
    _require(VIEW_ROLES)
    engine = get_engine()
    d = _definition_or_404(definition_id)
    against = request.args.get("against") or migration.previous_version_id(engine, definition_id)
    diff = migration.version_diff(engine, definition_id, against)
    running = _running_by_definition(engine, d.key)
    older = [v for v in engine.list_definitions(key=d.key) if v.id != d.id and running.get(v.id)]
    markers = {"added": [c.id for c in diff.added], "changed": [c.id for c in diff.changed]}
    return render_template("definitions/version.html", d=d, diff=diff, against=against, running=running,
                           older=older, markers=json.dumps(markers),
                           can_migrate=current_user.has_role(*MIGRATE_ROLES))


@bp.get("/version/<definition_id>/xml")
@login_required
def version_xml(definition_id: str):
    _require(VIEW_ROLES)
    _definition_or_404(definition_id)
    return Response(get_engine().get_definition_xml(definition_id), mimetype="application/xml")


@bp.get("/version/<definition_id>/migrate")
@login_required
def migration_preview(definition_id: str):
    _require(MIGRATE_ROLES)
    target = _definition_or_404(definition_id)
    source_id = request.args.get("from", "")
    source = _definition_or_404(source_id)
    try:
        checks = migration.check_cases(get_engine(), source_id, definition_id)
    except EngineError as exc:
        flash(exc.message, "error")
        return redirect(url_for(".version", definition_id=definition_id))
    return render_template("definitions/migrate.html", source=source, target=target, checks=checks)


@bp.post("/version/<definition_id>/migrate")
@login_required
def migrate(definition_id: str):
    _require(MIGRATE_ROLES)
    target = _definition_or_404(definition_id)
    source = _definition_or_404(request.form.get("from", ""))
    chosen = request.form.getlist("case_id") or None
    try:
        report = migration.migrate_cases(get_engine(), source.id, target.id, current_user.username, chosen)
    except EngineError as exc:
        flash(exc.message, "error")
        return redirect(url_for(".version", definition_id=definition_id))
    flash(f"已迁移 {len(report.migrated)} 件，{len(report.skipped)} 件保留在原版本", "success")
    return render_template("definitions/report.html", source=source, target=target, report=report)


def _definition_or_404(definition_id: str):
    try:
        return get_engine().get_definition(definition_id)
    except NotFound:
        abort(404)


# --- where Camunda Modeler's links land ------------------------------------------

@bp.get("/modeler/")
@login_required
def modeler_landing():
    return redirect(url_for(".index"))


@bp.get("/modeler/repository")
@login_required
def modeler_deployment():
    """``repository?deploymentsQuery=[{"type":"id","operator":"eq","value":"<id>"}]``."""
    try:
        query = json.loads(request.args.get("deploymentsQuery") or "[]")
        deployment_id = next(q["value"] for q in query if q.get("type") == "id")
    except (ValueError, StopIteration, TypeError, KeyError, AttributeError):
        return redirect(url_for(".index"))
    for d in get_engine().list_definitions():
        if d.deployment_id == deployment_id:
            return redirect(url_for(".version", definition_id=d.id))
    return redirect(url_for(".index"))


@bp.get("/modeler/process-instance/<case_id>")
@login_required
def modeler_case(case_id: str):
    """The Modeler's "open instance" link: the caseworker UI's case page."""
    return redirect(url_for("ui.case", case_id=case_id))
