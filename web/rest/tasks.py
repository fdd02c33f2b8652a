"""User tasks: list and count with Camunda's filters, claim, unclaim, complete, forms."""
from __future__ import annotations

from flask import jsonify, request

from engine.errors import InvalidInput
from forms import from_camunda, to_camunda
from web.rest import params, service, shapes
from web.rest.auth import current_user
from web.rest.blueprint import bp

# Camunda's sortBy names -> the engine's (engine.inbox.SORT_COLUMNS).
SORT_BY = {"dueDate": "due", "created": "created", "name": "name", "priority": "priority",
           "followUpDate": "followUpDate", "assignee": "assignee", "id": "id"}


def _filters() -> dict:
    """Engine filters from Camunda's task query parameters."""
    args = request.args
    filters: dict = {}
    if args.get("processInstanceId"):
        filters["case_id"] = args["processInstanceId"]
    if args.get("processInstanceBusinessKey"):
        filters["business_key"] = args["processInstanceBusinessKey"]
    if args.get("processDefinitionKey"):
        filters["process_key"] = args["processDefinitionKey"]
    if args.get("taskDefinitionKey"):
        filters["activity_id"] = args["taskDefinitionKey"]
    if args.get("assignee"):
        filters["assignee"] = args["assignee"]
    if args.get("candidateGroup"):
        filters["candidate_groups"] = [args["candidateGroup"]]
    if args.get("candidateGroups"):
        filters["candidate_groups"] = [g for g in args["candidateGroups"].split(",") if g]
    if args.get("candidateUser"):
        if "candidate_groups" in filters:
            # Camunda refuses the combination too ("cannot set both candidateGroup and candidateUser").
            raise InvalidInput("candidateUser 不能与 candidateGroup(s) 同时使用", {"candidateUser": "combined"})
        # As in Camunda, a user is a candidate by name or through any group they belong to.
        filters["candidate_users"] = [args["candidateUser"]]
        filters["candidate_groups"] = service.groups_of(args["candidateUser"])
    if args.get("nameLike"):
        filters["name_like"] = args["nameLike"].strip("%")
    if params.flag("unassigned"):
        filters["unassigned"] = True
    # Camunda leaves assigned tasks out of candidate queries unless asked to include them.
    if ("candidate_groups" in filters or "candidate_users" in filters) and not params.flag("includeAssignedTasks"):
        filters["unassigned"] = True
    if params.moment("dueBefore"):
        filters["due_before"] = params.moment("dueBefore")
    if params.moment("dueAfter"):
        filters["due_after"] = params.moment("dueAfter")
    return filters


@bp.get("/task")
def list_tasks():
    sort_by = request.args.get("sortBy", "dueDate")
    if sort_by not in SORT_BY:
        raise InvalidInput(f"不支持按 {sort_by} 排序", {"sortBy": sort_by})
    tasks = service.list_tasks(current_user(), sort_by=SORT_BY[sort_by], descending=params.descending(),
                               offset=params.integer("firstResult") or 0, limit=params.integer("maxResults"),
                               **_filters())
    return jsonify([shapes.task_json(t) for t in tasks])


@bp.get("/task/count")
def count_tasks():
    return jsonify({"count": service.count_tasks(current_user(), **_filters())})


@bp.get("/task/<id>")
def get_task(id: str):
    return jsonify(shapes.task_json(service.visible_task(current_user(), id)))


@bp.post("/task/<id>/claim")
def claim_task(id: str):
    service.claim(current_user(), id, params.json_body().get("userId"))
    return "", 204


@bp.post("/task/<id>/unclaim")
def unclaim_task(id: str):
    service.unclaim(current_user(), id)
    return "", 204


def _complete(id: str):
    body = params.json_body()
    case = service.complete(current_user(), id, from_camunda(body.get("variables")))
    if body.get("withVariablesInReturn"):
        return jsonify(to_camunda(case.variables))
    return "", 204


@bp.post("/task/<id>/complete")
def complete_task(id: str):
    """Complete; the variables are checked against the task's form like a UI submission."""
    return _complete(id)


@bp.post("/task/<id>/submit-form")
def submit_task_form(id: str):
    """Complete after validating and converting the values by the task's form."""
    return _complete(id)


@bp.get("/task/<id>/form-variables")
def task_form_variables(id: str):
    names = request.args.get("variableNames")
    wanted = [n for n in names.split(",") if n] if names else None
    return jsonify(service.task_form_variables(current_user(), id, wanted))
