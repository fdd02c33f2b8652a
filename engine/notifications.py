"""The bell: notifications of new tasks for me or my groups, tasks handed to me, deadlines
coming or passed, and 督办函 received; read per person; counted with one indexed count.

Written in the same transaction as what they announce: the engine calls
``tasks_arrived`` after a step opened tasks and ``task_assigned`` after a hand-over;
``sweep_deadlines`` (the scheduler every few minutes, or ``xinfang notify``) announces
each ready task that falls due soon or is overdue, once per task and recipient.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import and_, exists, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from engine.calendar import due_soon_until
from persistence.db import utcnow
from persistence.models import Task
from persistence.notifications import Notification, NotificationMark, NotificationRead

SUPERVISION_PROCESS = "supervision"
KIND_LABELS = {"task": "新任务", "assigned": "转交给我", "due_soon": "即将到期", "overdue": "已超期", "letter": "督办函"}
LIST_SIZE = 50


def _insert(session: Session):
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def recipients_of(assignee: str | None, groups: Iterable[str], users: Iterable[str]) -> list[str]:
    """Recipient keys of a task: its assignee, else its candidate users and groups."""
    if assignee:
        return [f"u:{assignee}"]
    return [f"u:{u}" for u in users or ()] + [f"g:{g}" for g in groups or ()]


def keys_of(user) -> list[str]:
    """The recipient keys that reach ``user``: their name and each of their groups."""
    return [f"u:{user.username}"] + [f"g:{g}" for g in user.groups]


def _add(session: Session, rows: list[dict]) -> None:
    if rows:
        statement = _insert(session)(Notification).on_conflict_do_nothing(
            index_elements=[Notification.kind, Notification.task_id, Notification.recipient])
        session.execute(statement, rows)


def tasks_arrived(session: Session, process_key: str, case_title: str | None, tasks: Iterable, now: dt.datetime,
                  actor: str | None = None) -> None:
    """Announce tasks that a step has just opened (a supervision task is a 督办函 received)."""
    rows = []
    for t in tasks:
        letter = process_key == SUPERVISION_PROCESS
        title = f"收到{case_title or '督办函'}：{t.name}" if letter else f"{t.name}" + (
            f"：{case_title}" if case_title else "")
        for key in recipients_of(t.assignee, t.candidate_groups, t.candidate_users):
            if key == f"u:{actor}":
                continue  # nobody is told about the task they gave themselves
            rows.append({"recipient": key[:140], "kind": "letter" if letter else "task", "case_id": t.case_id,
                         "task_id": t.id, "title": title[:255], "due_at": t.due_at, "at": now})
    _add(session, rows)


def task_assigned(session: Session, task, to_user: str | None, actor: str, now: dt.datetime) -> None:
    """Tell a person a colleague handed them a task (not when they took it themselves)."""
    if to_user and to_user != actor:
        _add(session, [{"recipient": f"u:{to_user}"[:140], "kind": "assigned", "case_id": task.case_id,
                        "task_id": task.id, "title": f"{task.name}（由 {actor} 转交）"[:255], "due_at": task.due_at,
                        "at": now}])


def sweep_deadlines(session: Session, now: dt.datetime | None = None) -> int:
    """Announce every ready task due soon or overdue (once each); returns how many were new."""
    now = now or utcnow()
    soon = due_soon_until(now)
    rows = []
    for t in session.scalars(select(Task).where(Task.state == "ready", Task.due_at.is_not(None),
                                                Task.due_at < soon)):
        kind = "overdue" if t.due_at < now else "due_soon"
        title = f"{t.name}{'已超期' if kind == 'overdue' else '即将到期'}"
        for key in recipients_of(t.assignee, t.candidate_groups, t.candidate_users):
            rows.append({"recipient": key[:140], "kind": kind, "case_id": t.case_id, "task_id": t.id,
                         "title": title[:255], "due_at": t.due_at, "at": now})
    _add(session, rows)
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.at == now, Notification.kind.in_(("due_soon", "overdue"))))


def _mark(username: str):
    return select(func.coalesce(func.max(NotificationMark.read_upto), 0)).where(
        NotificationMark.username == username).scalar_subquery()


def _unread(username: str):
    opened = exists().where(NotificationRead.username == username, NotificationRead.notification_id == Notification.id)
    return and_(Notification.id > _mark(username), ~opened)


def unread_count(session: Session, user) -> int:
    """How many notifications ``user`` has not read (one indexed count)."""
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.recipient.in_(keys_of(user)), _unread(user.username)))


@dataclass
class NotificationItem:
    """One line of the bell's list."""

    id: int
    kind: str
    title: str
    case_id: str | None
    task_id: str | None
    due_at: dt.datetime | None
    at: dt.datetime
    unread: bool

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)


def latest(session: Session, user, limit: int = LIST_SIZE) -> list[NotificationItem]:
    """The newest notifications reaching ``user``, each once, with its read state."""
    query = (select(Notification, _unread(user.username).label("unread"))
             .where(Notification.recipient.in_(keys_of(user))).order_by(Notification.id.desc()).limit(limit * 3))
    out, seen = [], set()
    for n, unread in session.execute(query):
        key = (n.kind, n.task_id)  # a task offered to two of my groups shows once
        if key in seen:
            continue
        seen.add(key)
        out.append(NotificationItem(n.id, n.kind, n.title, n.case_id, n.task_id, n.due_at, n.at, bool(unread)))
    return out[:limit]


def mark_read(session: Session, user, notification_id: int) -> Notification | None:
    """Mark one notification read for ``user``; None when it does not reach them."""
    n = session.get(Notification, notification_id)
    if n is None or n.recipient not in keys_of(user):
        return None
    statement = _insert(session)(NotificationRead).values(username=user.username, notification_id=n.id)
    session.execute(statement.on_conflict_do_nothing())
    # the same task announced to my other groups is read too
    for other in session.scalars(select(Notification.id).where(
            Notification.task_id == n.task_id, Notification.kind == n.kind, Notification.id != n.id,
            Notification.recipient.in_(keys_of(user)))) if n.task_id else ():
        session.execute(_insert(session)(NotificationRead).values(username=user.username, notification_id=other)
                        .on_conflict_do_nothing())
    return n


def mark_all_read(session: Session, user) -> None:
    """Everything that reaches ``user`` now counts as read."""
    top = session.scalar(select(func.max(Notification.id)).where(Notification.recipient.in_(keys_of(user)))) or 0
    statement = _insert(session)(NotificationMark).values(username=user.username, read_upto=top)
    session.execute(statement.on_conflict_do_update(index_elements=[NotificationMark.username],
                                                    set_={"read_upto": top}))
    session.execute(NotificationRead.__table__.delete().where(NotificationRead.username == user.username,
                                                              NotificationRead.notification_id <= top))


class Bell:
    """The notification functions, one transaction each, for the web layer."""

    def __init__(self, engine):
        self.engine = engine

    def count(self, user) -> int:
        """Unread notifications of ``user``."""
        with self.engine.unit_of_work(read_only=True) as s:
            return unread_count(s, user)

    def items(self, user) -> list[NotificationItem]:
        """The newest notifications of ``user``."""
        with self.engine.unit_of_work(read_only=True) as s:
            return latest(s, user)

    def open(self, user, notification_id: int) -> tuple[str | None, str | None]:
        """Mark one read; (task id, case id) it points at, (None, None) when it is not the user's."""
        with self.engine.unit_of_work() as s:
            n = mark_read(s, user, notification_id)
            return (n.task_id, n.case_id) if n is not None else (None, None)

    def read_all(self, user) -> None:
        """Mark everything read."""
        with self.engine.unit_of_work() as s:
            mark_all_read(s, user)

    def sweep(self, now: dt.datetime | None = None) -> int:
        """Announce tasks due soon or overdue (the scheduler calls this)."""
        with self.engine.unit_of_work() as s:
            return sweep_deadlines(s, now)
