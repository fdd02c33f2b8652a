"""Workflow state in and out of the database, without re-parsing or re-storing specs.

A definition version's spec (with the specs of the processes it calls) is serialized
once at deploy time and cached in memory per version.  A case stores only its task
tree and data; on load the cached spec objects are attached again.  Live workflow
objects are also cached per case together with the case row's version, so a command
on a case that this process saved last skips deserialization entirely.
"""
from __future__ import annotations

import json
import zlib
import threading
from collections import OrderedDict
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.serializer.helpers.registry import DefaultRegistry
from SpiffWorkflow.bpmn.serializer.migration.version_migration import MIGRATIONS
from SpiffWorkflow.bpmn.serializer.workflow import VERSION as SPIFF_SERIALIZER_VERSION
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.config import DEFAULT_CONFIG
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition as BpmnMessageEventDefinition
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG

from engine.dmn import SERIALIZER_CONFIG

# Our own envelope version: bump it when the stored shape changes and add a migration
# below; Spiff's own version travels inside and its migrations still apply.
STATE_FORMAT = f"x2/{SPIFF_SERIALIZER_VERSION}"  # x2: zlib-compressed JSON; x1 (plain JSON text) still loads


class CaseWorkflowConverter(BpmnWorkflowConverter):
    """Workflow converter that leaves the specs out; they live with the definition."""

    def to_dict(self, workflow):
        dct = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct, spec=None, subprocess_specs=None):
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def make_serializer() -> BpmnWorkflowSerializer:
    """A serializer that knows Camunda specs and our extensions."""
    config = dict(CAMUNDA_CONFIG)
    config.update(SERIALIZER_CONFIG)
    registry = BpmnWorkflowSerializer.configure(config, DefaultRegistry())
    # Camunda's config drops the plain BPMN message definition (receive tasks and
    # message events parsed without Camunda extensions use it); both classes are
    # named MessageEventDefinition, so the plain one gets its own type name.
    DEFAULT_CONFIG[BpmnMessageEventDefinition](BpmnMessageEventDefinition, registry,
                                               typename="BpmnMessageEventDefinition")
    return BpmnWorkflowSerializer(registry)


class StateStore:
    """Turns workflows into stored text and back, caching specs and live workflows."""

    # A live petition workflow holds a few hundred KB of Python objects; 256 of them keep
    # the cases people are working on warm and a web worker within its memory budget.
    def __init__(self, live_cache_size: int = 256):
        self.serializer = make_serializer()
        self.registry = self.serializer.registry
        self._case_converter = CaseWorkflowConverter(BpmnWorkflow, self.registry)
        self._specs: dict[str, tuple] = {}
        self._live: OrderedDict[str, tuple[int, BpmnWorkflow]] = OrderedDict()
        self._live_cap = live_cache_size
        self._lock = threading.Lock()

    # -- specs ---------------------------------------------------------------
    def dump_spec(self, spec, subprocess_specs: dict) -> str:
        """Serialize a process spec and the specs of what it calls."""
        return json.dumps(
            {
                "spec": self.registry.convert(spec),
                "subprocess_specs": {k: self.registry.convert(v) for k, v in subprocess_specs.items()},
            },
            ensure_ascii=False,
        )

    def specs_for(self, definition_id: str, spec_json: str) -> tuple:
        """The (spec, subprocess_specs) of a definition version, restored once."""
        cached = self._specs.get(definition_id)
        if cached is None:
            dct = json.loads(spec_json)
            spec = self.registry.restore(dct["spec"])
            subs = {k: self.registry.restore(v) for k, v in dct["subprocess_specs"].items()}
            cached = (spec, subs)
            self._specs[definition_id] = cached
        return cached

    def cached_specs(self, definition_id: str) -> tuple | None:
        """The (spec, subprocess_specs) of a version if already in memory."""
        return self._specs.get(definition_id)

    def dump_state(self, workflow: BpmnWorkflow) -> bytes:
        """Serialize a workflow's tasks and data (not its spec), compressed."""
        self.registry._encoder_mode = True
        try:
            dct = self._case_converter.to_dict(workflow)
            dct[BpmnWorkflowSerializer.VERSION_KEY] = SPIFF_SERIALIZER_VERSION
            text = json.dumps(dct, cls=self.serializer._encoder_cls, ensure_ascii=False, separators=(",", ":"))
        finally:
            self.registry._encoder_mode = False
        # A petition's state is 30-100 KB of JSON; level 1 shrinks it about sixfold for
        # a fraction of a millisecond, so each step writes a page or two, not a dozen.
        return zlib.compress(text.encode("utf-8"), 1)

    def load_state(self, stored: bytes | str, spec, subprocess_specs) -> BpmnWorkflow:
        """Restore a workflow from stored state (compressed, or plain JSON of format x1) and its specs."""
        if isinstance(stored, (bytes, bytearray, memoryview)):
            text = zlib.decompress(stored).decode("utf-8")
        else:
            text = stored
        dct = json.loads(text, cls=self.serializer.json_decoder_cls)
        version = dct.pop(BpmnWorkflowSerializer.VERSION_KEY, SPIFF_SERIALIZER_VERSION)
        if version != SPIFF_SERIALIZER_VERSION and version in MIGRATIONS:
            # Spiff's migrations expect a full serialization with specs attached.
            dct["spec"] = self.registry.convert(spec)
            dct["subprocess_specs"] = {k: self.registry.convert(v) for k, v in subprocess_specs.items()}
            MIGRATIONS[version](dct)
            dct.pop("spec")
            dct.pop("subprocess_specs")
        return self._case_converter.from_dict(dct, spec=spec, subprocess_specs=subprocess_specs)

    # -- live cache ----------------------------------------------------------
    def cached_workflow(self, case_id: str, version: int) -> BpmnWorkflow | None:
        """The live workflow of a case if it matches the stored version, else None."""
        with self._lock:
            hit = self._live.pop(case_id, None)
        if hit is None or hit[0] != version:
            return None
        return hit[1]

    def keep_workflow(self, case_id: str, version: int, workflow: BpmnWorkflow) -> None:
        """Keep a just-saved workflow for the next command on the same case."""
        with self._lock:
            self._live[case_id] = (version, workflow)
            self._live.move_to_end(case_id)
            while len(self._live) > self._live_cap:
                self._live.popitem(last=False)

    def forget(self, case_id: str | None = None) -> None:
        """Drop one case (or all) from the live cache: next access reloads from the DB."""
        with self._lock:
            if case_id is None:
                self._live.clear()
            else:
                self._live.pop(case_id, None)
