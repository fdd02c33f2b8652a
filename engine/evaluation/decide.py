"""The designer-written part of a DMN decision: input expressions, input and output entries.

:func:`match` runs inside the evaluation worker, one request per decision: it evaluates
the input expressions, converts them by ``typeRef``, tests every rule's input entries
and evaluates the matching rules' output entries.  The hit policy, aggregation and
result mapping are engine code and stay in :mod:`engine.dmn`.

A table travels as plain data (``table_data`` in engine.dmn)::

    {"first": bool,                      # hit policy FIRST: stop at the first match
     "inputs": [{"code": [python, internal], "type": typeRef, "what": label, "alias": name}],
     "rules": [{"label": "rule 1 (Rule_1)",
                "tests": [[python, internal] | None, ...],
                "outputs": [[key, [python, internal] | None, typeRef], ...]}]}
"""
from __future__ import annotations

from datetime import date
from typing import Any

from engine import sandbox
from engine.errors import ScriptError

CELL_INPUT = "cellInput"  # Camunda's name for the input value inside DMN input entries


class CellProblem(ScriptError):
    """A value that does not fit its column's typeRef; reported as it is."""


def coerce(value: Any, type_ref: str | None, what: str) -> Any:
    """Camunda's type transformation of input and output values by typeRef."""
    kind = (type_ref or "").strip().lower()
    if value is None or isinstance(value, bool) and kind != "string":
        return value
    try:
        if kind in ("integer", "long") and isinstance(value, (str, float)):
            number = float(value) if isinstance(value, str) and "." in value else value
            if isinstance(number, float) and not number.is_integer():
                raise ValueError(value)
            return int(number)
        if kind == "double" and isinstance(value, (int, str)):
            return float(value)
        if kind == "boolean" and isinstance(value, str):
            if value.strip().lower() not in ("true", "false"):
                raise ValueError(value)
            return value.strip().lower() == "true"
        if kind in ("date", "datetime", "date and time") and isinstance(value, (str, date)):
            return sandbox.to_datetime(value)
        if kind == "string" and isinstance(value, (int, float)):
            return str(value).lower() if isinstance(value, bool) else str(value)
    except (ValueError, OverflowError, ScriptError):
        raise CellProblem(f"{what}: cannot read {value!r} as {type_ref}") from None
    return value


def _compiled(cell) -> sandbox.Compiled:
    python, internal = cell
    return sandbox.compile_source(python, "eval", internal)


def _matches(box: sandbox.Sandbox, ns: dict, tests, values, aliases) -> bool:
    for test, value, alias in zip(tests, values, aliases):
        if test is None:
            continue
        ns[CELL_INPUT] = value
        if alias:
            ns[alias] = value
        try:
            if not box.run(_compiled(test), ns):
                return False
        except ScriptError as exc:
            if isinstance(exc.__cause__, TypeError):
                return False  # FEEL: comparing null or mixed types is not a match
            raise
    return True


def match(table: dict, data: dict, box: sandbox.Sandbox) -> list[list]:
    """``[rule index, outputs]`` of every matching rule (only the first for FIRST)."""
    ns = box.namespace(data)
    values = []
    for column in table["inputs"]:
        try:
            value = box.run(_compiled(column["code"]), ns)
        except CellProblem:
            raise
        except ScriptError as exc:
            raise type(exc)(f"{column['what']}: {exc.message}") from exc
        values.append(coerce(value, column["type"], column["what"]))
    aliases = [column["alias"] for column in table["inputs"]]
    matched = []
    for index, rule in enumerate(table["rules"]):
        try:
            if not _matches(box, ns, rule["tests"], values, aliases):
                continue
            result = {}
            for key, cell, type_ref in rule["outputs"]:
                value = box.run(_compiled(cell), ns) if cell is not None else None
                result[key] = coerce(value, type_ref, f"output '{key}'")
        except CellProblem:
            raise
        except ScriptError as exc:
            raise type(exc)(f"{rule['label']}: {exc.message}") from exc
        matched.append([index, result])
        if table["first"]:
            break
    return matched
