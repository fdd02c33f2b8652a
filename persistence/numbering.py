"""Case numbers (案件编号) unique by construction.

Two parts work together:

- ``number_counters`` hands out the next sequence number under a prefix (``XF20261204``:
  the letters, the year and the day), one upsert per number;
- ``case_numbers`` holds every number ever handed out, with the number as its primary
  key: the database itself refuses a second case with the same number, whoever asks
  (the registration form, the demo loader, a script).

``allocate_case_number`` is the one allocator; a counter that lags behind numbers
already taken (a database filled before the counter existed) is skipped past instead
of producing a duplicate.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, String, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from persistence.db import Base, UTCDateTime, utcnow

CASE_NUMBER_LETTERS = "XF"
SEQUENCE_DIGITS = 4


class NumberCounter(Base):
    """The last number handed out under one prefix (e.g. ``XF20261127``)."""

    __tablename__ = "number_counters"

    prefix: Mapped[str] = mapped_column(String(32), primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class CaseNumber(Base):
    """A case number that has been handed out; the primary key makes it unique."""

    __tablename__ = "case_numbers"

    number: Mapped[str] = mapped_column(String(64), primary_key=True)
    prefix: Mapped[str] = mapped_column(String(32), index=True)
    allocated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


def _insert(session: Session):
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def next_number(session: Session, prefix: str) -> int:
    """Take the next number under ``prefix`` in the caller's transaction (1, 2, …).

    One upsert statement: two registrars at the same moment get different numbers on
    SQLite (one writer at a time) and on PostgreSQL (the row lock of ON CONFLICT).
    """
    statement = _insert(session)(NumberCounter).values(prefix=prefix, last=1)
    statement = statement.on_conflict_do_update(
        index_elements=[NumberCounter.prefix], set_={"last": NumberCounter.last + 1}
    ).returning(NumberCounter.last)
    return session.execute(statement).scalar_one()


def case_number_prefix(day: dt.date, letters: str = CASE_NUMBER_LETTERS) -> str:
    """The prefix of the numbers of one China calendar day: ``XF20261204``."""
    return f"{letters}{day:%Y%m%d}"


def allocate_case_number(session: Session, day: dt.date, letters: str = CASE_NUMBER_LETTERS) -> str:
    """A fresh case number for ``day`` (a China calendar date), recorded as taken.

    The INSERT … ON CONFLICT DO NOTHING into ``case_numbers`` is what guarantees
    uniqueness; when it inserts nothing the number was already taken (by a row older
    than the counter) and the next one is tried.
    """
    prefix = case_number_prefix(day, letters)
    while True:
        number = f"{prefix}{next_number(session, prefix):0{SEQUENCE_DIGITS}d}"
        statement = _insert(session)(CaseNumber).values(number=number, prefix=prefix, allocated_at=utcnow())
        taken = session.execute(statement.on_conflict_do_nothing(index_elements=[CaseNumber.number])
                                .returning(CaseNumber.number)).scalar_one_or_none()
        if taken is not None:
            return number


def numbers_taken(session: Session, prefix: str) -> int:
    """How many numbers have been handed out under ``prefix`` (for tests and reports)."""
    return session.execute(select(func.count()).select_from(CaseNumber)
                           .where(CaseNumber.prefix == prefix)).scalar_one()
