"""Reading Camunda-style query parameters and JSON bodies, refusing bad values with 400."""
from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from flask import request

from engine.errors import InvalidInput
from forms.variables import parse_camunda_date


def flag(name: str) -> bool | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    raise InvalidInput(f"参数 {name} 应为 true 或 false", {name: raw})


def integer(name: str, minimum: int = 0) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInput(f"参数 {name} 应为整数", {name: raw}) from None
    if value < minimum:
        raise InvalidInput(f"参数 {name} 不能小于 {minimum}", {name: raw})
    return value


def moment(name: str) -> dt.datetime | None:
    raw = request.args.get(name)
    if not raw:
        return None
    # A client that forgot to encode "+0800" sends " 0800" (a "+" in a query is a space).
    raw = re.sub(r" (\d{2}:?\d{2})$", r"+\1", raw)
    try:
        return parse_camunda_date(raw).astimezone(dt.timezone.utc)
    except ValueError:
        raise InvalidInput(f"参数 {name} 应为日期时间，例如 2024-03-05T09:30:00.000+0800", {name: raw}) from None


def id_list(name: str) -> tuple[str, ...] | None:
    """A comma-separated list (Camunda's form; repeated parameters are accepted too)."""
    raw = request.args.getlist(name)
    if not raw:
        return None
    return tuple(dict.fromkeys(item.strip() for value in raw for item in value.split(",") if item.strip()))


def descending() -> bool:
    order = request.args.get("sortOrder", "asc")
    if order not in ("asc", "desc"):
        raise InvalidInput("参数 sortOrder 应为 asc 或 desc", {"sortOrder": order})
    return order == "desc"


# Camunda bodies nest a few levels (variables -> name -> value -> a Json value's own
# levels); anything deeper is refused before it reaches the engine.
MAX_BODY_DEPTH = 40


def json_body() -> dict[str, Any]:
    """The request's JSON object; an empty body is an empty object (Camunda allows it)."""
    raw = request.get_data(cache=True)
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except RecursionError:
        raise InvalidInput(f"请求体的 JSON 嵌套过深（最多 {MAX_BODY_DEPTH} 层）", {"body": "nested too deeply"}) from None
    except ValueError:
        raise InvalidInput("请求体不是有效的 JSON", {"body": "not valid JSON"}) from None
    if not isinstance(body, dict):
        raise InvalidInput("请求体应为 JSON 对象", {"body": "not a JSON object"})
    if json_depth(body) > MAX_BODY_DEPTH:
        raise InvalidInput(f"请求体的 JSON 嵌套过深（最多 {MAX_BODY_DEPTH} 层）", {"body": "nested too deeply"})
    return body


def json_depth(value: Any) -> int:
    """How many arrays/objects deep ``value`` nests (iteratively: no recursion limit)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children)
    return deepest


def form_flag(name: str) -> bool:
    raw = request.form.get(name, "false")
    if raw.lower() not in ("true", "false"):
        raise InvalidInput(f"字段 {name} 应为 true 或 false", {name: raw})
    return raw.lower() == "true"
