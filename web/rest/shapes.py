"""Engine objects in the JSON shapes of Camunda 7's REST API."""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import url_for

from forms.convert import CHINA
from forms.variables import format_camunda_date

ENGINE_VERSION = "7.22.0"  # the Camunda REST version whose subset we answer


def camunda_date(moment: dt.datetime | None) -> str | None:
    """``yyyy-MM-dd'T'HH:mm:ss.SSSZ`` in China time (what the county's clients display)."""
    return format_camunda_date(moment.astimezone(CHINA)) if moment else None


def link(endpoint: str, rel: str = "self", method: str = "GET", **values) -> dict[str, str]:
    return {"method": method, "href": url_for(endpoint, _external=True, **values), "rel": rel}


def definition_json(d, tenant_id: str | None = None) -> dict[str, Any]:
    return {
        "id": d.id,
        "key": d.key,
        "category": None,
        "description": None,
        "name": d.name,
        "version": d.version,
        "resource": d.resource,
        "deploymentId": d.deployment_id,
        "diagram": None,
        "suspended": False,
        "tenantId": tenant_id,
        "versionTag": d.version_tag,
        "historyTimeToLive": None,
        "startableInTasklist": bool(d.executable),
    }


def decision_json(d, tenant_id: str | None = None) -> dict[str, Any]:
    return {
        "id": d.id,
        "key": d.key,
        "category": None,
        "name": d.name,
        "version": d.version,
        "resource": d.resource,
        "deploymentId": d.deployment_id,
        "decisionRequirementsDefinitionId": None,
        "decisionRequirementsDefinitionKey": None,
        "tenantId": tenant_id,
        "historyTimeToLive": None,
        "versionTag": None,
    }


def deployment_json(info) -> dict[str, Any]:
    """Camunda's DeploymentWithDefinitions."""
    return {
        "links": [link("engine_rest.get_deployment", id=info.id)],
        "id": info.id,
        "name": info.name,
        "source": info.source,
        "deploymentTime": camunda_date(info.deployed_at),
        "tenantId": info.tenant_id,
        "deployedProcessDefinitions": {d.id: definition_json(d, info.tenant_id) for d in info.definitions} or None,
        "deployedCaseDefinitions": None,
        "deployedDecisionDefinitions": {d.id: decision_json(d, info.tenant_id) for d in info.decisions} or None,
        "deployedDecisionRequirementsDefinitions": None,
    }


def deployment_summary_json(info) -> dict[str, Any]:
    """A deployment as ``GET /deployment`` lists it."""
    return {
        "links": [link("engine_rest.get_deployment", id=info.id)],
        "id": info.id,
        "name": info.name,
        "source": info.source,
        "deploymentTime": camunda_date(info.deployed_at),
        "tenantId": info.tenant_id,
    }


def instance_json(case, variables: dict | None = None) -> dict[str, Any]:
    """Camunda's ProcessInstance (with variables when asked for)."""
    body = {
        "links": [link("engine_rest.get_process_instance", id=case.id)],
        "id": case.id,
        "definitionId": case.definition_id,
        "definitionKey": case.process_key,
        "businessKey": case.business_key,
        "caseInstanceId": None,
        "ended": case.status != "running",
        "suspended": False,
        "tenantId": None,
    }
    if variables is not None:
        body["variables"] = variables
    return body


def task_json(t) -> dict[str, Any]:
    """Camunda's Task."""
    return {
        "id": t.id,
        "name": t.name,
        "assignee": t.assignee,
        "owner": None,
        "created": camunda_date(t.created_at),
        "lastUpdated": None,
        "due": camunda_date(t.due),
        "followUp": camunda_date(t.follow_up),
        "delegationState": None,
        "description": t.documentation,
        "executionId": t.case_id,
        "parentTaskId": None,
        "priority": t.priority,
        "processDefinitionId": t.definition_id,
        "processInstanceId": t.case_id,
        "taskDefinitionKey": t.activity_id,
        "caseExecutionId": None,
        "caseInstanceId": None,
        "caseDefinitionId": None,
        "suspended": False,
        "formKey": t.form_key,
        "camundaFormRef": None,
        "tenantId": None,
    }


# Camunda's HistoricProcessInstance.getState() values for our case statuses.
HISTORY_STATES = {"running": "ACTIVE", "completed": "COMPLETED", "cancelled": "EXTERNALLY_TERMINATED"}


def instance_row_json(row) -> dict[str, Any]:
    """Camunda's ProcessInstance from a list row (``GET /process-instance``)."""
    return {
        "links": [link("engine_rest.get_process_instance", id=row.id)],
        "id": row.id,
        "definitionId": row.definition_id,
        "definitionKey": row.process_key,
        "businessKey": row.business_key,
        "caseInstanceId": None,
        "ended": row.ended,
        "suspended": False,
        "tenantId": None,
    }


def historic_instance_json(row) -> dict[str, Any]:
    """Camunda's HistoricProcessInstance (``GET /history/process-instance``)."""
    duration = None
    if row.ended_at is not None:
        duration = int((row.ended_at - row.started_at).total_seconds() * 1000)
    return {
        "id": row.id,
        "rootProcessInstanceId": row.id,
        "superProcessInstanceId": None,
        "superCaseInstanceId": None,
        "caseInstanceId": None,
        "processDefinitionName": row.definition_name,
        "processDefinitionKey": row.process_key,
        "processDefinitionVersion": row.definition_version,
        "processDefinitionId": row.definition_id,
        "businessKey": row.business_key,
        "startTime": camunda_date(row.started_at),
        "endTime": camunda_date(row.ended_at),
        "removalTime": None,
        "durationInMillis": duration,
        "startUserId": row.started_by,
        "startActivityId": None,
        "deleteReason": None,
        "restartedProcessInstanceId": None,
        "tenantId": None,
        "state": HISTORY_STATES.get(row.status, "ACTIVE"),
    }
