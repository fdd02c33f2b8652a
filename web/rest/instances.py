"""Process instances (cases) and message correlation."""
from __future__ import annotations

from flask import jsonify, request

from engine.errors import InvalidInput
from forms import from_camunda, to_camunda
from web.rest import params, service, shapes
from web.rest.auth import CANCEL_ROLES, current_user, require_role
from web.rest.blueprint import bp


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
