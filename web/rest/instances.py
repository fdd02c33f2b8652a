"""Process instances (cases), their history, and message correlation."""
from __future__ import annotations

from flask import jsonify, request

from engine.errors import InvalidInput
from engine.instances import SORT_COLUMNS, InstanceFilter
from forms import from_camunda, to_camunda
from web.rest import params, service, shapes
from web.rest.auth import CANCEL_ROLES, current_user, require_role
from web.rest.blueprint import bp

RUNTIME_SORT = ("instanceId", "definitionKey", "definitionId", "businessKey", "tenantId")
HISTORY_SORT = (*SORT_COLUMNS, "duration", "tenantId")


def _runtime_filter() -> InstanceFilter | None:
    """Camunda's runtime instance filters; None when they can match nothing."""
    args = request.args
    if params.flag("suspended"):  # nothing is ever suspended here
        return None
    params.flag("active")  # every running instance is active: only checked for its form
    return InstanceFilter(
        case_ids=params.id_list("processInstanceIds"),
        business_key=args.get("businessKey") or None,
        business_key_like=args.get("businessKeyLike") or None,
        process_key=args.get("processDefinitionKey") or None,
        process_keys=params.id_list("processDefinitionKeyIn"),
        definition_id=args.get("processDefinitionId") or None,
        running=True,  # the runtime view: ended instances are history
    )


def _history_filter() -> InstanceFilter | None:
    args = request.args
    finished, unfinished = params.flag("finished"), params.flag("unfinished")
    if finished and unfinished:
        return None
    ids = params.id_list("processInstanceIds")
    if args.get("processInstanceId"):
        ids = tuple(i for i in ids if i == args["processInstanceId"]) if ids is not None \
            else (args["processInstanceId"],)
    return InstanceFilter(
        case_ids=ids,
        business_key=args.get("processInstanceBusinessKey") or None,
        business_key_like=args.get("processInstanceBusinessKeyLike") or None,
        process_key=args.get("processDefinitionKey") or None,
        process_keys=params.id_list("processDefinitionKeyIn"),
        definition_id=args.get("processDefinitionId") or None,
        running=False if finished else True if unfinished else None,
        started_by=args.get("startedBy") or None,
        started_before=params.moment("startedBefore"),
        started_after=params.moment("startedAfter"),
        ended_before=params.moment("finishedBefore"),
        ended_after=params.moment("finishedAfter"),
    )


def _paging(allowed: tuple[str, ...]) -> dict:
    sort_by = request.args.get("sortBy") or "instanceId"
    if sort_by not in allowed:
        raise InvalidInput(f"不支持按 {sort_by} 排序", {"sortBy": sort_by})
    descending = params.descending()
    if sort_by == "tenantId":  # no tenants: every instance ties, the id decides
        sort_by, descending = "instanceId", False
    return {"sort_by": sort_by, "descending": descending, "offset": params.integer("firstResult") or 0,
            "limit": params.integer("maxResults")}


@bp.get("/process-instance")
def list_process_instances():
    paging, query = _paging(RUNTIME_SORT), _runtime_filter()
    rows = service.list_instances(current_user(), query, **paging) if query else []
    return jsonify([shapes.instance_row_json(r) for r in rows])


@bp.get("/process-instance/count")
def count_process_instances():
    query = _runtime_filter()
    return jsonify({"count": service.count_instances(current_user(), query) if query else 0})


@bp.get("/history/process-instance")
def list_historic_process_instances():
    paging, query = _paging(HISTORY_SORT), _history_filter()
    rows = service.list_instances(current_user(), query, **paging) if query else []
    return jsonify([shapes.historic_instance_json(r) for r in rows])


@bp.get("/history/process-instance/count")
def count_historic_process_instances():
    query = _history_filter()
    return jsonify({"count": service.count_instances(current_user(), query) if query else 0})


@bp.get("/history/process-instance/<id>")
def get_historic_process_instance(id: str):
    return jsonify(shapes.historic_instance_json(service.visible_instance(current_user(), id)))


@bp.get("/process-instance/<id>")
def get_process_instance(id: str):
    return jsonify(shapes.instance_json(service.visible_case(current_user(), id)))


@bp.get("/process-instance/<id>/variables")
def get_process_instance_variables(id: str):
    case = service.visible_case(current_user(), id, with_variables=True)
    return jsonify(to_camunda(case.variables))


@bp.delete("/process-instance/<id>")
def delete_process_instance(id: str):
    user = require_role(CANCEL_ROLES, "撤销案件")
    service.cancel_case(user, id, reason=request.args.get("deleteReason") or "撤销（REST）")
    return "", 204


@bp.post("/message")
def correlate_message():
    """Correlate by message name and business key (or process instance id)."""
    body = params.json_body()
    name = body.get("messageName")
    if not name or not isinstance(name, str):
        raise InvalidInput("messageName 必填", {"messageName": "required"})
    if body.get("all"):
        raise InvalidInput("不支持 all=true：一条消息只送达一个案件", {"all": "not supported"})
    business_key, case_id = body.get("businessKey"), body.get("processInstanceId")
    if not business_key and not case_id:
        raise InvalidInput("须指定 businessKey 或 processInstanceId", {"businessKey": "required"})
    payload = from_camunda(body.get("processVariables"))
    case = service.correlate_message(current_user(), name, business_key, case_id, payload)
    if not body.get("resultEnabled"):
        return "", 204
    result = {
        "resultType": "Execution",
        "execution": {"id": case.id, "processInstanceId": case.id, "ended": case.status != "running",
                      "tenantId": None},
        "processInstance": None,
    }
    if body.get("variablesInResultEnabled"):
        result["variables"] = to_camunda(case.variables)
    return jsonify([result])
