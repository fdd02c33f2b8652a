"""What validate_resources hands the deploy layer."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.errors import Problem


@dataclass(frozen=True)
class CallReference:
    """A call activity whose calledElement is not a process of this deployment."""

    file: str
    line: int | None
    element_id: str
    process_id: str
    called_element: str

    def problem(self) -> Problem:
        """The error to report when the deploy layer cannot resolve it either."""
        return Problem(
            file=self.file, line=self.line, element_id=self.element_id,
            message=f"call activity calls process '{self.called_element}', which is neither "
                    "in this deployment nor deployed before",
            hint="deploy the called process first (or together with this file), or correct "
                 "'Called element' to the id of an existing process",
        )


@dataclass
class ProcessSummary:
    """One top-level ``bpmn:process`` of a deployment."""

    id: str
    name: str | None
    file: str
    line: int | None
    executable: bool
    version_tag: str | None = None
    startable_in_tasklist: bool = True
    called_elements: list[str] = field(default_factory=list)
    decision_refs: list[str] = field(default_factory=list)


@dataclass
class DecisionSummary:
    """One ``dmn:decision`` of a deployment."""

    id: str
    name: str | None
    file: str
    line: int | None
    hit_policy: str | None = None


@dataclass
class ValidationResult:
    """Everything the deploy layer needs from a validated deployment.

    ``problems``         ordered by file (as given) and line, each distinct problem once;
                         empty means the deployment may be stored.  Severity "error"
                         blocks; "warning" only ever accompanies errors (it explains them).
    ``processes``        every top-level process of every BPMN resource, executable or
                         not; ``executable=False`` ones are diagrams that cannot be started.
    ``decisions``        every DMN decision.
    ``unresolved_calls`` calledElements no process of this deployment defines.  Unless
                         their key was passed in ``known_process_keys`` they are also in
                         ``problems`` (``CallReference.problem()``).
    ``parser``           the parser given, with every healthy resource added to it (so
                         ``parser.get_spec(id)`` / ``get_subprocess_specs(id)`` work for
                         every executable process when ``ok``).
    ``specs``            process id -> built ``BpmnProcessSpec`` of each executable
                         top-level process that built;
    ``subprocess_specs`` process id -> {id: spec} of its embedded sub-processes and of the
                         processes it calls within this deployment (transitively), as
                         ``parser.get_subprocess_specs`` returns them.
    ``ignored``          resource names that are neither BPMN nor DMN (e.g. ``.form``).
    """

    problems: list[Problem] = field(default_factory=list)
    processes: list[ProcessSummary] = field(default_factory=list)
    decisions: list[DecisionSummary] = field(default_factory=list)
    unresolved_calls: list[CallReference] = field(default_factory=list)
    parser: Any = None
    specs: dict[str, Any] = field(default_factory=dict)
    subprocess_specs: dict[str, dict[str, Any]] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing blocks the deployment."""
        return not any(p.severity == "error" for p in self.problems)

    @property
    def diagram_only(self) -> list[ProcessSummary]:
        """Processes marked isExecutable="false": stored for viewing, never started."""
        return [p for p in self.processes if not p.executable]
