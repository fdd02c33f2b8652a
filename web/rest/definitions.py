"""Process definitions: list, get, XML, and starting a case by id or by key."""
from __future__ import annotations

from flask import jsonify, request

from engine.errors import InvalidInput, NotFound
from forms import from_camunda, to_camunda
from web.rest import params, shapes
from web.rest.auth import START_ROLES, current_user, require_role
from web.rest.blueprint import bp
from web.services import get_engine

SORT_KEYS = {"id": "id", "key": "key", "name": "name", "version": "version",
             "deploymentId": "deployment_id", "deployTime": "deployed_at", "versionTag": "version_tag"}


def _filtered() -> list:
    latest = params.flag("latestVersion")
    definitions = get_engine().list_definitions(key=request.args.get("key") or None, latest_only=bool(latest))
    for arg, attr in (("deploymentId", "deployment_id"), ("name", "name"), ("resourceName", "resource"),
                      ("processDefinitionId", "id")):
        if request.args.get(arg):
            definitions = [d for d in definitions if getattr(d, attr) == request.args[arg]]
    if request.args.get("version"):
        version = params.integer("version", minimum=1)
        definitions = [d for d in definitions if d.version == version]
    if request.args.get("keyLike"):
        needle = request.args["keyLike"].replace("%", "")
        definitions = [d for d in definitions if needle in d.key]
    return definitions


@bp.get("/process-definition")
def list_process_definitions():
    current_user()
    definitions = _filtered()
    sort_by = request.args.get("sortBy")
    if sort_by:
        if sort_by not in SORT_KEYS:
            raise InvalidInput(f"不支持按 {sort_by} 排序", {"sortBy": sort_by})
        attr = SORT_KEYS[sort_by]
        definitions.sort(key=lambda d: (getattr(d, attr) is None, getattr(d, attr) or ""),
                         reverse=params.descending())
    first, limit = params.integer("firstResult") or 0, params.integer("maxResults")
    page = definitions[first: first + limit if limit is not None else None]
    return jsonify([shapes.definition_json(d) for d in page])


@bp.get("/process-definition/count")
def count_process_definitions():
    current_user()
    return jsonify({"count": len(_filtered())})


def _by_key(key: str):
    return get_engine().latest_definition(key)


@bp.get("/process-definition/<id>")
def get_process_definition(id: str):
    return jsonify(shapes.definition_json(get_engine().get_definition(id)))


@bp.get("/process-definition/key/<key>")
def get_process_definition_by_key(key: str):
    return jsonify(shapes.definition_json(_by_key(key)))


@bp.get("/process-definition/<id>/xml")
def get_process_definition_xml(id: str):
    return jsonify({"id": id, "bpmn20Xml": get_engine().get_definition_xml(id)})


@bp.get("/process-definition/key/<key>/xml")
def get_process_definition_xml_by_key(key: str):
    definition = _by_key(key)
    return jsonify({"id": definition.id, "bpmn20Xml": get_engine().get_definition_xml(definition.id)})


def _start(definition_id: str):
    user = require_role(START_ROLES, "启动案件")
    body = params.json_body()
    for unsupported in ("startInstructions", "caseInstanceId"):
        if body.get(unsupported):
            raise InvalidInput(f"不支持 {unsupported}", {unsupported: "not supported by this engine"})
    business_key = body.get("businessKey")
    if business_key is not None and not isinstance(business_key, str):
        raise InvalidInput("businessKey 应为字符串", {"businessKey": "must be a string"})
    case = get_engine().start_case(definition_id=definition_id, business_key=business_key or None,
                                   variables=from_camunda(body.get("variables")), actor=user.username)
    variables = to_camunda(case.variables) if body.get("withVariablesInReturn") else None
    return jsonify(shapes.instance_json(case, variables))


@bp.post("/process-definition/<id>/start")
def start_by_id(id: str):
    return _start(id)


@bp.post("/process-definition/key/<key>/start")
def start_by_key(key: str):
    try:
        definition = _by_key(key)
    except NotFound:
        raise NotFound(f"No matching process definition with key: {key}") from None
    return _start(definition.id)
