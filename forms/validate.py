"""Server-side validation and type conversion of a submitted form.

Rules, in the order they apply to each field of the form (and only to those: keys that
are not fields of the form are dropped, never written into case data):

* **readonly** — the submitted value is ignored; the field keeps its value in
  ``existing`` (or, when it has none, gets its default, as Camunda does).
* **absent** (the key was not submitted at all, as from a REST client sending a subset)
  — a boolean is ``False`` (an unchecked HTML checkbox sends nothing) unless
  ``absent_checkbox_is_false=False``; any other field keeps its existing value,
  else gets its default, else is missing (an error if required).
* **present** — strings are cleaned (control characters other than newline and tab
  removed, line ends normalised, trimmed, capped at ``MAX_TEXT_LENGTH``) and converted:
  ``string`` → ``str`` (empty: ``""``), ``long`` → ``int``, ``boolean`` → ``bool``
  (empty: ``False``), ``date`` → ISO ``"YYYY-MM-DD"`` string (JSON-serialisable, sorts
  correctly, what ``<input type="date">`` sends), ``enum`` → the option id; empty
  long, date and enum values are ``None``.  A list (a multi-valued HTML key) must hold
  one value, except for a boolean, which is true when any value is (the hidden
  "false" + checkbox idiom).
* **constraints** — required (a required boolean must be checked), minlength,
  maxlength, min, max.  Custom Camunda ``validator``s are not run (see ``FormNote``).

Defaults that are ``${…}`` expressions are evaluated by the ``evaluate`` callback the
engine passes in (it receives the whole attribute text); without one they are skipped.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from engine.errors import InvalidInput
from forms.convert import ConversionError, to_boolean, to_date, to_enum, to_long, to_string
from forms.model import Field, Form, convert_literal
from forms.text import TextTooLong, clean_text, too_long_message

Evaluate = Callable[[str], Any]

REQUIRED = "此项为必填项"
NOT_ON_FORM = "该任务的表单没有此项，办理时不能写入"
READ_ONLY = "此项为只读，不能修改"
PROTECTED = "此项为受保护的案件信息，不能修改"
MUST_CHECK = "请勾选此项"
ONE_VALUE = "只能填写一个值"

_ABSENT = object()


class _Invalid(Exception):
    """A field-level failure whose text goes into ``errors``."""


def validate(
    form: Form,
    raw_values: Mapping[str, Any],
    existing: Mapping[str, Any] | None = None,
    *,
    evaluate: Evaluate | None = None,
    absent_checkbox_is_false: bool = True,
) -> tuple[dict[str, Any], dict[str, str]]:
    """Check and convert a submission; return ``(values, errors)`` keyed by field id.

    ``values`` holds only the form's fields and is meant to be merged into case data
    when ``errors`` is empty; ``errors`` maps field id to a Chinese message.
    """
    existing = existing or {}
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for f in form.fields:
        try:
            outcome = _field_value(f, raw_values, existing, evaluate, absent_checkbox_is_false)
        except _Invalid as failure:
            errors[f.id] = str(failure)
            continue
        if outcome is not _ABSENT:
            values[f.id] = outcome
    return values, errors


def validate_or_raise(
    form: Form,
    raw_values: Mapping[str, Any],
    existing: Mapping[str, Any] | None = None,
    **options: Any,
) -> dict[str, Any]:
    """``validate``, raising ``engine.errors.InvalidInput`` when any field fails."""
    values, errors = validate(form, raw_values, existing, **options)
    if errors:
        raise InvalidInput(f"表单填写有误，{len(errors)} 项需要修改", errors)
    return values


def refused_keys(
    form: Form,
    raw_values: Mapping[str, Any],
    existing: Mapping[str, Any] | None = None,
    *,
    protected: frozenset[str] = frozenset(),
) -> dict[str, str]:
    """What ``validate`` would silently drop, as errors for a client that must be told.

    A browser's form only posts its own fields, so the UI may ignore anything else; a
    REST client sending a key the form does not have (or a new value for a read-only
    field, or for a ``protected`` case variable) is refused per key instead.  A value
    equal to the one the case already holds is not a change and passes.
    """
    existing = existing or {}
    fields = {f.id: f for f in form.fields}
    errors: dict[str, str] = {}
    for key in raw_values:
        f = fields.get(key)
        if f is not None and not f.readonly and key not in protected:
            continue
        submitted = _submitted(raw_values, key)
        if key in existing and _same(f, submitted, existing[key]):
            continue
        if key in protected:
            errors[key] = PROTECTED
        elif f is None:
            errors[key] = NOT_ON_FORM
        else:
            errors[key] = READ_ONLY
    return errors


def _same(f: Field | None, submitted: Any, current: Any) -> bool:
    if submitted == current:
        return True
    if f is None:
        return False
    try:
        return _convert(f, submitted) == current
    except _Invalid:
        return False


def initial_values(
    form: Form, existing: Mapping[str, Any] | None = None, *, evaluate: Evaluate | None = None
) -> dict[str, Any]:
    """The value each field shows when the form opens: the case's value, else the
    default, else None.  A default that cannot be converted shows as None."""
    existing = existing or {}
    shown: dict[str, Any] = {}
    for f in form.fields:
        if existing.get(f.id) is not None:
            shown[f.id] = existing[f.id]
            continue
        try:
            default = _default_value(f, evaluate)
        except _Invalid:
            default = _ABSENT
        shown[f.id] = None if default is _ABSENT else default
    return shown


def _field_value(
    f: Field,
    raw_values: Mapping[str, Any],
    existing: Mapping[str, Any],
    evaluate: Evaluate | None,
    absent_checkbox_is_false: bool,
) -> Any:
    if f.readonly:
        if f.id in existing:
            return existing[f.id]
        return _default_value(f, evaluate)

    submitted = _submitted(raw_values, f.id)
    if submitted is _ABSENT:
        if f.type == "boolean" and absent_checkbox_is_false:
            return _checked_constraints(f, False)
        if existing.get(f.id) is not None:
            return _ABSENT  # nothing submitted, nothing changes
        value = _default_value(f, evaluate)
        if value is _ABSENT:
            if f.required:
                raise _Invalid(MUST_CHECK if f.type == "boolean" else REQUIRED)
            return _ABSENT
        return value
    return _checked_constraints(f, _convert(f, submitted))


def _submitted(raw_values: Mapping[str, Any], key: str) -> Any:
    # Duck-typed MultiDict (werkzeug's request.form) without importing Flask: its
    # __getitem__ answers only the first of several values.
    if key not in raw_values:
        return _ABSENT
    getlist = getattr(raw_values, "getlist", None)
    if callable(getlist):
        many = list(getlist(key))
        return many[0] if len(many) == 1 else many
    return raw_values[key]


def _convert(f: Field, raw: Any) -> Any:
    """One submitted (or default) value converted to the field's type, or _Invalid."""
    if isinstance(raw, (list, tuple)):
        if f.type == "boolean":
            return any(_convert(f, item) for item in raw)
        if len(raw) > 1:
            raise _Invalid(ONE_VALUE)
        raw = raw[0] if raw else None
    if isinstance(raw, str):
        try:
            raw = clean_text(raw)
        except TextTooLong:
            raise _Invalid(too_long_message()) from None
    if raw is None or raw == "":
        return {"string": "", "boolean": False}.get(f.type)
    try:
        if f.type == "long":
            return to_long(raw)
        if f.type == "boolean":
            return to_boolean(raw)
        if f.type == "date":
            return to_date(raw)
        if f.type == "enum":
            return to_enum(raw, f.option_ids)
        return to_string(raw)
    except ConversionError as error:
        raise _Invalid(str(error)) from None


def _checked_constraints(f: Field, value: Any) -> Any:
    if f.required and (value is None or value == "" or (f.type == "boolean" and value is False)):
        raise _Invalid(MUST_CHECK if f.type == "boolean" else REQUIRED)
    if value is None or value == "":
        return value
    if f.type == "string":
        if f.min_length is not None and len(value) < f.min_length:
            raise _Invalid(f"长度不能少于 {f.min_length} 个字符")
        if f.max_length is not None and len(value) > f.max_length:
            raise _Invalid(f"长度不能超过 {f.max_length} 个字符")
    elif f.type == "long":
        if f.min is not None and value < f.min:
            raise _Invalid(f"不能小于 {f.min}")
        if f.max is not None and value > f.max:
            raise _Invalid(f"不能大于 {f.max}")
    elif f.type == "date":
        # ISO dates compare correctly as strings.
        if f.min is not None and value < f.min:
            raise _Invalid(f"不能早于 {f.min}")
        if f.max is not None and value > f.max:
            raise _Invalid(f"不能晚于 {f.max}")
    return value


def _default_value(f: Field, evaluate: Evaluate | None) -> Any:
    """The field's default, converted and checked, or _ABSENT when it has none."""
    if f.default is None:
        return _ABSENT
    if f.default_is_expression:
        if evaluate is None:
            return _ABSENT
        result = evaluate(f.default)
        if result is None:
            return _ABSENT
        try:
            return _checked_constraints(f, _convert(f, result))
        except _Invalid as failure:
            raise _Invalid(f"默认值无效（{failure}），请联系流程设计员") from None
    try:
        return _checked_constraints(f, convert_literal(f, f.default))
    except (ConversionError, _Invalid) as failure:
        raise _Invalid(f"默认值无效（{failure}），请联系流程设计员") from None
