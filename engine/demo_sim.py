"""Drives one synthetic petition through the real Engine API along a plausible history.

Each petition has a received instant in the past and a *policy*: for whichever user
task is ready, how many days later the responsible demo user completes it and with
what values. The driver moves a simulated clock (``time_machine``) from step to step,
fires the case's timers at their own instants (warnings, escalations, lapsed request
windows) and stops when the next step would lie in the future — so the case is left
exactly where its history has brought it today. A petition may *stall* at one task:
the unit simply does not do it, and the statutory clock runs out, as in life.

Only the Engine API is used (start_case, complete_task, send_message,
advance_timers, list_tasks, get_case, claim, record_event); nothing here touches
SpiffWorkflow or the tables.
"""
from __future__ import annotations

import datetime as dt
import random
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any, Callable

from engine.calendar import SHANGHAI, default_calendar
from engine.demo_data import OPINION_BASIS, Matter, Person

try:  # the simulated clock; without it every step happens now (see engine/demo.py)
    import time_machine
except ImportError:  # pragma: no cover - depends on the installation
    time_machine = None

MAX_STEPS = 80  # per case: a safety net against a policy that never ends


@contextmanager
def at(moment: dt.datetime):
    """Run the enclosed engine calls as if it were ``moment`` (no-op without time_machine)."""
    if time_machine is None:
        with nullcontext():
            yield
        return
    with time_machine.travel(moment, tick=False):
        yield


@dataclass(kw_only=True)
class Track:
    """A case the driver advances: when it began and how its units behave."""

    received_at: dt.datetime
    case_id: str | None = None
    pace: float = 1.0  # the unit's speed: delays are multiplied by it
    stall_at: str | None = None  # the task the unit never gets round to
    phase: str = "intake"
    wants_review: bool = False
    wants_recheck: bool = False


@dataclass(kw_only=True)
class Petition(Track):
    """One synthetic petition and the choices that shape its history."""

    seq: int
    person: Person
    matter: Matter
    channel: str
    unit: str  # the competent unit
    routing: str = "forward"  # forward | assign_with_feedback | not_accepted
    assignment_days: int = 20
    misrouted_to: str | None = None  # first sent to a unit that objects
    outcome: str = "explain"  # support | explain | reject
    mediation: str | None = None  # agreement | no_agreement
    hearing: bool = False
    extension: bool = False
    recheck_hearing: bool = False
    tardy: bool = False  # investigates until just before (or just after) the deadline
    satisfied: bool = True
    evaluates: bool = True
    repeat_of: Petition | None = None
    case_no: str = ""
    # what happened, for the summary
    served_at: dt.datetime | None = None
    objected: bool = False


@dataclass
class Action:
    """What the policy wants next: a task to complete or a message to send, after ``days``."""

    days: float
    actor: str
    task: str | None = None
    values: dict[str, Any] = field(default_factory=dict)
    message: str | None = None
    after: Callable[[dt.datetime], None] | None = None


@dataclass
class CaseState:
    """What the driver knows about the case after its last command."""

    status: str
    ready: list[Any]
    next_timer_at: dt.datetime | None

    @property
    def ready_ids(self) -> list[str]:
        return [t.activity_id for t in self.ready]


class Simulator:
    """Runs petitions one after another, each from its received instant up to ``now``."""

    def __init__(self, engine, now: dt.datetime, rng: random.Random, user_for: Callable[[str, str], str]):
        self.engine = engine
        self.now = now
        self.rng = rng
        self.user_for = user_for
        self.calendar = default_calendar()
        self.commands = 0

    # ------------------------------------------------------------------ time
    def later(self, t: dt.datetime, days: float) -> dt.datetime:
        """``days`` after ``t`` during office hours of a working day (Asia/Shanghai)."""
        local = t.astimezone(SHANGHAI) + dt.timedelta(days=days)
        day = local.date()
        in_hours = dt.time(8, 30) <= local.time() <= dt.time(17, 30)
        if self.calendar.is_workday(day) and in_hours:
            return local
        while not self.calendar.is_workday(day) or (day == local.date() and local.time() > dt.time(17, 30)):
            day += dt.timedelta(days=1)
        minutes = self.rng.randrange(8 * 60 + 40, 17 * 60 + 20)
        moved = dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60), SHANGHAI)
        return moved if moved > t else t + dt.timedelta(minutes=7)

    # ------------------------------------------------------------------ engine calls
    def _state(self, info) -> CaseState:
        return CaseState(info.status, list(info.tasks), info.next_timer_at)

    def _reload(self, case_id: str) -> CaseState:
        info = self.engine.get_case(case_id, with_variables=False)
        ready = self.engine.list_tasks(case_id=case_id) if info.status == "running" else []
        return CaseState(info.status, ready, info.next_timer_at)

    def start(self, p: Petition, variables: dict[str, Any]) -> CaseState:
        with at(p.received_at):
            info = self.engine.start_case(process_key="petition", business_key=p.case_no, variables=variables,
                                          actor=self.user_for("xfj", "registrar"))
        self.commands += 1
        p.case_id = info.id
        return self._state(info)

    def run(self, p: Track, state: CaseState, policy: Callable[[Track, CaseState], Action | None]) -> CaseState:
        """Advance the case until its next step would be after ``now``."""
        t = p.received_at
        for _ in range(MAX_STEPS):
            if state.status != "running":
                break
            action = policy(p, state)
            when = self.later(t, action.days * p.pace) if action is not None else None
            horizon = min(when, self.now) if when is not None else self.now
            if state.next_timer_at is not None and state.next_timer_at < horizon:
                t = state.next_timer_at + dt.timedelta(seconds=1)
                with at(t):
                    self.engine.advance_timers(p.case_id, now=t)
                self.commands += 1
                state = self._reload(p.case_id)
                continue
            if action is None or when > self.now:
                break
            t = when
            state = self._act(p, state, action, t)
        return state

    def _act(self, p: Track, state: CaseState, action: Action, t: dt.datetime) -> CaseState:
        values = fill_dates(action.values, t)
        with at(t):
            if action.message:
                info = self.engine.send_message(action.message, case_id=p.case_id, payload=values,
                                                actor=action.actor)
            else:
                task = next(x for x in state.ready if x.activity_id == action.task)
                info = self.engine.complete_task(task.id, values, action.actor)
        self.commands += 1
        if action.after is not None:
            action.after(t)
        return self._state(info)

    def record(self, when: dt.datetime, case_id: str | None, actor: str, kind: str, data: dict) -> None:
        """A domain event (evaluation, screening result) at ``when``."""
        with at(when):
            self.engine.record_event(case_id, actor, kind, data)
        self.commands += 1

    def claim(self, task, username: str, when: dt.datetime) -> None:
        """Take a ready task into a demo user's own list."""
        with at(when):
            self.engine.claim(task.id, username)
        self.commands += 1


# ---------------------------------------------------------------------- the policy
def _date(t: dt.datetime) -> str:
    return t.astimezone(SHANGHAI).date().isoformat()


class CountyPolicy:
    """How the county's units work a petition, task by task."""

    def __init__(self, rng: random.Random, user_for: Callable[[str, str], str]):
        self.rng = rng
        self.user_for = user_for

    def __call__(self, p: Track, state: CaseState) -> Action | None:
        for activity in state.ready_ids:
            if activity == p.stall_at:
                continue
            step = getattr(self, activity, None)
            if step is not None:
                return step(p, state)
        if not state.ready and p.phase == "served" and p.wants_review:
            return self._request(p, "review_request", {"review_reasons": "对处理意见不服，申请复查"}, "in_review")
        if not state.ready and p.phase == "review_served" and p.wants_recheck:
            return self._request(p, "recheck_request", {"recheck_reasons": "对复查意见不服，申请复核"}, "in_recheck")
        return None

    def _days(self, low: float, high: float) -> float:
        return self.rng.uniform(low, high)

    def _request(self, p: Petition, message: str, payload: dict, phase: str) -> Action:
        def moved(_t):
            p.phase = phase
        return Action(self._days(4, 20), self.user_for("xfj", "registrar"), message=message, values=payload,
                      after=moved)

    def _handler(self, p: Petition) -> str:
        return self.user_for(p.unit, "handler")

    # ----- 登记受理 (intake)
    def Task_register(self, p, state):
        return Action(self._days(0.01, 0.15), self.user_for("xfj", "head"), "Task_register",
                      {"case_no": p.case_no, "oral_record_confirmed": p.channel in ("来访", "电话")})

    def Task_link_repeat(self, p, state):
        return Action(self._days(0.02, 0.3), self.user_for("xfj", "registrar"), "Task_link_repeat",
                      {"link_note": "同一信访人就同一事项再次反映，并入在办事项办理"})

    def Task_classify(self, p, state):
        m = p.matter
        unit = p.misrouted_to if p.misrouted_to and not p.objected else p.unit
        values = {"category": m.category, "domain": m.domain, "routing": p.routing, "handling_unit": unit,
                  "major_urgent": False, "concerns_officials": m.concerns_officials, "owner_unknown": False}
        if m.demand_type:
            values["demand_type"] = m.demand_type
        if p.routing == "assign_with_feedback":
            values["assignment_days"] = p.assignment_days
        if p.routing == "not_accepted":
            values["not_accepted_reason"] = "信访人已就该事项向人民法院提起诉讼并已立案，依法不予受理"
        return Action(self._days(0.5, 3), self.user_for("xfj", "registrar"), "Task_classify", values)

    def Task_receive(self, p, state):
        unit = next(t for t in state.ready if t.activity_id == "Task_receive").candidate_groups[0].split(":")[0]
        if unit == p.misrouted_to and not p.objected:
            def objected(_t):
                p.objected = True
            return Action(self._days(0.5, 2.5), self.user_for(unit, "registrar"), "Task_receive",
                          {"objection": True, "objection_reason": "该事项不属于本单位职责范围，请重新分流"}, after=objected)
        return Action(self._days(0.3, 3), self.user_for(unit, "registrar"), "Task_receive",
                      {"objection": False, "receipt_note": "已签收，指定专人办理"})

    def Task_reply(self, p, state):
        result = {"建议意见": self.rng.choice(("采纳", "部分采纳", "部分采纳", "不予采纳")),
                  "检举控告": self.rng.choice(("已查处", "已查处", "查无实据"))}.get(p.matter.category, "部分采纳")

        def replied(t):
            p.served_at, p.phase = t, "replied"
        return Action(self._days(8, 40), self._handler(p), "Task_reply",
                      {"reply_result": result, "reply_summary": f"经研究，对“{p.matter.request}”答复如下：{result}。",
                       "reply_served_date": None}, after=replied)

    def Task_report(self, p, state):
        return Action(self._days(5, max(6, p.assignment_days - 2)), self._handler(p), "Task_report",
                      {"report_summary": "已按交办要求调查核实并答复信访人，信访人表示认可。", "report_date": None})

    def Task_review_report(self, p, state):
        return Action(self._days(0.5, 3), self.user_for("xfj", "handler"), "Task_review_report",
                      {"report_accepted": True, "review_opinion": "办结报告内容完整，同意办结"})

    def Task_channel_record(self, p, state):
        channel = {"劳动人事争议": "仲裁", "农村土地承包经营纠纷": "仲裁", "不服行政处罚": "行政复议"}.get(
            p.matter.demand_type or "", "履行法定职责")
        organ = {"仲裁": "县劳动人事争议仲裁委员会", "行政复议": "县人民政府行政复议办公室"}.get(channel, "县人力资源和社会保障局")
        return Action(self._days(1, 4), self.user_for("xfj", "handler"), "Task_channel_record",
                      {"legal_channel": channel, "channel_organ": organ, "channel_handover_date": None,
                       "channel_report_days": 45})

    def Task_channel_result(self, p, state):
        return Action(self._days(15, 50), self.user_for("xfj", "handler"), "Task_channel_result",
                      {"channel_result": "已依法处理", "channel_result_summary": "承接机关已依法作出处理并告知信访人。"})

    # ----- 涉法涉诉 (litigation_handoff)
    def Task_forward(self, p, state):
        return Action(self._days(1, 3), self.user_for("xfj", "handler"), "Task_forward",
                      {"judicial_unit": "fy", "transfer_summary": "涉法涉诉信访事项，转县人民法院依法处理",
                       "followup_days": 60})

    def Task_receipt(self, p, state):
        return Action(self._days(1, 4), self.user_for("fy", "registrar"), "Task_receipt",
                      {"receipt_date": None, "receipt_no": f"郓法信〔{p.received_at.year}〕{p.seq}号"})

    def Task_track(self, p, state):
        outcome = self.rng.choice(("依法终结", "依法终结", "已化解"))
        return Action(self._days(20, 55), self.user_for("xfj", "handler"), "Task_track",
                      {"judicial_outcome": outcome, "judicial_summary": "法院已依法审查处理并向信访人释法明理。"})

    # ----- 办理 (handling, route 6)
    def Task_investigate(self, p, state):
        return Action(self._days(38, 56) if p.tardy else self._days(4, 18), self._handler(p), "Task_investigate",
                      {"investigation_findings": f"经调取相关材料、实地走访，{p.matter.facts[:60]}基本属实。",
                       "evidence_list": "询问笔录、现场照片、相关合同", "facts_verified": True})

    def Task_hear_petitioner(self, p, state):
        return Action(self._days(2, 8), self._handler(p), "Task_hear_petitioner",
                      {"hearing_method": self.rng.choice(("in_person", "in_person", "phone")),
                       "petitioner_opinion": "信访人坚持原诉求，希望尽快解决。",
                       "try_mediation": p.mediation is not None, "hold_hearing": p.hearing,
                       "request_extension": p.extension})

    def Task_mediate(self, p, state):
        agreed = p.mediation == "agreement"

        def settled(t):
            if agreed:
                p.served_at, p.phase = t, "settled"
        return Action(self._days(3, 12), self._handler(p), "Task_mediate",
                      {"mediation_result": p.mediation, "agreement_type": "mediation",
                       "agreement_no": f"郓调〔{p.received_at.year}〕{p.seq}号" if agreed else None,
                       "mediation_summary": "经司法所、村委会共同调解，双方达成一致。" if agreed else "双方分歧较大，未达成协议。"},
                      after=settled)

    def Task_hearing(self, p, state):
        return Action(self._days(5, 12), self._handler(p), "Task_hearing",
                      {"hearing_date": None, "hearing_participants": "信访人、听证员、相关部门",
                       "hearing_conclusion": "听证认为原处理基本适当。"})

    def Task_approve_extension(self, p, state):
        return Action(self._days(0.5, 2), self.user_for(p.unit, "head"), "Task_approve_extension",
                      {"extension_approved": True, "extension_days": 30, "extension_reason": "涉及多个部门，需进一步调查核实"})

    def Task_draft_opinion(self, p, state):
        return Action(self._days(3, 10), self._handler(p), "Task_draft_opinion",
                      {"opinion_outcome": p.outcome, "opinion_facts": p.matter.facts[:200],
                       "opinion_basis": OPINION_BASIS.get(p.matter.domain, "《信访工作条例》"),
                       "opinion_text": f"关于“{p.matter.request}”的处理意见：经调查核实，现答复如下……"})

    def Task_approve_opinion(self, p, state):
        return Action(self._days(0.5, 3), self.user_for(p.unit, "head"), "Task_approve_opinion",
                      {"opinion_approval": "approve", "approval_comment": "同意"})

    def Task_serve_opinion(self, p, state):
        def served(t):
            p.served_at, p.phase = t, "served"
        return Action(self._days(0.5, 3), self._handler(p), "Task_serve_opinion",
                      {"served_on": None, "service_method": self.rng.choice(("direct", "direct", "mail"))},
                      after=served)

    def Task_execute_opinion(self, p, state):
        return Action(self._days(5, 20), self._handler(p), "Task_execute_opinion",
                      {"execution_measures": "已按处理意见落实到位。", "execution_completed": True})

    def Task_check_execution(self, p, state):
        return Action(self._days(1, 5), self.user_for("xfj", "supervisor"), "Task_check_execution",
                      {"execution_verified": "done", "execution_check_note": "经回访核实，已落实"})

    def Task_filing(self, p, state):
        def filed(_t):
            p.phase = "filed"
        return Action(self._days(1, 6), self.user_for("xfj", "registrar"), "Task_filing",
                      {"filing_summary": "该信访事项已依法终结，报请备案。",
                       "filing_no": f"郓信备〔{p.received_at.year}〕{p.seq}号"}, after=filed)

    # ----- 复查 / 复核 (review, recheck)
    def _decide(self, p, state, prefix: str) -> Action:
        unit = next(t for t in state.ready if t.activity_id == f"Task_{prefix}_draft").candidate_groups[0].split(":")[0]
        return Action(self._days(6, 18), self.user_for(unit, "handler"), f"Task_{prefix}_draft",
                      {f"{prefix}_findings": "原处理意见认定事实清楚，适用依据正确。", f"{prefix}_decision": "uphold",
                       f"{prefix}_outcome": p.outcome, f"{prefix}_basis": "《信访工作条例》第三十五条、第三十六条"})

    def Task_review_draft(self, p, state):
        return self._decide(p, state, "review")

    def Task_recheck_draft(self, p, state):
        return self._decide(p, state, "recheck")

    def _approve(self, state, prefix: str) -> Action:
        unit = next(t for t in state.ready if t.activity_id == f"Task_{prefix}_approve").candidate_groups[0].split(":")[0]
        return Action(self._days(0.5, 3), self.user_for(unit, "head"), f"Task_{prefix}_approve",
                      {f"{prefix}_approval": "approve"})

    def Task_review_approve(self, p, state):
        return self._approve(state, "review")

    def Task_recheck_approve(self, p, state):
        return self._approve(state, "recheck")

    def _serve(self, p, state, prefix: str, phase: str) -> Action:
        unit = next(t for t in state.ready if t.activity_id == f"Task_{prefix}_serve").candidate_groups[0].split(":")[0]

        def served(_t):
            p.phase = phase
        return Action(self._days(0.5, 3), self.user_for(unit, "handler"), f"Task_{prefix}_serve",
                      {f"{prefix}_served_on": None, f"{prefix}_service_method": "direct"}, after=served)

    def Task_review_serve(self, p, state):
        return self._serve(p, state, "review", "review_served")

    def Task_recheck_serve(self, p, state):
        return self._serve(p, state, "recheck", "recheck_served")

    def Task_recheck_examine(self, p, state):
        unit = next(t for t in state.ready if t.activity_id == "Task_recheck_examine").candidate_groups[0].split(":")[0]
        return Action(self._days(3, 10), self.user_for(unit, "handler"), "Task_recheck_examine",
                      {"recheck_examination": "审查复查意见及相关材料", "hold_recheck_hearing": p.recheck_hearing})

    def Task_recheck_hearing(self, p, state):
        unit = next(t for t in state.ready if t.activity_id == "Task_recheck_hearing").candidate_groups[0].split(":")[0]
        return Action(self._days(3, 8), self.user_for(unit, "handler"), "Task_recheck_hearing",
                      {"recheck_hearing_date": None, "recheck_hearing_participants": "信访人、听证员、复查机关",
                       "recheck_hearing_conclusion": "复查意见认定事实清楚"})

    # ----- 矛盾纠纷排查 (screening)
    def Task_mediate_dispute(self, p, state):
        settled = self.rng.random() < 0.85  # the seed: 85% settled before any petition
        return Action(self._days(2, 12), self.user_for("sfj", "handler"), "Task_mediate_dispute",
                      {"mediation_result": "settled" if settled else "unsettled",
                       "mediation_summary": "经司法所、信访办联合调处，双方达成和解。" if settled else "双方分歧较大，调处未果。",
                       "mediators": "司法所调解员、村（社区）调委会"})

    def Task_register_petition(self, p, state):
        return Action(self._days(0.5, 3), self.user_for("xfj", "registrar"), "Task_register_petition",
                      {"petition_case_no": f"排查转办〔{p.received_at.year}〕{self.rng.randrange(10, 99)}号",
                       "petition_note": "调处未果，转入信访事项登记办理"})

    # ----- 督查督办 (supervision)
    def Task_answer_letter(self, p, state):
        unit = next(t for t in state.ready if t.activity_id == "Task_answer_letter").candidate_groups[0].split(":")[0]
        return Action(self._days(1, 6), self.user_for(unit, "head"), "Task_answer_letter",
                      {"answer_text": "已成立工作专班，限期办结并答复信访人。", "rectified": True,
                       "rectification_measures": "专人盯办，每周调度"})

    def Task_check_answer(self, p, state):
        return Action(self._days(1, 4), self.user_for("xfj", "supervisor"), "Task_check_answer",
                      {"answer_accepted": "accepted", "answer_check_note": "答复及整改措施符合要求"})


def fill_dates(values: dict[str, Any], t: dt.datetime) -> dict[str, Any]:
    """Date fields left as None are the day the step is done (served, reported, received …)."""
    return {k: (_date(t) if v is None and (k.endswith(("_date", "_on"))) else v) for k, v in values.items()
            if v is not None or k.endswith(("_date", "_on"))}
