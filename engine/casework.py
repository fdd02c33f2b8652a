"""Casework: what a caseworker does on screen, with the access policy applied first.

Each method is what one page or button needs, so web routes stay thin: they parse
the request, call one method here and render.  Every id a user hands in passes
``engine.access`` before anything is read; what the user may not see is NotFound.
The methods compose the Engine API (and the accounts repository for names); they
never touch SpiffWorkflow.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from engine import access, accounts, external
from engine.attachments import MAX_ATTACHMENTS, Attachment, AttachmentStore
from engine.calendar import DUE_SOON_DAYS, SHANGHAI, end_of_day, local_date
from engine.errors import Conflict, EngineError, InvalidInput, NotFound
from engine.registration import RegistrationForm, parse_registration, petition_variables
from persistence import accounts as accounts_repo
from persistence.db import utcnow
from persistence.numbering import allocate_case_number

PAGE_SIZE = 20
TABS = ("mine", "claimable", "done")
NAV_COUNT_TABS = ("mine", "claimable")  # 已办 only grows; the navigation shows no count for it
# Inbox counts stop here (shown as "1000+"): counting costs what the page costs, not the history.
COUNT_CAP = 1000
DUE_FILTERS = ("overdue", "soon", "normal")
SORTS = {"due": ("due", False), "-due": ("due", True), "created": ("created", False),
         "-created": ("created", True)}


@dataclass
class InboxFilters:
    """What the inbox filters and sorts by; empty strings mean "any"."""

    category: str = ""
    domain: str = ""
    unit: str = ""
    due: str = ""  # one of DUE_FILTERS or ""
    case_no: str = ""
    sort: str = "due"

    def __post_init__(self):
        self.case_no = (self.case_no or "").strip()[:64]
        if self.due not in DUE_FILTERS:
            self.due = ""
        if self.sort not in SORTS:
            self.sort = "due"

    def engine_filters(self, now: dt.datetime) -> dict[str, Any]:
        """The same filters as keyword arguments of ``Engine.list_tasks``."""
        out: dict[str, Any] = {}
        if self.category:
            out["category"] = self.category
        if self.domain:
            out["domain"] = self.domain
        if self.unit:
            out["unit_codes"] = [self.unit]
        if self.case_no:
            out["business_key"] = self.case_no
        soon_end = end_of_day(local_date(now) + dt.timedelta(days=DUE_SOON_DAYS))
        if self.due == "overdue":
            out["overdue_at"] = now
        elif self.due == "soon":
            out["due_after"], out["due_before"] = now, soon_end
        elif self.due == "normal":
            out["due_after"] = soon_end
        return out


@dataclass
class Page:
    """One page of a longer list."""

    rows: list[Any]
    number: int
    size: int
    total: int
    cap: int | None = None  # total == cap means "cap or more"

    @property
    def capped(self) -> bool:
        """True when the total was counted only up to the cap."""
        return self.cap is not None and self.total >= self.cap

    @property
    def total_label(self) -> str:
        """The total as shown: "1000+" when counting stopped at the cap."""
        return f"{self.total}+" if self.capped else str(self.total)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    def window(self, around: int = 2) -> list[int | None]:
        """Page numbers to offer: first, last and those near the current one (None = gap)."""
        shown = sorted({1, self.pages, *range(max(1, self.number - around),
                                              min(self.pages, self.number + around) + 1)})
        out: list[int | None] = []
        for n in shown:
            if out and n - (out[-1] or 0) > 1:
                out.append(None)
            out.append(n)
        return out


@dataclass
class Clock:
    """A statutory clock of a case as the case page shows it."""

    name: str
    kind: str
    unit: str | None
    start: dt.datetime
    due: dt.datetime
    original_due: dt.datetime
    days: int
    working_days: bool
    extended_days: int
    extension_reason: str
    paused: bool
    paused_days: int
    stopped_at: dt.datetime | None
    on_time: bool | None
    warnings: list[str]


@dataclass
class TaskView:
    """Everything the task page shows: the task, its form and the case around it."""

    task: Any
    case: Any
    form: Any  # forms.Form or None
    values: dict[str, Any]
    events: list[Any]
    clocks: list[Clock]
    attachments: list[dict[str, Any]]
    names: dict[str, str]  # user name -> display name, for everyone named on the page
    field_labels: dict[str, tuple[str, dict[str, str]]]  # variable -> (form label, enum option names)
    can_complete: bool
    can_claim: bool
    can_unclaim: bool
    colleagues: list[Any] = field(default_factory=list)  # whom the task may be handed to


@dataclass
class CaseView:
    """Everything the case page shows."""

    case: Any
    tasks: list[Any]
    events: list[Any]
    clocks: list[Clock]
    notices: list[dict[str, Any]]
    attachments: list[dict[str, Any]]
    names: dict[str, str]
    field_labels: dict[str, tuple[str, dict[str, str]]]
    actions: list[ExternalAction] = field(default_factory=list)  # outside events the user may record now


@dataclass
class ExternalAction:
    """An outside event the case waits for, with its form as the page shows it."""

    key: str
    title: str
    form: Any  # forms.Form
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


@dataclass
class RegistrationResult:
    """The outcome of a registration attempt: a new case, or what to show again."""

    case: Any = None
    form: RegistrationForm | None = None
    attachments: list[Attachment] = field(default_factory=list)
    repeat: dict[str, Any] | None = None  # set when the registrar must confirm a repeat
    upload_error: str | None = None


def clocks_of(variables: dict[str, Any]) -> list[Clock]:
    """The ``clock_*`` variables of a case, by due date."""
    out = []
    for name, c in (variables or {}).items():
        if not (name.startswith("clock_") and isinstance(c, dict) and "due" in c and "start" in c):
            continue
        try:
            out.append(Clock(
                name=name, kind=str(c.get("kind") or name[6:]), unit=c.get("unit"),
                start=_instant(c["start"]), due=_instant(c["due"]),
                original_due=_instant(c.get("original_due") or c["due"]), days=int(c.get("days") or 0),
                working_days=bool(c.get("working_days")), extended_days=int(c.get("extended_days") or 0),
                extension_reason=str(c.get("extension_reason") or ""), paused=bool(c.get("paused_at")),
                paused_days=int(c.get("paused_days") or 0),
                stopped_at=_instant(c["stopped_at"]) if c.get("stopped_at") else None,
                on_time=c.get("on_time"), warnings=list(c.get("warnings") or []),
            ))
        except (TypeError, ValueError):
            continue  # a malformed clock is shown nowhere rather than breaking the page
    return sorted(out, key=lambda c: c.due)


def _instant(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=SHANGHAI)


class Casework:
    """The caseworker's actions over one Engine and one attachment store."""

    def __init__(self, engine, attachments: AttachmentStore, page_size: int = PAGE_SIZE):
        self.engine = engine
        self.attachments = attachments
        self.page_size = page_size
        # (definition id, activity id) -> {field id: (label, options)}; definitions never change.
        self._labels: dict[tuple[str, str], dict[str, tuple[str, dict[str, str]]]] = {}

    # ------------------------------------------------------------------ accounts
    def login(self, username: str, password: str, address: str | None = None) -> accounts.UserInfo | None:
        """The user when the credentials are right (failures count towards the locks of
        this client address and of this account from it)."""
        with self.engine.unit_of_work() as s:
            return accounts.authenticate(s, username, password, address=address)

    def load_user(self, token: str) -> accounts.UserInfo | None:
        """The session's user, or None when the account is gone, deactivated or the session
        was revoked (a read: it neither writes nor takes the write lock)."""
        with self.engine.unit_of_work(read_only=True) as s:
            return accounts.load_session_user(s, token)

    def logout(self, user) -> None:
        """Revoke the user's sessions server-side: a copied cookie stops working."""
        with self.engine.unit_of_work() as s:
            accounts.revoke_sessions(s, user.id)

    # ------------------------------------------------------------------ inbox
    @staticmethod
    def _tab_filters(user, tab: str) -> dict[str, Any]:
        visible = access.task_filter_for(user)
        if tab == "claimable":
            return {"candidate_groups": user.groups, "candidate_users": [user.username], "unassigned": True,
                    "task_filter": visible}
        if tab == "done":
            return {"state": "completed", "completed_by": user.username, "task_filter": visible}
        return {"assignee": user.username, "task_filter": visible}

    def inbox(self, user, tab: str, filters: InboxFilters, page: int = 1) -> Page:
        """One page of one inbox tab (tasks with their case summaries)."""
        page = max(1, page)
        query = {**self._tab_filters(user, tab), **filters.engine_filters(utcnow())}
        sort_by, descending = SORTS[filters.sort]
        if tab == "done" and filters.sort == "due":
            sort_by, descending = "created", True
        rows = self.engine.list_tasks(sort_by=sort_by, descending=descending,
                                      offset=(page - 1) * self.page_size, limit=self.page_size, **query)
        return Page(rows, page, self.page_size, self.engine.count_tasks(cap=COUNT_CAP, **query), cap=COUNT_CAP)

    def inbox_counts(self, user, tabs: tuple[str, ...] = NAV_COUNT_TABS) -> dict[str, int]:
        """The number of tasks in the inbox tabs the navigation shows counts for.

        Each is one count over a covering index (assignee / candidate rows of ready
        tasks), so it costs what the user's open work costs, not the database's size.
        """
        return {tab: self.engine.count_tasks(cap=COUNT_CAP, **self._tab_filters(user, tab)) for tab in tabs}

    # ------------------------------------------------------------------ tasks
    def _visible_task(self, user, task_id: str):
        with self.engine.unit_of_work() as s:
            access.require_task(s, user, task_id)
        return self.engine.get_task(task_id)

    def task_view(self, user, task_id: str, submitted: dict[str, Any] | None = None) -> TaskView:
        """The task page; ``submitted`` (raw form input) is shown instead of stored values."""
        from forms import initial_values

        task = self._visible_task(user, task_id)
        case = self.engine.get_case(task.case_id)
        form = values = None
        if task.state == "ready":
            form = self.engine.task_form(task_id)
            values = initial_values(form, self.engine.task_variables(task_id),
                                    evaluate=lambda text: self._default_of(task_id, text))
            if submitted is not None:
                values.update({f.id: _redisplay(f, submitted) for f in form.fields if not f.readonly})
        events = self.engine.history(task.case_id)
        colleagues = []
        if task.state == "ready" and (task.assignee == user.username or access.is_unit_head_for(user, task)):
            colleagues = [u for u in self._unit_members(user.unit_code)
                          if u.username != task.assignee and access.is_candidate(u, task)]
        return TaskView(
            task=task, case=case, form=form, values=values or {}, events=events,
            clocks=clocks_of(case.variables), attachments=list(case.variables.get("attachments") or []),
            names=self._names({e.actor for e in events} | {task.assignee, task.completed_by}),
            field_labels=self._field_labels(task.case_id),
            can_complete=task.state == "ready" and task.assignee == user.username,
            can_claim=task.state == "ready" and task.assignee is None and access.is_candidate(user, task),
            can_unclaim=task.state == "ready" and task.assignee is not None and (
                task.assignee == user.username or access.is_unit_head_for(user, task)),
            colleagues=colleagues,
        )

    def _default_of(self, task_id: str, expression: str) -> Any:
        # A default that cannot be evaluated shows an empty field, not a broken page;
        # the designer learns of it from the deploy-time check.
        try:
            return self.engine.evaluate_for_task(task_id, expression)
        except EngineError:
            return None

    def claim(self, user, task_id: str):
        """Take an offered task into the user's own list."""
        task = self._visible_task(user, task_id)
        access.check_claim(user, task)
        return self.engine.claim(task_id, user.username)

    def unclaim(self, user, task_id: str):
        """Give a held task back to its groups."""
        task = self._visible_task(user, task_id)
        access.check_unclaim(user, task)
        return self.engine.unclaim(task_id, user.username)

    def reassign(self, user, task_id: str, username: str):
        """Hand a held task to a colleague of the same unit who may do it."""
        task = self._visible_task(user, task_id)
        with self.engine.unit_of_work() as s:
            try:
                target = accounts.get_user_by_username(s, username or "")
            except NotFound:
                raise InvalidInput("没有这个用户", {"assignee": "请选择本单位人员"}) from None
        access.check_reassign(user, task, target)
        return self.engine.assign(task_id, target.username, user.username)

    def complete(self, user, task_id: str, raw: dict[str, Any]):
        """Submit the task's form; InvalidInput (errors per field) leaves everything as it was."""
        task = self._visible_task(user, task_id)
        access.check_complete(user, task)
        return self.engine.complete_task(task_id, raw, user.username)

    # ------------------------------------------------------------------ registration
    def registration_form(self, user) -> RegistrationForm:
        """An empty registration form, for registrars only."""
        access.check_register(user)
        return RegistrationForm()

    def register(self, user, raw: dict[str, Any], uploads: list[tuple[str, BinaryIO]],
                 kept_attachment_ids: list[str], confirm_repeat: bool) -> RegistrationResult:
        """Check the form, keep uploads, warn of a repeat unless confirmed, then start the case."""
        access.check_register(user)
        form = parse_registration(raw)
        result = RegistrationResult(form=form)
        result.attachments = self._kept_attachments(user, kept_attachment_ids)
        for filename, stream in uploads:
            if len(result.attachments) >= MAX_ATTACHMENTS:
                result.upload_error = f"最多上传 {MAX_ATTACHMENTS} 个附件"
                break
            try:
                result.attachments.append(self.attachments.save(filename, stream, user.username))
            except InvalidInput as refused:
                result.upload_error = refused.errors.get("attachments", refused.message)
        if not form.valid or result.upload_error:
            return result
        variables = petition_variables(form, user)
        repeat = self.engine.find_repeats(variables)
        if repeat.get("repeat_status") not in (None, "none") and not confirm_repeat:
            result.repeat = self._describe_repeat(user, repeat)
            if result.repeat is not None:
                return result
        variables["attachments"] = [a.to_dict() for a in result.attachments]
        case_no = self._next_case_no()
        variables["case_no"] = case_no
        result.case = self.engine.start_case(process_key="petition", business_key=case_no,
                                             variables=variables, actor=user.username)
        return result

    def _kept_attachments(self, user, ids: list[str]) -> list[Attachment]:
        kept = []
        for attachment_id in dict.fromkeys(ids):
            try:
                a = self.attachments.load(attachment_id)
            except NotFound:
                continue
            if a.uploaded_by == user.username:  # only the uploader may carry a file over
                kept.append(a)
        return kept[:MAX_ATTACHMENTS]

    def _describe_repeat(self, user, repeat: dict[str, Any]) -> dict[str, Any] | None:
        earlier_id = repeat.get("repeat_of")
        visible = False
        if earlier_id:
            with self.engine.unit_of_work() as s:
                visible = access.can_see_case(s, user, earlier_id)
        # Only a case the registrar may see is named; otherwise the warning says no more
        # than that the matter exists (which is the point of 第十九条's check) …
        earlier = self.engine.get_case(earlier_id, with_variables=False) if earlier_id else None
        if earlier is not None and not visible and _confidential(earlier.summary):
            # … except for a 检举控告 kept from this registrar's unit: even its existence
            # is not revealed (第三十条第三款), so no warning at all.
            return None
        return {"status": repeat.get("repeat_status"), "case": earlier if visible else None}

    def _next_case_no(self) -> str:
        """XF + the Asia/Shanghai date + the day's sequence number, e.g. XF202611270012."""
        with self.engine.unit_of_work() as s:
            return allocate_case_number(s, utcnow().astimezone(SHANGHAI).date())

    # ------------------------------------------------------------------ cases
    def _require_case(self, user, case_id: str) -> None:
        with self.engine.unit_of_work() as s:
            access.require_case(s, user, case_id)

    def case_view(self, user, case_id: str, action: str | None = None, submitted: dict[str, Any] | None = None,
                  errors: dict[str, str] | None = None) -> CaseView:
        """The case page: case, open tasks, timeline, clocks, notices, attachments, and the
        outside events the user may record now (``action`` shows ``submitted`` and ``errors``
        again in that event's form)."""
        self._require_case(user, case_id)
        case = self.engine.get_case(case_id)
        actions = []
        for key in sorted(self.engine.waiting_messages(case_id)):
            event = external.EVENTS.get(key)
            if event and event.may_record(user, case.variables):
                mine = key == action
                actions.append(ExternalAction(key, event.title, event.form(),
                                              values=dict(submitted or {}) if mine else {},
                                              errors=dict(errors or {}) if mine else {}))
        tasks = self.engine.list_tasks(case_id=case_id)
        events = self.engine.history(case_id)
        notices = [dict(e.data, at=e.at) for e in events if e.kind == "notice"]
        return CaseView(
            case=case, tasks=tasks, events=events, clocks=clocks_of(case.variables), notices=notices,
            attachments=list(case.variables.get("attachments") or []),
            names=self._names({e.actor for e in events} | {t.assignee for t in tasks}),
            field_labels=self._field_labels(case_id), actions=actions,
        )

    def record_external(self, user, case_id: str, key: str, raw: dict[str, Any]) -> external.Outcome:
        """Record an outside event (复查/复核 request, 政法 feedback) and let the process decide.

        The form is checked first (dates between the case's earlier events and today); the
        answer says what the law made of it: accepted, or out of time with the reason.
        """
        from forms import validate_or_raise
        from forms.dates import date_errors

        self._require_case(user, case_id)
        event = external.EVENTS.get(key)
        if event is None:
            raise NotFound("no such action")
        case = self.engine.get_case(case_id)
        if not event.may_record(user, case.variables):
            raise NotFound("no such action")  # as for what the user may not see
        if key not in self.engine.waiting_messages(case_id):
            raise Conflict(f"案件当前不在等待“{event.title[2:]}”，无需登记")
        form = event.form()
        values = validate_or_raise(form, raw)
        now = utcnow()
        errors = date_errors(form.fields, values, case.variables, today=local_date(now),
                             registered=local_date(case.started_at))
        if errors:
            raise InvalidInput("表单填写有误", errors)
        after = self.engine.send_message(key, case_id=case_id, payload=event.payload(values, now),
                                         actor=user.username)
        return event.outcome(after.variables)

    def diagram(self, user, case_id: str, called: str | None = None) -> dict[str, Any]:
        """The case's BPMN XML with its active, completed and overdue activity ids.

        ``called`` names the process key of a call activity: its diagram (the version the
        case's definition froze in at deploy time) is answered instead, with the same
        activity states.
        """
        self._require_case(user, case_id)
        state = self.engine.case_diagram_state(case_id)
        if called:
            definition = self.engine.called_definition(state["definition_id"], called)  # NotFound if not called
            state.update(definition_id=definition.id, xml=self.engine.get_definition_xml(definition.id))
        else:
            state["xml"] = self.engine.get_definition_xml(state["definition_id"])
        return state

    def attachment(self, user, case_id: str, attachment_id: str) -> tuple[Path, dict[str, Any]]:
        """The stored file of an attachment the case lists; NotFound otherwise."""
        self._require_case(user, case_id)
        case = self.engine.get_case(case_id)
        for a in case.variables.get("attachments") or []:
            if isinstance(a, dict) and a.get("id") == attachment_id:
                return self.attachments.path_of(attachment_id), a
        raise NotFound("attachment not found")

    # ------------------------------------------------------------------ helpers
    def _unit_members(self, unit_code: str) -> list[accounts.UserInfo]:
        with self.engine.unit_of_work() as s:
            return accounts.unit_members(s, unit_code)

    def _field_labels(self, case_id: str) -> dict[str, tuple[str, dict[str, str]]]:
        """Label and enum option names the forms of a case's tasks give its variables."""
        labels: dict[str, tuple[str, dict[str, str]]] = {}
        for t in self.engine.list_tasks(case_id=case_id, state=None):
            key = (t.definition_id or "", t.activity_id)
            if key not in self._labels:
                self._labels[key] = {f.id: (f.label or f.id, {o.id: o.name for o in f.options})
                                     for f in self.engine.task_form(t.id).fields}
            labels.update(self._labels[key])
        return labels

    def _names(self, usernames: set[str | None]) -> dict[str, str]:
        wanted = sorted(u for u in usernames if u)
        if not wanted:
            return {}
        with self.engine.unit_of_work() as s:
            return accounts_repo.display_names(s, wanted)


def _redisplay(f, submitted: dict[str, Any]) -> Any:
    """What a field shows after a refused submission: exactly what the user typed."""
    if f.widget == "checkbox":
        return f.id in submitted and str(submitted.get(f.id)).lower() in ("true", "on", "1", "yes")
    value = submitted.get(f.id)
    return value if value is not None else ""


def _confidential(summary: dict[str, Any]) -> bool:
    """True for a 检举控告 whose material is kept confidential (第三十条第三款)."""
    return bool(summary.get("confidential") or summary.get("accused_unit"))
