"""The form model built from SpiffWorkflow's parsed ``camunda:formData``.

``Form.from_spiff(task_spec.form)`` reads Spiff's ``Form`` / ``FormField`` /
``EnumFormField`` objects (never the XML) into plain dataclasses the UI renders and
``forms.validate`` checks submissions against.  Anything in the definition this engine
cannot honour is recorded as a ``FormNote``: severity ``"error"`` for a definition that
is wrong (deployment validation should refuse it), ``"warning"`` for something accepted
but handled differently than Camunda would (a custom type shown as text, a Java
validator that is not run).  Building a form never raises.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from dataclasses import field as dc_field
from typing import Any

from forms.convert import ConversionError, to_boolean, to_date, to_long
from forms.text import MAX_TEXT_LENGTH

TYPES = ("string", "long", "boolean", "date", "enum")

# Camunda's built-in constraint names, plus ``validator`` (a custom Java class or
# expression).  Camunda refuses a deployment naming any other constraint.
CONSTRAINTS = ("required", "readonly", "minlength", "maxlength", "min", "max", "validator")

# Strings allowed to be longer than this get a multi-line text box.
TEXTAREA_OVER = 200

WIDGETS = {"string": "text", "long": "number", "boolean": "checkbox", "date": "date", "enum": "select"}


@dataclass(frozen=True)
class Option:
    """One choice of an enum field: ``id`` is stored, ``name`` is shown."""

    id: str
    name: str


@dataclass(frozen=True)
class FormNote:
    """Something about a form definition this engine handles specially or refuses."""

    field_id: str | None
    message: str
    severity: str = "warning"  # "error" | "warning", as engine.errors.Problem


@dataclass
class Field:
    """One form field, its constraints and a widget hint for the UI."""

    id: str
    label: str
    type: str  # one of TYPES; custom types are "string"
    declared_type: str | None = None  # as written in the BPMN, e.g. "custom:phone"
    default: str | None = None  # raw defaultValue; may be a ${...} expression
    options: list[Option] = dc_field(default_factory=list)
    properties: dict[str, str | None] = dc_field(default_factory=dict)
    required: bool = False
    readonly: bool = False
    min_length: int | None = None
    max_length: int | None = None
    min: int | str | None = None  # int for long, ISO date string for date
    max: int | str | None = None
    validators: list[str] = dc_field(default_factory=list)  # custom Camunda validators, not run
    widget: str = "text"  # text | textarea | number | checkbox | date | select

    @property
    def default_is_expression(self) -> bool:
        """Whether the default is an expression the engine must evaluate."""
        return is_expression(self.default)

    @property
    def option_ids(self) -> list[str]:
        """The ids of the enum options, in order."""
        return [option.id for option in self.options]

    def literal_default(self) -> Any:
        """The default converted to the field's type, or None (absent, an expression,
        or not convertible — the last is reported when the form is built)."""
        if self.default is None or self.default_is_expression:
            return None
        try:
            return convert_literal(self, self.default)
        except ConversionError:
            return None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able description of the field."""
        data = asdict(self)
        data["default_is_expression"] = self.default_is_expression
        return data


@dataclass
class Form:
    """A user task's form: its key and fields, in the order the designer gave them."""

    key: str | None = None
    fields: list[Field] = dc_field(default_factory=list)
    notes: list[FormNote] = dc_field(default_factory=list)

    @classmethod
    def from_spiff(cls, spiff_form: Any) -> Form:
        """Build the model from Spiff's parsed ``camunda.specs.user_task.Form``."""
        form = cls(key=getattr(spiff_form, "key", None) or None)
        for spiff_field in getattr(spiff_form, "fields", None) or []:
            built = _build_field(spiff_field, form.notes)
            if built is None:
                continue
            if form.field(built.id) is not None:
                form.notes.append(FormNote(built.id, f"字段 id “{built.id}” 重复，后一个已忽略", "error"))
                continue
            form.fields.append(built)
        return form

    def field(self, field_id: str) -> Field | None:
        """The field with this id, or None."""
        for candidate in self.fields:
            if candidate.id == field_id:
                return candidate
        return None

    @property
    def problems(self) -> list[FormNote]:
        """Notes of severity "error": the definition is wrong."""
        return [note for note in self.notes if note.severity == "error"]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able description of the form."""
        return {
            "key": self.key,
            "fields": [f.to_dict() for f in self.fields],
            "notes": [asdict(note) for note in self.notes],
        }


def is_expression(text: Any) -> bool:
    """Whether a Camunda attribute value is an expression (``${…}`` or ``#{…}``)."""
    return isinstance(text, str) and ("${" in text or "#{" in text)


def convert_literal(f: Field, text: str) -> Any:
    """Convert a literal written in the BPMN (a default) to the field's type."""
    if f.type == "long":
        return to_long(text)
    if f.type == "boolean":
        return to_boolean(text)
    if f.type == "date":
        return to_date(text)
    if f.type == "enum" and text not in f.option_ids:
        raise ConversionError("不是该字段的选项")
    return text


def _build_field(spiff_field: Any, notes: list[FormNote]) -> Field | None:
    field_id = getattr(spiff_field, "id", None)
    if not field_id:
        notes.append(FormNote(None, "表单字段缺少 id，已忽略", "error"))
        return None
    # Field ids become case variables that expressions and scripts refer to by name.
    if not field_id.isidentifier() or field_id.startswith("__"):
        notes.append(FormNote(field_id, f"字段 id “{field_id}” 不能用作变量名（须为标识符，且不以 __ 开头）", "error"))

    declared = getattr(spiff_field, "type", None)
    kind = declared if declared in TYPES else "string"
    if declared is None:
        notes.append(FormNote(field_id, "未声明类型，按文本（string）处理"))
    elif declared not in TYPES:
        notes.append(FormNote(field_id, f"自定义类型 “{declared}” 按文本（string）处理，不做该类型的专门校验"))

    f = Field(
        id=field_id,
        label=getattr(spiff_field, "label", None) or field_id,
        type=kind,
        declared_type=declared,
        default=getattr(spiff_field, "default_value", None),
        properties={p.id: p.value for p in getattr(spiff_field, "properties", []) if p.id},
    )
    if f.default == "":
        f.default = None
    if kind == "enum":
        _read_options(f, getattr(spiff_field, "options", []), notes)
    for validation in getattr(spiff_field, "validation", []):
        _read_constraint(f, validation.name, validation.config, notes)
    _check_consistency(f, notes)
    f.widget = _widget_for(f)
    return f


def _read_options(f: Field, spiff_options: list[Any], notes: list[FormNote]) -> None:
    for spiff_option in spiff_options:
        option_id = getattr(spiff_option, "id", None)
        if not option_id:
            notes.append(FormNote(f.id, "选项缺少 id，已忽略", "error"))
        elif option_id in f.option_ids:
            notes.append(FormNote(f.id, f"选项 id “{option_id}” 重复", "error"))
        else:
            f.options.append(Option(option_id, getattr(spiff_option, "name", None) or option_id))
    if not f.options:
        notes.append(FormNote(f.id, "枚举字段没有任何选项", "error"))


def _read_constraint(f: Field, name: str | None, config: str | None, notes: list[FormNote]) -> None:
    if name == "required":
        f.required = True
    elif name == "readonly":
        f.readonly = True
    elif name in ("minlength", "maxlength"):
        if f.type != "string":
            notes.append(FormNote(f.id, f"{name} 只适用于文本字段，已忽略"))
            return
        try:
            length = int(config or "")
        except ValueError:
            length = -1
        if length < 0:
            notes.append(FormNote(f.id, f"{name} 的配置 “{config}” 不是非负整数", "error"))
        elif name == "minlength":
            f.min_length = length
        else:
            f.max_length = length
    elif name in ("min", "max"):
        if f.type not in ("long", "date"):
            notes.append(FormNote(f.id, f"{name} 只适用于整数（long）和日期（date）字段", "error"))
            return
        try:
            bound = to_long(config) if f.type == "long" else to_date(config)
        except ConversionError:
            notes.append(FormNote(f.id, f"{name} 的配置 “{config}” 无法识别", "error"))
            return
        setattr(f, name, bound)
    elif name == "validator":
        f.validators.append(config or "")
        notes.append(FormNote(f.id, f"自定义校验器 “{config}” 不会执行（本引擎不运行 Java 类或校验表达式）"))
    else:
        notes.append(FormNote(f.id, f"未知的校验约束 “{name}”", "error"))


def _check_consistency(f: Field, notes: list[FormNote]) -> None:
    if f.max_length is not None and f.max_length > MAX_TEXT_LENGTH:
        notes.append(FormNote(f.id, f"maxlength {f.max_length} 超过全局上限，按 {MAX_TEXT_LENGTH} 处理"))
        f.max_length = MAX_TEXT_LENGTH
    if f.min_length is not None and f.max_length is not None and f.min_length > f.max_length:
        notes.append(FormNote(f.id, "minlength 大于 maxlength，此项永远无法填写", "error"))
    if f.min is not None and f.max is not None and f.min > f.max:  # type: ignore[operator]
        notes.append(FormNote(f.id, "min 大于 max，此项永远无法填写", "error"))
    if f.default is not None and not f.default_is_expression:
        try:
            convert_literal(f, f.default)
        except ConversionError as error:
            notes.append(FormNote(f.id, f"默认值 “{f.default}” 无效：{error}", "error"))


def _widget_for(f: Field) -> str:
    if f.type == "string":
        wants_textarea = "textarea" in f.properties and (
            f.properties["textarea"] or "true"
        ).strip().lower() not in ("false", "0", "no", "off")
        if wants_textarea or (f.max_length is not None and f.max_length > TEXTAREA_OVER):
            return "textarea"
    return WIDGETS[f.type]
