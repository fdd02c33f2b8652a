"""The product's settings: one object, read once from the environment (and the CLI).

``Settings.from_env()`` is the only place that reads ``os.environ``; the CLI and the web
app build one ``Settings`` at start and hand it down (``build_engine(settings)``,
``create_app(settings=…)``).  Nothing else looks at the environment.

| variable | field | default |
|---|---|---|
| ``DATABASE_URL`` | ``database_url`` | SQLite file ``<data_dir>/xinfang.sqlite3`` |
| ``XINFANG_DATA_DIR`` | ``data_dir`` | ``./data`` |
| ``XINFANG_SECRET_KEY`` | ``secret_key`` | a random key kept in ``<data_dir>/secret_key`` |
| ``XINFANG_SESSION_COOKIE_SECURE`` | ``session_cookie_secure`` | false |
| ``XINFANG_ATTACHMENT_DIR`` | ``attachment_dir`` | beside the SQLite file, else ``<data_dir>/attachments`` |
| ``XINFANG_HOLIDAY_FILE`` | ``holiday_file`` | none: the shipped ``engine/holidays.json`` |
| ``XINFANG_DEADLINE_RULES`` | ``deadline_rules_file`` | none (the built-in period rules) |
| ``XINFANG_ORGCHART_FILE`` | ``orgchart_file`` | none: the demo county ``engine/data/orgcharts/demo-county.csv`` |
| ``XINFANG_EVAL_TIMEOUT`` | ``evaluation_timeout`` | 2.0 wall-clock seconds per evaluation request |
| ``XINFANG_EVAL_CPU_SECONDS`` | ``evaluation_cpu_seconds`` | 2 CPU seconds per request (RLIMIT_CPU) |
| ``XINFANG_EVAL_MEMORY_MB`` | ``evaluation_memory_mb`` | 256 MB address space per worker (RLIMIT_AS) |
| ``XINFANG_EVAL_WORKERS`` | ``evaluation_workers`` | 2 evaluation worker processes at most |

The four ``XINFANG_EVAL_*`` limits bound designer code (docs/architecture.md, "Isolation
of designer code").
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path

_TRUE = {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """Everything an operator can configure; immutable once read."""

    database_url: str = ""
    data_dir: Path = Path("data")
    secret_key: str | None = None
    session_cookie_secure: bool = False
    attachment_dir: Path | None = None
    holiday_file: Path | None = None
    deadline_rules_file: Path | None = None
    orgchart_file: Path | None = None
    evaluation_timeout: float = 2.0
    evaluation_cpu_seconds: int = 2
    evaluation_memory_mb: int = 256
    evaluation_workers: int = 2

    def __post_init__(self) -> None:
        if not self.database_url:
            object.__setattr__(self, "database_url", f"sqlite:///{Path(self.data_dir).resolve() / 'xinfang.sqlite3'}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides) -> Settings:
        """Settings from ``environ`` (default: the process environment), then ``overrides``."""
        env = os.environ if environ is None else environ

        def path(name: str) -> Path | None:
            value = env.get(name, "").strip()
            return Path(value) if value else None

        values = {
            "database_url": env.get("DATABASE_URL", "").strip(),
            "data_dir": path("XINFANG_DATA_DIR") or Path("data"),
            "secret_key": env.get("XINFANG_SECRET_KEY") or None,
            "session_cookie_secure": env.get("XINFANG_SESSION_COOKIE_SECURE", "").strip().lower() in _TRUE,
            "attachment_dir": path("XINFANG_ATTACHMENT_DIR"),
            "holiday_file": path("XINFANG_HOLIDAY_FILE"),
            "deadline_rules_file": path("XINFANG_DEADLINE_RULES"),
            "orgchart_file": path("XINFANG_ORGCHART_FILE"),
        }

        def number(name: str, field: str, kind: type):
            value = env.get(name, "").strip()
            if value:
                try:
                    values[field] = kind(value)
                except ValueError:
                    raise ValueError(f"{name}={value!r} is not a {kind.__name__}") from None

        number("XINFANG_EVAL_TIMEOUT", "evaluation_timeout", float)
        number("XINFANG_EVAL_CPU_SECONDS", "evaluation_cpu_seconds", int)
        number("XINFANG_EVAL_MEMORY_MB", "evaluation_memory_mb", int)
        number("XINFANG_EVAL_WORKERS", "evaluation_workers", int)
        known = {f.name for f in fields(cls)}
        unknown = set(overrides) - known
        if unknown:
            raise TypeError(f"unknown settings: {sorted(unknown)}")
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def with_database(self, url: str) -> Settings:
        return replace(self, database_url=url)

    def ensure_data_dir(self) -> Path:
        folder = Path(self.data_dir).resolve()
        folder.mkdir(parents=True, exist_ok=True)
        return folder


def child_environment(**extra: str) -> dict[str, str]:
    """The process environment with ``extra`` on top, for a child process (the benchmarks' servers)."""
    return {**os.environ, **extra}
