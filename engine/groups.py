"""Candidate groups as a Camunda Modeler user writes them.

In this engine a group is always ``unit:role`` (``xfj:registrar``, ``zjj:handler``): a user of
unit U holding role R is a member of ``U:R`` (engine/accounts.py), and the inbox and REST
task queries match on exactly that. A designer coming from Camunda writes bare names
(``camunda:candidateGroups="registrar"``). The rule for a bare name, applied when a task
becomes ready (so the stored task row and every query only ever see ``unit:role``):

* a **role** (``registrar``, ``handler``, ``head``, ``supervisor``, ``leader`` …) means that
  role *in the unit responsible for the case*;
* a **unit** code (``xfj``, ``zjj``, ``town-chengguan`` …) means that unit's 承办人
  (``<unit>:handler``), the people who work a matter the unit received;
* ``unit:role`` stays as written; a name that is a role and a unit code at once counts as
  the role.

The unit responsible for the case is the task's ``handling_unit`` variable when it names a
unit (the statutory processes set it when a matter is assigned, 交办/转送), else the unit
of the user who started the case. Names that are neither a role nor a unit are refused
at deploy time (engine/validation/bpmn.py calls ``unknown_group``), naming the valid ones;
one computed at run time by an expression fails the step with the same explanation.
"""
from __future__ import annotations

import re
from typing import Callable, Iterable

from engine import orgchart
from engine.errors import ScriptError

RESPONSIBLE_UNIT_VARIABLE = "handling_unit"
UNIT_DEFAULT_ROLE = "handler"
_ROLE_AFTER_EXPRESSION = re.compile(r"^[$#]\{[^{}]*\}:([^:{}$#]+)$")


def _role_codes() -> list[str]:
    return list(orgchart.roles())


def _unit_codes() -> list[str]:
    return [u.code for u in orgchart.units()]


def valid_names() -> str:
    """The names a candidate group may use, for error messages."""
    return f"roles: {', '.join(_role_codes())}; units: {', '.join(_unit_codes())}"


def unknown_group(name: str) -> str | None:
    """Why a literal candidate-group name (bare or ``unit:role``) routes to nobody, or None."""
    name = name.strip()
    match = _ROLE_AFTER_EXPRESSION.match(name)
    if match:  # ${handling_unit}:handler: the unit is known at run time, the role now
        role = match.group(1)
        return None if role in _role_codes() else f"'{role}' in '{name}' is not a role"
    if "${" in name or "#{" in name:
        return None  # evaluated when the task becomes ready
    if ":" in name:
        unit_code, role = orgchart.split_group(name)
        wrong = [f"'{unit_code}' is not a unit"] if unit_code not in _unit_codes() else []
        wrong += [f"'{role}' is not a role"] if role not in _role_codes() else []
        return f"{' and '.join(wrong)} (in '{name}')" if wrong else None
    if name in _role_codes() or name in _unit_codes():
        return None
    return f"'{name}' is neither a role nor a unit"


def split_names(value: str) -> list[str]:
    """The comma-separated names of a candidateGroups attribute (expressions kept whole)."""
    names, depth, current = [], 0, ""
    for ch in value:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth = max(depth - 1, 0)
        if ch == "," and depth == 0:
            names.append(current.strip())
            current = ""
        else:
            current += ch
    names.append(current.strip())
    return [n for n in names if n]


def responsible_unit(data: dict, starter_unit: Callable[[], str | None]) -> str | None:
    """The unit responsible for a case at a task: ``handling_unit``, else the starter's unit."""
    value = data.get(RESPONSIBLE_UNIT_VARIABLE)
    if isinstance(value, str) and value.strip() in _unit_codes():
        return value.strip()
    return starter_unit()


def resolve(names: Iterable[str], unit_of_case: Callable[[], str | None], task_name: str) -> list[str]:
    """Candidate groups as stored: every bare name turned into ``unit:role`` by the rule above."""
    out: list[str] = []
    for raw in names:
        name = str(raw).strip()
        if not name:
            continue
        if ":" in name:
            resolved = name
        elif name in _role_codes():
            unit_code = unit_of_case()
            if unit_code is None:
                raise ScriptError(
                    f"任务“{task_name}”的候选组“{name}”是不带单位的角色，但无法确定案件的责任单位："
                    f"变量 {RESPONSIBLE_UNIT_VARIABLE} 未设置，发起人也不属于任何单位")
            resolved = orgchart.group(unit_code, name)
        elif name in _unit_codes():
            resolved = orgchart.group(name, UNIT_DEFAULT_ROLE)
        else:
            raise ScriptError(f"任务“{task_name}”的候选组“{name}”既不是角色也不是单位（{valid_names()}）")
        if resolved not in out:
            out.append(resolved)
    return out
