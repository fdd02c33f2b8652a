"""The demo county: demo users for every role and a few hundred petitions at every stage.

``load_demo(engine, cases=300)`` deploys ``processes/`` if needed, creates the demo users
(``DEMO_USERS``, all with the password ``DEMO_PASSWORD``; docs/demo.md lists them) and
drives synthetic petitions (engine/demo_data.py) through the real Engine API along
histories spread over the last ``HISTORY_DAYS`` days (engine/demo_sim.py): some just
registered, some being handled, some replied, some under 复查 or 复核, some terminated
and filed, and some overdue because their unit stalled — with the timers' warnings and
escalations fired at their own instants. It then issues a few 督办函 about overdue
cases through the dashboard service, runs a few 矛盾纠纷排查 rounds (访前化解率), records
petitioners' evaluations (满意率) and lets demo users claim part of the open tasks.

Backdating uses ``time_machine`` (the clock the engine, the clocks and SpiffWorkflow's
timers read is moved, nothing is rewritten afterwards). That clock is process-wide, so
load the demo from the CLI (``xinfang demo``, its own process), never inside a serving
web process. Without the package the demo still loads, but every step happens now, so
nothing is overdue yet; the summary says ``simulated_history: false``.

Cost: every petition is real engine commands (intake alone is four, ~0.1 s of CPU on a
small machine), so 300 petitions take about 40 s; the summary reports the seconds and
the number of engine commands.
"""
from __future__ import annotations

import datetime as dt
import logging
import random
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from engine import demo_data, documents, orgchart, petitioner
from engine.calendar import SHANGHAI
from engine.demo_sim import CaseState, CountyPolicy, Petition, Simulator, Track, at, time_machine
from engine.errors import NotFound
from engine.metrics import compute_metrics
from persistence.db import utcnow

log = logging.getLogger(__name__)

DEMO_PASSWORD = "xinfang-demo"
HISTORY_DAYS = 120
DEFAULT_SEED = 371725

# Seats of the 县信访局 get short names; every other demo user is demo-<unit>-<role>.
SHORT_NAMES = {("xfj", "registrar"): "demo-registrar", ("xfj", "handler"): "demo-handler",
               ("xfj", "head"): "demo-head", ("xfj", "supervisor"): "demo-supervisor",
               ("xfj", "leader"): "demo-xfj-leader", ("xfj", "designer"): "demo-designer",
               ("xfj", "admin"): "demo-admin", ("county-lead", "leader"): "demo-leader"}
# Which roles each demo unit is staffed with.
STAFFING: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("xfj",), ("registrar", "handler", "head", "supervisor", "leader", "designer", "admin")),
    (("county-lead",), ("leader",)),
    (("rsj", "zjj", "zrzyj", "nyncj", "jyj", "wjj", "jw",
      "town-chengguan", "town-yunhe", "town-huanggang", "town-zhangying"), ("registrar", "handler", "head")),
    (("gaj", "fy", "jcy", "sfj"), ("registrar", "handler")),
    (("county-gov", "city-rsj", "city-zjj", "city-zrzyj", "city-nyncj", "city-jyj", "city-wjw", "city-gov"),
     ("handler", "head")),
)
# Units that work more slowly (their delays are multiplied) and stall more often.
SLOW_UNITS = {"zrzyj": 1.45, "town-huanggang": 1.5, "wjj": 1.25, "city-zrzyj": 1.3}
STAGES = {
    "registration": "登记", "classification": "分类交转", "receipt": "待签收", "handling": "办理中",
    "execution": "督促执行", "review_window": "复查申请期内", "review": "复查中", "recheck_window": "复核申请期内",
    "recheck": "复核中", "filing": "待终结备案", "legal_channel": "法定途径/涉法涉诉", "completed": "已办结",
    "terminated": "已终结", "not_accepted": "不予受理", "linked": "并入在办事项",
}
_STAGE_OF_TASK = {
    "Task_register": "registration", "Task_link_repeat": "registration", "Task_classify": "classification",
    "Task_lead_decide": "classification", "Task_receive": "receipt", "Task_execute_opinion": "execution",
    "Task_check_execution": "execution", "Task_filing": "filing",
    "Task_channel_record": "legal_channel", "Task_channel_result": "legal_channel", "Task_forward": "legal_channel",
    "Task_receipt": "legal_channel", "Task_track": "legal_channel", "Task_record": "legal_channel",
}
CHANNEL_WEIGHTS = (("网上", 40), ("来访", 25), ("来信", 20), ("电话", 14), ("传真", 1))


@dataclass(frozen=True)
class DemoUser:
    """One demo account."""

    username: str
    display_name: str
    unit_code: str
    roles: tuple[str, ...]


def demo_users() -> list[DemoUser]:
    """Every demo account, in the order docs/demo.md lists them."""
    out = []
    for units, roles in STAFFING:
        for unit in units:
            orgchart.unit(unit)  # a typo here fails loudly
            for role in roles:
                username = SHORT_NAMES.get((unit, role), f"demo-{unit}-{role}")
                name = demo_data.person_name(random.Random(f"user:{username}"))
                out.append(DemoUser(username, name, unit, (role,)))
    return out


DEMO_USERS = demo_users()
_BY_SEAT = {(u.unit_code, u.roles[0]): u.username for u in DEMO_USERS}


def user_for(unit: str, role: str) -> str:
    """The demo user holding ``role`` in ``unit``."""
    return _BY_SEAT[(unit, role)]


def users_markdown() -> str:
    """The table of demo users for docs/demo.md."""
    lines = ["| 用户名 | 姓名 | 单位 | 角色 |", "|---|---|---|---|"]
    for u in DEMO_USERS:
        roles = "、".join(orgchart.ROLES[r] for r in u.roles)
        lines.append(f"| `{u.username}` | {u.display_name} | {orgchart.unit_name(u.unit_code)} | {roles} |")
    return "\n".join(lines)


# ---------------------------------------------------------------------- loading
def load_demo(engine, cases: int = 300, if_empty: bool = False, *, seed: int = DEFAULT_SEED,
              now: dt.datetime | None = None) -> dict[str, Any]:
    """Load the demo county into ``engine``'s database; returns a summary of what was made."""
    began = time.perf_counter()
    if if_empty and not _is_empty(engine):
        return {"loaded": False, "reason": "database not empty (users or cases exist)"}
    _ensure_deployed(engine)
    now = now or utcnow()
    rng = random.Random(seed)
    created_users = _create_users(engine)
    sim = Simulator(engine, now, rng, user_for)
    policy = CountyPolicy(rng, user_for)
    petitions = _plan(rng, cases, now, sim)
    _number(engine, petitions)
    stages: Counter[str] = Counter()
    running: list[Petition] = []
    for p in petitions:
        if p.repeat_of is None and p.seq % 37 == 0 and running:
            _make_repeat(rng, p, running)
        state = sim.start(p, _start_variables(p))
        state = sim.run(p, state, policy)
        stage = _stage(p, state)
        stages[stage] += 1
        if state.status == "running" and p.repeat_of is None:
            running.append(p)
        _evaluate(sim, rng, p)
    screening = _screening_rounds(engine, sim, rng, policy, now)
    letters = _letters(engine, sim, rng, policy, now)
    claimed = _claims(engine, sim, rng, now)
    # Issue the documents of every remaining notice now, so the first page opened after
    # loading does not do it.
    while documents.sync_documents(engine):
        pass
    with engine.unit_of_work() as s:
        figures = compute_metrics(s, (now - dt.timedelta(days=HISTORY_DAYS)).astimezone(SHANGHAI).date(),
                                  now.astimezone(SHANGHAI).date(), as_of=now)
    return {
        "loaded": True,
        "simulated_history": time_machine is not None,
        "cases": len(petitions),
        "by_stage": {STAGES[k]: stages[k] for k in STAGES if stages[k]},
        "users_created": created_users,
        "password": DEMO_PASSWORD,
        "supervision_letters": letters,
        "claimed_tasks": claimed,
        "screening_disputes": screening,
        "overdue": figures.county.overdue,
        "due_soon": figures.county.due_soon,
        "engine_commands": sim.commands,
        "seconds": round(time.perf_counter() - began, 1),
    }


def _is_empty(engine) -> bool:
    from persistence.accounts import User
    from persistence.models import Case

    with engine.unit_of_work() as s:
        return not s.scalar(select(func.count()).select_from(User)) and \
            not s.scalar(select(func.count()).select_from(Case))


def _ensure_deployed(engine) -> None:
    try:
        engine.latest_definition("petition")
        engine.latest_definition("supervision")
        engine.latest_definition("screening")
    except NotFound:
        from engine.bootstrap import deploy_folder

        deploy_folder(engine, actor="demo")


def _create_users(engine) -> int:
    """Create the missing demo users; they share one password hash (hashing is slow by design)."""
    from engine.accounts import create_user
    from persistence import accounts as repo

    created = 0
    password_hash = None
    with engine.unit_of_work() as s:
        for u in DEMO_USERS:
            if repo.find_user_by_username(s, u.username) is not None:
                continue
            if password_hash is None:  # the first one goes through the full check
                create_user(s, u.username, DEMO_PASSWORD, u.display_name, u.unit_code, list(u.roles))
                password_hash = repo.find_user_by_username(s, u.username).password_hash
            else:
                repo.add_user(s, username=u.username, display_name=u.display_name, password_hash=password_hash,
                              unit_code=u.unit_code, roles=list(u.roles), active=True, failed_logins=0)
            created += 1
    return created


def _plan(rng: random.Random, n: int, now: dt.datetime, sim: Simulator) -> list[Petition]:
    """Every petition's content and the choices that shape its history, oldest first."""
    channels, weights = zip(*CHANNEL_WEIGHTS)
    units = [u.code for u in orgchart.UNITS if u.kind in ("department",)]
    out = []
    for i in range(n):
        # More recent than old: the density falls linearly with age (mean HISTORY_DAYS / 3),
        # as in a live system where most open work is recent.
        age = HISTORY_DAYS * (1 - (1 - rng.random()) ** 0.5)
        received = sim.later(now - dt.timedelta(days=max(0.2, age)), 0)
        if received >= now:
            received = now - dt.timedelta(hours=rng.uniform(1, 20))
        who = demo_data.person(rng)
        m = demo_data.matter(rng, who, received.astimezone(SHANGHAI).year)
        unit = m.units[1] if len(m.units) > 1 and rng.random() < 0.3 else m.units[0]
        p = Petition(seq=i + 1, received_at=received, person=who, matter=m, unit=unit,
                     channel=rng.choices(channels, weights)[0], pace=SLOW_UNITS.get(unit, rng.uniform(0.75, 1.05)))
        route6 = m.category == "申诉求决" and m.demand_type in ("其他", None) or (
            m.demand_type == "拖欠工资" and m.domain != "劳动社保")
        if m.category == "检举控告" and not m.concerns_officials and rng.random() < 0.4:
            p.routing, p.assignment_days = "assign_with_feedback", rng.choice((15, 20, 30))
        if route6 and rng.random() < 0.05:
            p.routing = "not_accepted"
        elif route6 and rng.random() < 0.04:
            p.misrouted_to = rng.choice([u for u in units if u != unit])
        p.outcome = rng.choices(("support", "explain", "reject"), (15, 55, 30))[0]
        if route6 and rng.random() < 0.1:
            p.mediation = "agreement" if rng.random() < 0.7 else "no_agreement"
        p.tardy = route6 and rng.random() < 0.12
        p.hearing = route6 and rng.random() < 0.05
        p.extension = route6 and rng.random() < 0.08
        p.wants_review = route6 and p.outcome != "support" and rng.random() < 0.3
        p.wants_recheck = p.wants_review and rng.random() < 0.4
        p.recheck_hearing = rng.random() < 0.3
        p.satisfied = rng.random() < 0.9
        p.evaluates = rng.random() < 0.7
        # A stalled matter only shows once its period has run out, so older ones stall more
        # often: about one in ten open matters ends up overdue, as on a bad day in a county.
        stall_chance = (0.3 if route6 and age > 62 else 0.1) * (1.5 if unit in SLOW_UNITS else 1.0)
        if rng.random() < stall_chance:
            if route6:
                p.stall_at = rng.choices(("Task_investigate", "Task_hear_petitioner", "Task_draft_opinion",
                                          "Task_approve_opinion", "Task_review_draft"), (35, 15, 30, 10, 10))[0]
            elif m.category in ("建议意见", "检举控告"):
                p.stall_at = "Task_report" if p.routing == "assign_with_feedback" else "Task_reply"
            else:
                p.stall_at = rng.choice(("Task_channel_result", "Task_track"))
        elif rng.random() < 0.015:
            p.stall_at = "Task_classify"  # even the 信访局 is late now and then
        _maybe_near_due(rng, p, i, route6, now, sim)
        out.append(p)
    return sorted(out, key=lambda p: p.received_at)


def _maybe_near_due(rng: random.Random, p: Petition, i: int, route6: bool, now: dt.datetime,
                    sim: Simulator) -> None:
    """A few petitions are placed so that a period ends within the next days (临期)."""
    if i % 25 == 7 and (route6 or (p.matter.category == "建议意见" and p.routing == "forward")):
        # 60-day handling period, opinion not yet drafted (or reply not yet written)
        p.received_at = sim.later(now - dt.timedelta(days=rng.uniform(59.0, 63.0)), 0)
        p.stall_at, p.tardy, p.misrouted_to = ("Task_draft_opinion" if route6 else "Task_reply"), False, None
        p.routing = "forward"
    elif i % 50 == 19:
        # 15-day acceptance period, not yet classified
        p.received_at = sim.later(now - dt.timedelta(days=rng.uniform(12.6, 14.4)), 0)
        p.stall_at = "Task_classify"
    elif i % 50 in (3, 28) and route6:
        # an older matter taken to 复查 (and, for some, on to 复核): the three levels
        p.received_at = sim.later(now - dt.timedelta(days=rng.uniform(75, 118)), 0)
        p.stall_at = p.misrouted_to = p.mediation = None
        p.routing, p.outcome, p.tardy, p.extension = "forward", "reject", False, False
        p.wants_review, p.wants_recheck = True, i % 50 == 3


def _number(engine, petitions: list[Petition]) -> None:
    """Case numbers XF<yyyymmdd><nnnn> from the same allocator the registration form uses."""
    from persistence.numbering import allocate_case_number

    with engine.unit_of_work() as s:
        for p in petitions:
            p.case_no = allocate_case_number(s, p.received_at.astimezone(SHANGHAI).date())


def _make_repeat(rng: random.Random, p: Petition, running: list[Petition]) -> None:
    """The same petitioner brings the same matter again while it is being handled (第十九条)."""
    earlier = rng.choice([q for q in running if q.received_at < p.received_at] or running[:1])
    p.repeat_of, p.person, p.matter, p.unit = earlier, earlier.person, earlier.matter, earlier.unit
    p.stall_at = None


def _start_variables(p: Petition) -> dict[str, Any]:
    who, m = p.person, p.matter
    line = m.request.splitlines()[0]
    return {
        "case_no": p.case_no, "petitioner_name": who.name, "petitioner_id_number": who.id_number,
        "petitioner_phone": who.phone, "petitioner_address": who.address,
        "petitioners": [{"name": who.name, "id_number": who.id_number, "phone": who.phone, "address": who.address}],
        "channel": p.channel, "category": m.category, "domain": m.domain, "request": m.request, "facts": m.facts,
        "reasons": m.reasons, "title": f"{who.name}：{line[:40]}", "registered_by": user_for("xfj", "registrar"),
        "registered_unit": "xfj", "registering_unit": "xfj",
    }


def _stage(p: Petition, state: CaseState) -> str:
    if state.status != "running":
        if p.repeat_of is not None:
            return "linked"
        if p.routing == "not_accepted":
            return "not_accepted"
        return "terminated" if p.phase == "filed" else "completed"
    for activity in state.ready_ids:
        if activity in _STAGE_OF_TASK:
            return _STAGE_OF_TASK[activity]
        if activity.startswith("Task_review_"):
            return "review"
        if activity.startswith("Task_recheck_"):
            return "recheck"
    if state.ready:
        return "handling"
    return {"served": "review_window", "review_served": "recheck_window", "in_review": "review",
            "in_recheck": "recheck"}.get(p.phase, "handling")


def _evaluate(sim: Simulator, rng: random.Random, p: Petition) -> None:
    """The petitioner's evaluation of the answer (第二十一条), a few days after it was served."""
    if p.served_at is None or not p.evaluates or p.repeat_of is not None:
        return
    when = sim.later(p.served_at, rng.uniform(1, 10))
    if when >= sim.now:
        return
    # Through the petitioner's own path (engine.petitioner.rate_result, what the public
    # 查询 page calls): the served result document is rated, 不满意 opens a 回访 task.
    # The choice between 满意 and 基本满意 has its own generator so the demo's main
    # random sequence (and so every other figure) stays as it was.
    rating = ("满意" if random.Random(p.seq).random() < 0.75 else "基本满意") if p.satisfied else "不满意"
    with at(when):
        documents.sync_documents(sim.engine, case_id=p.case_id)
        result = petitioner.latest_served_result(sim.engine, p.case_id)
        if result is None:
            return  # settled by agreement: no written result to rate
        petitioner.rate_result(sim.engine, p.case_id, result, rating, "", when)
    sim.commands += 1


def _screening_rounds(engine, sim: Simulator, rng: random.Random, policy: CountyPolicy,
                      now: dt.datetime) -> int:
    """矛盾纠纷排查 rounds through the ``screening`` process, one about every four weeks; the
    latest is still under way. Each closed round reports its screening_result events."""
    found = 0
    towns = list(demo_data.TOWN_UNITS.values())
    for weeks_ago in (15, 11, 7, 3, 1):
        began = sim.later(now - dt.timedelta(weeks=weeks_ago, days=rng.uniform(0, 3)), 0)
        disputes = demo_data.disputes(rng, demo_data.TOWN_UNITS, rng.randrange(4, 8))
        found += len(disputes)
        track = Track(received_at=began)
        with at(began):
            info = engine.start_case(process_key="screening", variables={
                "round_name": f"{began.astimezone(SHANGHAI):%Y年%m月}矛盾纠纷起底式排查", "disputes": disputes,
                "screening_unit": rng.choice(towns)}, actor=user_for("xfj", "supervisor"))
        sim.commands += 1
        track.case_id = info.id
        sim.run(track, CaseState(info.status, list(info.tasks), info.next_timer_at), policy)
    return found


def _letters(engine, sim: Simulator, rng: random.Random, policy: CountyPolicy, now: dt.datetime) -> int:
    """The supervisor has sent 督办函 about some of the overdue cases; some units have answered."""
    from engine.accounts import get_user_by_username
    from engine.dashboard import Dashboard

    dashboard = Dashboard(engine)
    with engine.unit_of_work() as s:
        supervisor = get_user_by_username(s, user_for("xfj", "supervisor"))
    from engine import supervision_queries as queries

    with engine.unit_of_work() as s:
        late, _ = queries.late_and_due_soon(s, supervisor, as_of=now)
    issued = 0
    for row in late:
        if not row.can_supervise or row.days < 4 or rng.random() > 0.45:
            continue
        when = sim.later(row.due, rng.uniform(1, min(7, row.days - 1)))
        if when >= now:
            continue
        with at(when):
            letter = dashboard.issue_letter(supervisor, row.clock_id, {
                "reason": "overdue", "detail": f"{row.unit_name}承办的信访事项（{row.case_no}）已超过办理期限，请于收到本函之日起10日内书面答复。"},
                now=when)
        sim.commands += 2
        issued += 1
        track = Track(received_at=when, case_id=letter.supervision_case_id,
                      stall_at=None if rng.random() < 0.6 else "Task_answer_letter")
        state = CaseState("running", engine.list_tasks(case_id=letter.supervision_case_id), None)
        state.next_timer_at = engine.get_case(letter.supervision_case_id, with_variables=False).next_timer_at
        sim.run(track, state, policy)
    return issued


def _claims(engine, sim: Simulator, rng: random.Random, now: dt.datetime) -> int:
    """Part of the open tasks are already in a demo user's own list (我的待办)."""
    claimed = 0
    for task in engine.list_tasks(sort_by="created"):
        if task.assignee or not task.candidate_groups or rng.random() > 0.55:
            continue
        unit, role = orgchart.split_group(task.candidate_groups[0])
        username = _BY_SEAT.get((unit, role))
        if username is None:
            continue
        when = min(task.created_at + dt.timedelta(hours=rng.uniform(0.5, 30)), now - dt.timedelta(minutes=5))
        sim.claim(task, username, max(when, task.created_at))
        claimed += 1
    return claimed
