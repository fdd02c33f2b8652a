"""The archive of bulletins (日调度、周通报、月分析、每日信访): one row per kind and date."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from persistence.db import Base, UTCDateTime, utcnow


class Bulletin(Base):
    """A generated bulletin's figures (JSON), replaced when regenerated."""

    __tablename__ = "bulletins"
    __table_args__ = (UniqueConstraint("kind", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    generated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    generated_by: Mapped[str | None] = mapped_column(String(64))
