"""SpiffWorkflow's Camunda parser, extended to keep what Camunda Modeler users rely on.

Raw SpiffWorkflow drops ``camunda:assignee``, ``candidateUsers``, ``candidateGroups``,
``dueDate``, ``followUpDate`` and ``priority`` of user tasks, and ignores
``camunda:formData`` unless a ``formKey`` is present.  We keep them in the task spec's
``extensions`` (which Spiff's serializer already stores), so no new spec class or
serializer converter is needed.  Likewise ``camunda:initiator`` of a start event (the
variable that receives the id of the user who starts the case, as in Camunda).
"""
from __future__ import annotations

from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag
from SpiffWorkflow.bpmn.specs.defaults import StartEvent
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.parser.event_parsers import CamundaStartEventParser
from SpiffWorkflow.camunda.parser.task_spec import UserTaskParser
from SpiffWorkflow.camunda.specs.user_task import Form, FormField, UserTask

from engine.dmn import PARSER_OVERRIDES, CamundaDmnParserMixin

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
USER_TASK_ATTRIBUTES = (
    "assignee",
    "candidateUsers",
    "candidateGroups",
    "dueDate",
    "followUpDate",
    "priority",
    "formKey",
)
EXTENSION_KEY = "camunda"


class CamundaUserTaskParser(UserTaskParser):
    """User task parser that keeps assignment, scheduling and form attributes."""

    def parse_extensions(self, node=None):
        extensions = super().parse_extensions(node)
        attrs = {}
        for name in USER_TASK_ATTRIBUTES:
            value = self.node.get(f"{{{CAMUNDA_NS}}}{name}")
            if value is not None and value.strip():
                attrs[name] = value.strip()
        extensions[EXTENSION_KEY] = attrs
        return extensions

    def get_form(self):
        # Camunda renders formData whether or not a formKey is set; so do we.
        form = Form()
        form.key = self.attribute("formKey", "camunda") or ""
        for xml_field in self.xpath(".//camunda:formData/camunda:formField"):
            field = self.get_enum_field(xml_field) if xml_field.get("type") == "enum" else FormField()
            field.id = xml_field.get("id")
            field.type = xml_field.get("type") or "string"
            field.label = xml_field.get("label")
            field.default_value = xml_field.get("defaultValue")
            for prop in xml_field.xpath("./camunda:properties/camunda:property", namespaces=self.nsmap):
                field.add_property(prop.get("id"), prop.get("value"))
            for rule in xml_field.xpath("./camunda:validation/camunda:constraint", namespaces=self.nsmap):
                field.add_validation(rule.get("name"), rule.get("config"))
            form.add_field(field)
        return form


class InitiatorStartEventParser(CamundaStartEventParser):
    """Start event parser that keeps ``camunda:initiator``."""

    def parse_extensions(self, node=None):
        extensions = super().parse_extensions(node)
        initiator = (self.node.get(f"{{{CAMUNDA_NS}}}initiator") or "").strip()
        if initiator:
            extensions[EXTENSION_KEY] = {"initiator": initiator}
        return extensions


class XinfangParser(CamundaDmnParserMixin, CamundaParser):
    """The parser every deployment goes through (DMN as Camunda Modeler writes it)."""

    OVERRIDE_PARSER_CLASSES = {
        **CamundaParser.OVERRIDE_PARSER_CLASSES,
        full_tag("userTask"): (CamundaUserTaskParser, UserTask),
        full_tag("startEvent"): (InitiatorStartEventParser, StartEvent),
        **PARSER_OVERRIDES,
    }


def user_task_attributes(task_spec) -> dict[str, str]:
    """The Camunda attributes kept for a user task spec (empty for other specs)."""
    ext = getattr(task_spec, "extensions", None) or {}
    return dict(ext.get(EXTENSION_KEY) or {})


def initiator_variables(spec) -> list[str]:
    """The variables the start events of a process spec name in ``camunda:initiator``."""
    names = []
    for task_spec in spec.task_specs.values():
        name = (getattr(task_spec, "extensions", None) or {}).get(EXTENSION_KEY, {}).get("initiator")
        if name and isinstance(task_spec, StartEvent) and name not in names:
            names.append(name)
    return names
