"""Errors the engine raises; the web layers map them to status codes."""
from __future__ import annotations

from dataclasses import dataclass, field


class EngineError(Exception):
    """Base of every error the engine reports to a caller."""

    status = 500

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotFound(EngineError):
    """The id is unknown, or belongs to something the caller may not see."""

    status = 404


class Conflict(EngineError):
    """The object changed underneath the caller (already completed, claimed, stale)."""

    status = 409


class Forbidden(EngineError):
    """The caller is known but lacks the role for this action."""

    status = 403


class InvalidInput(EngineError):
    """Values the caller sent do not fit; ``errors`` maps field id -> message."""

    status = 400

    def __init__(self, message: str, errors: dict[str, str] | None = None):
        super().__init__(message)
        self.errors = errors or {}


@dataclass
class Problem:
    """One thing wrong with a deployed resource, located as precisely as possible."""

    file: str
    message: str
    line: int | None = None
    column: int | None = None
    element_id: str | None = None
    hint: str | None = None
    severity: str = "error"

    def __str__(self) -> str:
        where = self.file
        if self.line:
            where += f":{self.line}"
        if self.element_id:
            where += f" [{self.element_id}]"
        text = f"{where}: {self.message}"
        if self.hint:
            text += f" — {self.hint}"
        return text


@dataclass
class DeployError(EngineError):
    """A deployment was refused; nothing of it was stored."""

    problems: list[Problem] = field(default_factory=list)
    status = 400

    def __post_init__(self):
        summary = "; ".join(str(p) for p in self.problems[:5]) or "deployment refused"
        if len(self.problems) > 5:
            summary += f" (+{len(self.problems) - 5} more)"
        EngineError.__init__(self, summary)


class ScriptError(EngineError):
    """A script or expression was refused by the sandbox or failed while running."""

    status = 422
