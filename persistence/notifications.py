"""In-app notifications (the bell): what arrived for a person or one of their groups, and
what each person has read.

A notification is addressed to one recipient key: ``u:<username>`` or ``g:<unit:role>``;
a person's notifications are those of their own key and of their groups' keys. Reading
is per person: everything up to ``notification_marks.read_upto`` counts as read, and
single items opened before that are rows of ``notification_reads``. The unread count
is one indexed count over (recipient, id).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from persistence.db import Base, UTCDateTime, utcnow


class Notification(Base):
    """One thing a person or group should know about (a task, a deadline, a 督办函)."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_recipient_id", "recipient", "id"),
        # a deadline or arrival is announced once per task and recipient
        UniqueConstraint("kind", "task_id", "recipient", name="uq_notifications_kind_task_recipient"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    recipient: Mapped[str] = mapped_column(String(140))
    kind: Mapped[str] = mapped_column(String(20))  # task | assigned | due_soon | overdue | letter
    case_id: Mapped[str | None] = mapped_column(String(36))
    task_id: Mapped[str | None] = mapped_column(String(36))
    title: Mapped[str] = mapped_column(String(255))
    due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class NotificationRead(Base):
    """One notification a person opened (above their read-up-to mark)."""

    __tablename__ = "notification_reads"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"),
                                                 primary_key=True)


class NotificationMark(Base):
    """Everything up to ``read_upto`` is read for this person (全部标为已读)."""

    __tablename__ = "notification_marks"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    read_upto: Mapped[int] = mapped_column(Integer, default=0)
