"""Counters that hand out case numbers (案件编号) without duplicates."""
from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from persistence.db import Base


class NumberCounter(Base):
    """The last number handed out under one prefix (e.g. ``XF20261127``)."""

    __tablename__ = "number_counters"

    prefix: Mapped[str] = mapped_column(String(32), primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


def next_number(session: Session, prefix: str) -> int:
    """Take the next number under ``prefix`` in the caller's transaction (1, 2, …).

    One upsert statement: two registrars at the same moment get different numbers on
    SQLite (one writer at a time) and on PostgreSQL (the row lock of ON CONFLICT).
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(NumberCounter).values(prefix=prefix, last=1)
    statement = statement.on_conflict_do_update(
        index_elements=[NumberCounter.prefix], set_={"last": NumberCounter.last + 1}
    ).returning(NumberCounter.last)
    return session.execute(statement).scalar_one()
