"""The one JSON error handler of the REST API: engine errors in Camunda's shape.

Camunda 7 answers ``{"type": <exception class>, "message": …}``; a deployment that does
not parse answers ``ParseException`` with ``details`` per resource, and Camunda Modeler
recognises it by the message prefix ``ENGINE-09005 Could not parse BPMN process.``
"""
from __future__ import annotations

import logging

from flask import jsonify
from sqlalchemy.exc import DBAPIError, IntegrityError
from werkzeug.exceptions import HTTPException

from engine.errors import (
    Conflict,
    DeployError,
    EngineError,
    Forbidden,
    InvalidInput,
    NotFound,
    ScriptError,
)

log = logging.getLogger(__name__)

BPMN_PARSE_PREFIX = "ENGINE-09005 Could not parse BPMN process."
DMN_PARSE_PREFIX = "ENGINE-22004 Unable to transform DMN resource."
REALM = 'Basic realm="xinfang"'


class Unauthorized(Exception):
    """Credentials missing or wrong (HTTP 401)."""


def _body(status: int, type_: str, message: str, **extra):
    response = jsonify({"type": type_, "message": message, **extra})
    response.status_code = status
    return response


def parse_exception_body(error: DeployError) -> dict:
    """Camunda's ParseException body: a summary line per problem, then details per resource."""
    details: dict[str, dict[str, list]] = {}
    lines = []
    for p in error.problems:
        entry = {
            "message": p.message + (f"（{p.hint}）" if p.hint else ""),
            "line": p.line or 0,
            "column": p.column or 0,
            "mainBpmnElementId": p.element_id,
            "bpmnElementIds": [p.element_id] if p.element_id else [],
            # The names Camunda 7.13+ uses for the same two fields.
            "mainElementId": p.element_id,
            "elementIds": [p.element_id] if p.element_id else [],
        }
        report = details.setdefault(p.file, {"errors": [], "warnings": []})
        report["warnings" if p.severity == "warning" else "errors"].append(entry)
        where = f" | resource {p.file}"
        if p.line:
            where += f" | line {p.line} | column {p.column or 0}"
        if p.element_id:
            where += f" [{p.element_id}]"
        lines.append(f"* {entry['message']}{where}")
    only_dmn = error.problems and all(p.file.lower().endswith((".dmn", ".dmn11.xml", ".dmn13.xml"))
                                      for p in error.problems)
    prefix = DMN_PARSE_PREFIX if only_dmn else BPMN_PARSE_PREFIX
    return {"type": "ParseException", "message": f"{prefix} Errors: \n" + "\n".join(lines), "details": details}


def _constraint_hint(error: IntegrityError) -> str:
    text = str(error.orig).lower()
    if "case_units" in text:
        return "同一单位在案件中只能有一个身份（例如检举控告事项不能交由被检举控告的单位办理）"
    if "unique" in text or "duplicate" in text:
        return "该记录已存在"
    if "not null" in text or "null value" in text:
        return "缺少必填的数据"
    return "数据不符合约束"


def _is_busy(error: DBAPIError) -> bool:
    text = str(error.orig).lower()
    return any(w in text for w in ("database is locked", "database table is locked", "deadlock",
                                   "could not serialize", "lock timeout", "canceling statement"))


def handle_error(error: Exception):
    """Map any exception raised under /engine-rest to a Camunda-shaped JSON response."""
    if isinstance(error, Unauthorized):
        response = _body(401, "AuthenticationException", str(error) or "Authentication required")
        response.headers["WWW-Authenticate"] = REALM
        return response
    if isinstance(error, DeployError):
        response = jsonify(parse_exception_body(error))
        response.status_code = 400
        return response
    if isinstance(error, InvalidInput):
        extra = {"errors": error.errors} if error.errors else {}
        return _body(400, "InvalidRequestException", error.message, **extra)
    if isinstance(error, NotFound):
        return _body(404, "InvalidRequestException", error.message)
    if isinstance(error, Forbidden):
        return _body(403, "AuthorizationException", error.message)
    if isinstance(error, Conflict):
        return _body(409, "OptimisticLockingException", error.message)
    if isinstance(error, ScriptError):
        return _body(error.status, "ScriptEvaluationException", error.message)
    if isinstance(error, EngineError):
        return _body(error.status, "ProcessEngineException", error.message)
    if isinstance(error, IntegrityError):
        # The engine checks what it can name first; a constraint that still fires means
        # the request contradicts data already stored.  Nothing was written.
        log.warning("REST request refused by a database constraint: %s", error.orig)
        return _body(400, "InvalidRequestException",
                     "提交的数据与已有记录冲突（违反数据库约束），未作任何修改：" + _constraint_hint(error))
    if isinstance(error, DBAPIError) and _is_busy(error):
        response = _body(503, "ProcessEngineException", "数据库正忙（其他请求正在写入），未作任何修改，请稍后重试")
        response.headers["Retry-After"] = "1"
        return response
    if isinstance(error, RecursionError):
        return _body(400, "InvalidRequestException", "请求的数据嵌套过深")
    if isinstance(error, HTTPException):
        kind = "InvalidRequestException" if error.code in (400, 404, 405, 415) else "RestException"
        response = _body(error.code or 500, kind, error.description or error.name)
        if error.code == 405 and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response
    log.exception("unhandled error in the REST API")
    return _body(500, "ProcessEngineException", "服务器内部错误，请查看服务器日志")
