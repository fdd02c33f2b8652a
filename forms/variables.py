"""Camunda 7 REST typed variables: ``{"amount": {"value": 5, "type": "Integer"}}``.

``from_camunda`` turns a request's variables into plain JSON-serialisable case data;
``to_camunda`` and ``form_variables`` shape case data for responses.

Mapping (type names are matched case-insensitively; without a type the JSON value's own
kind decides, as Camunda's "untyped" values do):

============  ==========================================  ========================
Camunda type  accepted ``value``                          stored as
============  ==========================================  ========================
String        string (numbers/booleans written out)        ``str`` (control chars stripped)
Boolean       true/false, "true"/"false"                  ``bool``
Short         integer in 16 bits (or its decimal string)  ``int``
Integer       integer in 32 bits                          ``int``
Long          integer in 64 bits                          ``int``
Double        finite number                               ``float``
Date          ``yyyy-MM-dd'T'HH:mm:ss.SSSZ``               ISO 8601 UTC string
Json          JSON text (or an already-parsed object)     ``dict`` / ``list`` / …
Object        JSON text, ``valueInfo.serializationDataFormat: application/json``
Null          anything                                    ``None``
============  ==========================================  ========================

Java-serialized objects, XML, Bytes and File are refused.  A Date without an offset is
read as China time.  Responses use the same names; note that a Date stored as its ISO
string comes back as a String (case data keeps no type tags).
"""
from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timezone
from typing import Any

from engine.errors import InvalidInput
from forms.convert import CHINA
from forms.model import Form
from forms.text import TextTooLong, clean_text, too_long_message
from forms.validate import Evaluate, initial_values

# A JSON variable's text and nesting are bounded so one request cannot plant a structure
# that later breaks serialising the workflow or rendering the case page.
MAX_JSON_LENGTH = 1_000_000
MAX_JSON_DEPTH = 32

_RANGES = {"short": 16, "integer": 32, "long": 64}
_CAMUNDA_DATE = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})?", re.ASCII
)
JAVA_SERIALIZED = "application/x-java-serialized-object"
JSON_FORMAT = "application/json"

# The REST type of a form field's value (Camunda's form types: enum values are
# strings; a date form field's value is a String in Camunda too — here "YYYY-MM-DD").
FIELD_TYPES = {"string": "String", "enum": "String", "date": "String", "long": "Long", "boolean": "Boolean"}


class _Refused(Exception):
    """One variable does not fit; the text names the problem (not the variable)."""


def from_camunda(variables: Mapping[str, Any] | None) -> dict[str, Any]:
    """Plain case data from Camunda typed variables; ``InvalidInput`` names each bad one."""
    if variables is None:
        return {}
    if not isinstance(variables, Mapping):
        raise InvalidInput("variables 必须是对象（JSON object）", {"variables": "必须是对象"})
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, dto in variables.items():
        try:
            _check_name(name)
            values[name] = _from_dto(dto)
        except _Refused as refusal:
            errors[str(name)] = str(refusal)
    if errors:
        raise InvalidInput(_summary(errors), errors)
    return values


def to_camunda(values: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Camunda typed variables for a response from plain case data."""
    return {name: typed_value(value) for name, value in values.items()}


def typed_value(value: Any, type_name: str | None = None) -> dict[str, Any]:
    """One ``{"type", "value", "valueInfo"}`` entry; ``type_name`` forces the type
    (used for form fields whose value is None)."""
    if value is None:
        return {"type": type_name or "Null", "value": None, "valueInfo": {}}
    if isinstance(value, bool):
        return {"type": "Boolean", "value": value, "valueInfo": {}}
    if isinstance(value, int):
        kind = type_name or ("Integer" if -(2**31) <= value < 2**31 else "Long")
        return {"type": kind, "value": value, "valueInfo": {}}
    if isinstance(value, float):
        return {"type": "Double", "value": value, "valueInfo": {}}
    if isinstance(value, str):
        return {"type": "String", "value": value, "valueInfo": {}}
    if isinstance(value, datetime):
        return {"type": "Date", "value": format_camunda_date(value), "valueInfo": {}}
    if isinstance(value, date):
        return {"type": "String", "value": value.isoformat(), "valueInfo": {}}
    if isinstance(value, (dict, list)):
        text = json.dumps(value, ensure_ascii=False, default=str)
        return {"type": "Json", "value": text, "valueInfo": {}}
    # Case data is JSON by design; anything else is shown, not failed on.
    return {"type": "String", "value": str(value), "valueInfo": {}}


def form_variables(
    form: Form,
    values: Mapping[str, Any],
    *,
    evaluate: Evaluate | None = None,
    names: Iterable[str] | None = None,
    include_other_variables: bool = True,
) -> dict[str, dict[str, Any]]:
    """The body of Camunda's ``GET /task/{id}/form-variables``.

    Form fields first, typed by the field (the case's value, else the default, else a
    typed null), then — as Camunda does — the task's other variables.  ``names`` is the
    ``variableNames`` filter.
    """
    wanted = set(names) if names is not None else None
    shown = initial_values(form, values, evaluate=evaluate)
    result: dict[str, dict[str, Any]] = {}
    for f in form.fields:
        if wanted is None or f.id in wanted:
            result[f.id] = typed_value(shown[f.id], FIELD_TYPES[f.type])
    if include_other_variables:
        for name, value in values.items():
            if name not in result and (wanted is None or name in wanted) and form.field(name) is None:
                result[name] = typed_value(value)
    return result


def format_camunda_date(moment: datetime) -> str:
    """``yyyy-MM-dd'T'HH:mm:ss.SSSZ``; a naive datetime is taken as UTC (storage time)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}" + moment.strftime("%z")


def parse_camunda_date(text: str) -> datetime:
    """An aware datetime from Camunda's date format (ISO variants accepted; no offset
    means China time)."""
    if not isinstance(text, str) or not _CAMUNDA_DATE.fullmatch(text):
        raise ValueError(text)
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=CHINA)
    return moment


def _check_name(name: Any) -> None:
    if not isinstance(name, str) or not name.strip():
        raise _Refused("变量名不能为空")
    if len(name) > 255:
        raise _Refused("变量名过长")
    if clean_text(name, trim=False) != name:
        raise _Refused("变量名含有控制字符")
    # Case data is the namespace scripts run in; dunder names would shadow its internals.
    if name.startswith("__"):
        raise _Refused("变量名不能以 __ 开头")


def _from_dto(dto: Any) -> Any:
    if not isinstance(dto, Mapping):
        raise _Refused('应为 {"value": …, "type": …} 形式')
    value = dto.get("value")
    type_name = dto.get("type")
    if type_name is None:
        return _untyped(value)
    if not isinstance(type_name, str):
        raise _Refused("type 必须是字符串")
    kind = type_name.lower()
    if kind == "null" or value is None:
        return None
    if kind == "string":
        if isinstance(value, (dict, list)):
            raise _Refused("String 类型的值必须是文本")
        return _clean(value if isinstance(value, str) else _scalar_text(value))
    if kind == "boolean":
        return _boolean(value)
    if kind in _RANGES:
        return _integer(value, kind, type_name)
    if kind == "double":
        return _double(value)
    if kind == "date":
        try:
            moment = parse_camunda_date(value)
        except ValueError:
            raise _Refused("Date 的格式应为 yyyy-MM-dd'T'HH:mm:ss.SSSZ，例如 2024-03-05T09:30:00.000+0800") from None
        return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds" if moment.microsecond else "seconds")
    if kind == "json":
        return _json(value)
    if kind == "object":
        info = dto.get("valueInfo") or {}
        data_format = info.get("serializationDataFormat") if isinstance(info, Mapping) else None
        if data_format == JAVA_SERIALIZED:
            raise _Refused("不接受 Java 序列化对象（application/x-java-serialized-object），请以 application/json 提交")
        if data_format != JSON_FORMAT:
            raise _Refused("Object 类型须声明 valueInfo.serializationDataFormat 为 application/json")
        return _json(value)
    raise _Refused(f"不支持的变量类型 {type_name}（支持 String、Boolean、Short、Integer、Long、Double、Date、Json、Object、Null）")


def _untyped(value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return _integer(value, "long", "Long")
    if isinstance(value, float):
        return _double(value)
    if isinstance(value, str):
        return _clean(value)
    if isinstance(value, (dict, list)):
        return _json(value)
    raise _Refused("无法识别的值")


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise _Refused("Boolean 的值必须是 true 或 false")


def _integer(value: Any, kind: str, type_name: str) -> int:
    number: Any = value
    if isinstance(value, str) and re.fullmatch(r"[+-]?[0-9]{1,20}", value.strip(), re.ASCII):
        number = int(value.strip())
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    if isinstance(number, bool) or not isinstance(number, int):
        raise _Refused(f"{type_name} 的值必须是整数")
    bits = _RANGES[kind]
    if not -(2 ** (bits - 1)) <= number < 2 ** (bits - 1):
        raise _Refused(f"{number} 超出 {type_name} 的范围")
    return number


def _double(value: Any) -> float:
    number: Any = value
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise _Refused("Double 的值必须是数字") from None
    if isinstance(number, bool) or not isinstance(number, (int, float)):
        raise _Refused("Double 的值必须是数字")
    number = float(number)
    if not math.isfinite(number):
        raise _Refused("Double 的值必须是有限数字（不接受 NaN 或 Infinity）")
    return number


def _json(value: Any) -> Any:
    if isinstance(value, str):
        if len(value) > MAX_JSON_LENGTH:
            raise _Refused(f"JSON 内容过长（上限 {MAX_JSON_LENGTH} 个字符）")
        try:
            value = json.loads(value, parse_constant=_refuse_constant)
        except (ValueError, RecursionError):
            raise _Refused("不是有效的 JSON") from None
    return _clean_json(value, 0)


def _refuse_constant(constant: str) -> Any:
    raise ValueError(constant)


def _clean_json(value: Any, depth: int) -> Any:
    if depth > MAX_JSON_DEPTH:
        raise _Refused(f"JSON 嵌套过深（上限 {MAX_JSON_DEPTH} 层）")
    if isinstance(value, str):
        return _clean(value)
    if isinstance(value, float) and not math.isfinite(value):
        raise _Refused("JSON 中不接受 NaN 或 Infinity")
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, list):
        return [_clean_json(item, depth + 1) for item in value]
    if isinstance(value, Mapping):
        return {_clean(str(key)): _clean_json(item, depth + 1) for key, item in value.items()}
    raise _Refused("JSON 中含有无法识别的值")


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    raise _Refused("String 类型的值必须是文本")


def _clean(text: str) -> str:
    # REST values are not trimmed (a client's whitespace may be meaningful), only cleaned.
    try:
        return clean_text(text, trim=False)
    except TextTooLong:
        raise _Refused(too_long_message()) from None


def _summary(errors: dict[str, str]) -> str:
    if len(errors) == 1:
        name, message = next(iter(errors.items()))
        return f"变量 {name} 无效：{message}"
    return f"{len(errors)} 个变量无效：" + "、".join(errors)
