"""The ``clocks`` table: a queryable copy of every case's statutory clocks.

The source of truth is the ``clock_*`` case variable (engine/clocks.py); the engine
core copies it here after each step (``engine.clocks.sync_clocks``) so dashboards and
metrics can filter by unit, kind and due date without loading workflow state.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from persistence.db import Base, UTCDateTime


class Clock(Base):
    """One statutory period of one case (受理, 办理, 复查 …), keyed by its variable name and instance."""

    __tablename__ = "clocks"
    __table_args__ = (
        # One row per period: a clock restarted under the same variable, or one clock
        # variable per parallel branch (multi-instance), keeps a row of its own.
        UniqueConstraint("case_id", "name", "instance", name="uq_clocks_case_name_instance"),
        # Overdue / due-soon lists: running clocks ordered by due, per unit and kind.
        Index("ix_clocks_open_due", "stopped_at", "due"),
        Index("ix_clocks_unit_kind_due", "unit_code", "kind", "due"),
        # Rates over a date range: completed clocks by kind and completion time.
        Index("ix_clocks_kind_stopped", "kind", "stopped_at"),
        # The few open clocks counted without holiday data (the dashboard flags them).
        Index("ix_clocks_no_holiday_stopped", "no_holiday_data", "stopped_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))  # the variable, e.g. clock_handling
    # Which period of that variable: its start instant and explicit unit (engine.clocks.instance_of).
    instance: Mapped[str] = mapped_column(String(120), default="", server_default="")
    kind: Mapped[str] = mapped_column(String(40))
    unit_code: Mapped[str | None] = mapped_column(String(64))
    start: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    due: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    original_due: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    days: Mapped[int] = mapped_column(Integer, default=0)
    working_days: Mapped[bool] = mapped_column(Boolean, default=False)
    extended_days: Mapped[int] = mapped_column(Integer, default=0)
    extension_reason: Mapped[str | None] = mapped_column(Text)
    paused_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    paused_seconds: Mapped[int] = mapped_column(Integer, default=0)
    stopped_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    on_time: Mapped[bool | None] = mapped_column(Boolean)
    no_holiday_data: Mapped[bool] = mapped_column(Boolean, default=False)
