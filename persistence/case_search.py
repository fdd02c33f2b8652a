"""The ``case_search`` table: indexed copies of the fields 案件查询 searches by.

The source of truth stays the case's variables; the engine core rewrites a case's row
after a step that changed one of these fields (``engine.case_search.sync_row``), so a
search reads short indexed rows and never the workflow state or the JSON summary.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from persistence.db import Base, UTCDateTime


class CaseSearchRow(Base):
    """One petition as 案件查询 finds it."""

    __tablename__ = "case_search"
    __table_args__ = (
        # Newest first is the default order; keyset pages walk (received_at, case_id).
        Index("ix_case_search_received", "received_at", "case_id"),
        Index("ix_case_search_case_no", "case_no", "case_id"),
    )

    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    case_no: Mapped[str | None] = mapped_column(String(64))
    petitioner_name: Mapped[str | None] = mapped_column(String(100), index=True)
    id_number: Mapped[str | None] = mapped_column(String(32), index=True)
    phone: Mapped[str | None] = mapped_column(String(32), index=True)
    handling_unit: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str | None] = mapped_column(String(200))
    # title, request and facts, shortened: searched with LIKE within the other filters
    text: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
