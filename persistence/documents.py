"""Tables of official documents (公文): templates, issued documents, 查询码 and ratings."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from persistence.db import Base, UTCDateTime, utcnow


class DocumentTemplate(Base):
    """One saved version of a document kind's Jinja template (the newest is in use)."""

    __tablename__ = "document_templates"
    __table_args__ = (UniqueConstraint("kind", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    version: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(64))


class Document(Base):
    """An issued document: its 文号, frozen content, PDF and 送达 (service) record."""

    __tablename__ = "documents"
    # 文号 are unique per issuing organ, document kind and year (the sequence has no gaps
    # because it is taken from number_counters in the same transaction as this row).
    __table_args__ = (UniqueConstraint("organ", "kind", "year", "seq"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(String(36), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    organ: Mapped[str] = mapped_column(String(64))
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    doc_no: Mapped[str] = mapped_column(String(64), unique=True)
    addressee: Mapped[str] = mapped_column(String(200), default="")
    to_petitioner: Mapped[bool] = mapped_column(default=False)
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    issued_by: Mapped[str | None] = mapped_column(String(64))
    notice_event_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    template_version: Mapped[int] = mapped_column(Integer, default=0)
    html: Mapped[str] = mapped_column(Text)
    html_sha256: Mapped[str] = mapped_column(String(64))
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    served_on: Mapped[dt.date | None] = mapped_column(Date)
    service_method: Mapped[str | None] = mapped_column(String(16))
    service_receipt: Mapped[str | None] = mapped_column(String(36))  # attachment id of the receipt scan
    service_recorded_by: Mapped[str | None] = mapped_column(String(64))
    service_recorded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class QueryCode(Base):
    """The petitioner's 查询码 of one registered matter (第二十一条: 可查询、可评价)."""

    __tablename__ = "query_codes"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    case_id: Mapped[str] = mapped_column(String(36), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Rating(Base):
    """The petitioner's evaluation of one served result (办理/复查/复核), at most once."""

    __tablename__ = "ratings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(String(36), index=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), unique=True)
    rating: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str] = mapped_column(Text, default="")
    unit: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
