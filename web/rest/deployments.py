"""Deployments: the connection check, multipart deploy, and listing what is deployed."""
from __future__ import annotations

from flask import jsonify, request

from engine.errors import NotFound
from web.rest import params, shapes
from web.rest.auth import DEPLOY_ROLES, current_user, require_role
from web.rest.blueprint import bp
from web.services import get_engine

FORM_FIELDS = ("deployment-name", "deployment-source", "enable-duplicate-filtering",
               "deploy-changed-only", "tenant-id", "deployment-activation-time")


def _deployments() -> list[dict]:
    """Every deployment (processes, decisions or both), newest first."""
    return [shapes.deployment_summary_json(info) for info in get_engine().list_deployments()]


@bp.get("/deployment")
def list_deployments():
    """Camunda Modeler's connection check is ``GET /deployment?maxResults=0``."""
    current_user()
    first, limit = params.integer("firstResult") or 0, params.integer("maxResults")
    if limit == 0:
        return jsonify([])
    rows = _deployments()
    if request.args.get("id"):
        rows = [r for r in rows if r["id"] == request.args["id"]]
    if request.args.get("source"):
        rows = [r for r in rows if r["source"] == request.args["source"]]
    return jsonify(rows[first: first + limit if limit is not None else None])


@bp.get("/deployment/count")
def count_deployments():
    return jsonify({"count": len(_deployments())})


@bp.get("/deployment/<id>")
def get_deployment(id: str):
    for row in _deployments():
        if row["id"] == id:
            return jsonify(row)
    raise NotFound(f"Deployment with id '{id}' does not exist")


@bp.post("/deployment/create")
def create_deployment():
    """Multipart deploy as Camunda Modeler and other clients send it."""
    user = require_role(DEPLOY_ROLES, "部署流程（需要流程设计员或管理员角色）")
    resources = []
    for field_name, storage in request.files.items(multi=True):
        name = storage.filename or field_name
        resources.append((name, storage.read()))
    changed_only = params.form_flag("deploy-changed-only")
    info = get_engine().deploy(
        resources,
        name=request.form.get("deployment-name") or None,
        source=request.form.get("deployment-source") or None,
        deployed_by=user.username,
        tenant_id=request.form.get("tenant-id") or None,
        # Camunda: deploy-changed-only switches duplicate filtering on.
        duplicate_filtering=params.form_flag("enable-duplicate-filtering") or changed_only,
        changed_only=changed_only,
    )
    return jsonify(shapes.deployment_json(info))
