"""Definitions of the handling-family processes; writes them into ``processes/``.

    .venv/bin/python tools/procgen_defs.py            # regenerate all five files
    .venv/bin/python tools/procgen_defs.py handling   # only some

Processes (keys): ``handling`` (办理 → 复查/复核 requests → 终结与备案), ``review`` (复查),
``recheck`` (复核), ``supervision`` (督查督办), ``screening`` (矛盾纠纷排查).
Article numbers are the 《信访工作条例》's.  Periods always come from the calendar through
``clock_start(kind)``; only the warning lead times (days before due) are written here.

Design choices worth knowing before editing:

* Warning/escalation timers sit on *stages* (sub-processes or tasks) that start after
  the last change of their clock: the 60-day handling is split into 调查核实阶段 and
  出具处理意见阶段 around the extension decision, and 复核 into 复核审查 and 出具复核意见
  around the hearing.  A boundary timer evaluates its expression against the data its
  stage started with, so a stage begun after ``clock_extend``/``clock_resume`` arms on
  the moved due without relying on re-arming.
* The 复查/复核 request windows are receive tasks bounded by an interrupting timer, not
  event-based gateways: a request that arrives after the window's due but before the
  scheduler fired the timer must take exactly one path (it is then refused as late).
* A 复查 request during 执行督促 interrupts the follow-up and enters the same late/in-time
  check as one that arrives while waiting.
* Termination (终结) sets ``matter_status = 'terminated'`` before the 备案 task, so a
  repeat petition is refused from that moment (第三十六条第三款).
* Warning and escalation branches only append to ``notices`` (and set a flag); they
  never move clocks or other case data.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from procgen import FormField as F  # noqa: E402
from procgen import Process  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "processes"

INIT_NOTICES = """\
try:
    notices = list(notices)
except Exception:
    notices = []"""

OUTCOMES = [("support", "予以支持"), ("explain", "作出解释说明"), ("reject", "不予支持")]
APPROVAL = [("approve", "同意签发"), ("return", "退回修改")]
SERVICE = [("direct", "直接送达"), ("mail", "邮寄送达"), ("electronic", "电子送达"), ("left", "留置送达")]
DECISIONS = [("uphold", "维持原处理意见"), ("revise", "变更原处理意见"), ("revoke", "撤销原处理意见")]

# The county's 14 accountability situations (seed: "细化14项追责情形"), each tied to the
# article of the 条例 it refines.  The seed names the number, not the list; this list
# splits 第四十二条 to 第四十六条 into 14 situations a supervisor can pick from.
ACCOUNTABILITY = [
    ("not_registered", "对收到的信访事项不按规定登记", "第四十三条、第四十四条第（一）项"),
    ("refused_acceptance", "对属于职权范围的信访事项不予受理", "第四十四条第（二）项"),
    ("not_routed", "应当转送、交办而未按规定转送、交办", "第四十三条"),
    ("acceptance_not_notified", "未在规定期限内书面告知信访人是否受理", "第四十四条第（三）项"),
    ("shirking_delay", "推诿、敷衍、拖延信访事项办理", "第四十五条第（一）项"),
    ("overdue_handling", "未在规定期限内办结信访事项", "第四十五条第（一）项"),
    ("request_not_supported", "对事实清楚、符合规定的投诉请求未予支持", "第四十五条第（二）项"),
    ("opinion_not_executed", "拒不执行支持信访请求的处理意见", "第四十二条第（四）项"),
    ("abuse_causing_petition", "超越或者滥用职权、不作为或违反法定程序导致信访事项发生", "第四十二条第（一）至（三）项"),
    ("supervision_neglected", "应当履行督促检查职责而未履行", "第四十三条"),
    ("misconduct_to_petitioner", "对待信访人态度恶劣、作风粗暴或吃拿卡要", "第四十六条第（一）、（二）项"),
    ("concealed_or_mishandled", "对重大紧急信访事项隐瞒、谎报、缓报或处置不力", "第四十六条第（三）、（四）项"),
    ("leaked_accusation", "将检举、揭发材料或有关情况透露、转给被检举、揭发的人员或单位", "第四十六条第（五）项、第三十条第三款"),
    ("retaliation", "打击报复信访人", "第四十六条第（六）项"),
]


def notice(kind: str, title: str, to: str, extra: str = "") -> str:
    """A script line appending one notice ``{kind, title, at, to}`` to ``notices``.

    ``kind`` (the document type, in Chinese as elsewhere in processes/), ``title``, ``to``
    and ``extra`` are Python expressions.
    """
    more = f", {extra}" if extra else ""
    return (f"notices = notices + [{{'kind': {kind}, 'title': {title}, 'at': now(), "
            f"'to': {to}{more}}}]")


def q(text: str) -> str:
    return repr(text)


def due_timers(cont, host, clock: str, *, warn_days: int, warn_title: str,
               warn_to: str, overdue_title: str, warn_flag: str, overdue_flag: str,
               warn_row: int, due_row: int, warn_col, due_col, warn_slot, due_slot, warn_edge="bottom",
               warn_dx=None, due_dx=None):
    """Non-interrupting warning (``warn_days`` before due) and escalation (at due) on ``host``."""
    p = host
    wcol, wecol = warn_col
    dcol, decol = due_col
    cont.boundary_timer(f"Timer_{p}_warn", f"届满前{warn_days}日预警", p,
                        when=f"${{clock_warn({clock}, {warn_days})}}", interrupting=False,
                        slot=warn_slot, edge=warn_edge)
    cont.boundary_timer(f"Timer_{p}_due", "期限届满", p, when=f"${{clock_due({clock})}}",
                        interrupting=False, slot=due_slot)
    cont.script(f"Script_{p}_warn", "发出期限预警", wcol, warn_row, dx=warn_dx[0] if warn_dx else None,
                code=f"{warn_flag} = True\n" + notice(q("风险提醒函"), q(warn_title), warn_to,
                                                      f"'due': clock_due({clock})"))
    cont.end(f"End_{p}_warn", "已预警", wecol, warn_row, dx=warn_dx[1] if warn_dx else None)
    cont.script(f"Script_{p}_due", "逾期上报督办", dcol, due_row, dx=due_dx[0] if due_dx else None,
                code=f"{overdue_flag} = True\n" + notice(q("逾期督办提请"), q(overdue_title), "'xfj'",
                                                         f"'unit': {warn_to}, 'due': clock_due({clock})"))
    cont.end(f"End_{p}_due", "已上报", decol, due_row, dx=due_dx[1] if due_dx else None)
    cont.flow(f"Timer_{p}_warn", f"Script_{p}_warn")
    cont.flow(f"Script_{p}_warn", f"End_{p}_warn")
    cont.flow(f"Timer_{p}_due", f"Script_{p}_due")
    cont.flow(f"Script_{p}_due", f"End_{p}_due")


# --------------------------------------------------------------------------- handling
def handling() -> Process:
    p = Process("handling", "信访事项办理、复查复核与终结备案", doc=(
        "申诉求决类信访事项第六类途径（《信访工作条例》第三十一条第（六）项）的办理及其后续："
        "调查核实、听取信访人意见（第三十一条第（六）项）；调解或和解，达成调解协议书/和解协议书即结案"
        "（第三十三条）；重大、复杂、疑难事项可举行听证（第三十一条第（六）项）；出具信访处理意见书，"
        "予以支持、作出解释说明或不予支持三者择一，予以支持的督促执行（第三十二条）；"
        "自受理之日起六十日内办结，情况复杂的经本单位负责人批准可延长一次、不超过三十日，"
        "并告知信访人延期理由（第三十四条）。送达后信访人可在三十日内请求上一级机关复查（第三十五条），"
        "对复查意见不服可在三十日内请求复查机关的上一级机关复核（第三十六条）；逾期申请不予受理。"
        "复核意见作出后、申请期限届满未申请或调解结案的，事项终结，报省信访局备案退出，"
        "同一事实和理由再次信访的不再受理（第三十六条第三款）。办理期限届满前预警、届满时上报督办"
        "（第四十条）。期限一律由业务日历计算（clock_start），不写天数。"))
    review_msg = p.message("review_request")
    recheck_msg = p.message("recheck_request")

    # main row 1 ---------------------------------------------------------------
    p.start("Start_handling", "交办办理", 0, 1)
    p.script("Script_handling_start", "起算六十日办理期限", 1, 1, code=INIT_NOTICES + """
clock_handling = clock_start('handling')
matter_status = 'in_handling'
try_mediation = False
hold_hearing = False
request_extension = False
mediation_settled = False
agreement_no = ''
termination_reason = None
review_received_at = None
recheck_received_at = None""", doc="第三十四条：自受理之日起六十日内办结；期限由业务日历计算。")

    inv = p.sub("Sub_investigation", "调查核实阶段", 2, 1,
                doc="调查核实、听取信访人意见，可调解（第三十三条）或听证（第三十一条第（六）项）。")
    inv.start("Start_investigation", "开始调查", 0, 1)
    hdue = "${clock_due(clock_handling)}"
    hgroup = "${handling_unit}:handler"
    inv.user("Task_investigate", "调查核实", 1, 1, groups=hgroup, due=hdue, form=[
        F("investigation_findings", "调查核实情况", constraints={"maxlength": 4000}),
        F("evidence_list", "证据材料清单", required=False, constraints={"maxlength": 2000}),
        F("facts_verified", "反映的主要事实已查清", "boolean", required=False),
    ])
    inv.user("Task_hear_petitioner", "听取信访人意见", 2, 1, groups=hgroup, due=hdue, form=[
        F("hearing_method", "听取意见方式", "enum", values=[
            ("in_person", "当面听取"), ("phone", "电话听取"), ("video", "视频听取"), ("written", "书面听取")]),
        F("petitioner_opinion", "信访人意见及诉求", constraints={"maxlength": 4000}),
        F("try_mediation", "组织调解（司法+信访）", "boolean", required=False),
        F("hold_hearing", "举行听证（重大、复杂、疑难事项）", "boolean", required=False),
        F("request_extension", "情况复杂，申请延长办理期限", "boolean", required=False),
    ])
    inv.xor("Gw_mediation", "组织调解？", 3, 1)
    inv.user("Task_mediate", "组织调解", 4, 1, groups=hgroup, due=hdue, form=[
        F("mediation_result", "调解结果", "enum", values=[
            ("agreement", "达成调解（和解）协议"), ("no_agreement", "未达成协议")]),
        F("agreement_type", "协议类型", "enum", required=False, default="mediation", values=[
            ("mediation", "调解协议书"), ("settlement", "和解协议书")]),
        F("agreement_no", "协议编号", required=False, constraints={"maxlength": 64}),
        F("mediation_summary", "调解情况", constraints={"maxlength": 4000}),
    ], doc="第三十三条：可以依法调解、和解；达成协议的制作调解协议书或和解协议书。")
    inv.xor("Gw_mediation_result", "达成协议？", 5, 1)
    inv.script("Script_settle", "调解结案", 6, 1, code="""
mediation_settled = True
matter_status = 'settled'
outcome = 'settled'
termination_reason = 'settled'
clock_handling = clock_stop(clock_handling)
""" + notice("'和解协议书' if agreement_type == 'settlement' else '调解协议书'", "'和解协议书' if agreement_type == 'settlement' else '调解协议书'",
             "petitioner_name", "'agreement_no': agreement_no"))
    inv.end("End_investigation_settled", "调解结案", 7, 1)
    inv.xor("Gw_mediation_merge", "", 5, 2)
    inv.xor("Gw_hearing", "举行听证？", 6, 2)
    inv.user("Task_hearing", "组织听证", 7, 2, groups=hgroup, due=hdue, form=[
        F("hearing_date", "听证日期", "date"),
        F("hearing_participants", "听证参加人", constraints={"maxlength": 1000}),
        F("hearing_conclusion", "听证意见", constraints={"maxlength": 4000}),
    ])
    inv.xor("Gw_hearing_merge", "", 8, 2)
    inv.end("End_investigation_done", "调查核实完成", 9, 2)
    inv.chain("Start_investigation", "Task_investigate", "Task_hear_petitioner", "Gw_mediation")
    inv.flow("Gw_mediation", "Task_mediate", "调解", condition="${try_mediation}")
    inv.flow("Gw_mediation", "Gw_mediation_merge", "不调解", default=True)
    inv.flow("Task_mediate", "Gw_mediation_result")
    inv.flow("Gw_mediation_result", "Script_settle", "达成协议",
             condition="${mediation_result == 'agreement'}")
    inv.flow("Gw_mediation_result", "Gw_mediation_merge", "未达成", default=True)
    inv.flow("Script_settle", "End_investigation_settled")
    inv.flow("Gw_mediation_merge", "Gw_hearing")
    inv.flow("Gw_hearing", "Task_hearing", "听证", condition="${hold_hearing}")
    inv.flow("Gw_hearing", "Gw_hearing_merge", "不听证", default=True, detour="below")
    inv.flow("Task_hearing", "Gw_hearing_merge")
    inv.flow("Gw_hearing_merge", "End_investigation_done")
    due_timers(p, "Sub_investigation", "clock_handling", warn_days=7,
               warn_title="办理期限即将届满风险提醒函", warn_to="handling_unit", overdue_title="办理超期提请督办",
               warn_flag="handling_warned", overdue_flag="handling_overdue",
               warn_row=2, due_row=2, warn_col=(2, 2), due_col=(2, 2), warn_slot=120, due_slot=420,
               warn_dx=(70, 220), due_dx=(370, 520))

    p.xor("Gw_settled", "调解结案？", 3, 1)
    p.xor("Gw_extension", "申请延期？", 4, 1)
    p.user("Task_approve_extension", "审批延长办理期限", 5, 1, groups="${handling_unit}:head", due=hdue, form=[
        F("extension_approved", "批准延长办理期限", "boolean", required=False),
        F("extension_days", "延长天数（不超过三十日）", "long", default="30", constraints={"min": 1, "max": 30}),
        F("extension_reason", "延期理由（告知信访人）", constraints={"maxlength": 500}),
    ], doc="第三十四条：情况复杂的，经本机关、单位负责人批准，可以适当延长办理期限，但延长期限不得超过三十日。")
    p.xor("Gw_extension_approved", "批准延期？", 6, 1)
    p.script("Script_extend", "延长期限并告知信访人", 7, 1, code="""
clock_handling = clock_extend(clock_handling, extension_days, reason=extension_reason)
handling_extended = True
""" + notice(q("延长办理期限告知书"), q("延长办理期限告知书"), "petitioner_name",
             "'reason': extension_reason, 'due': clock_due(clock_handling)"))
    p.xor("Gw_extension_merge", "", 8, 1)

    op = p.sub("Sub_opinion", "出具处理意见阶段", 9, 1,
               doc="第三十二条：信访处理意见书载明请求、事实、理由、处理意见及其依据，三种结果择一。")
    op.start("Start_opinion", "开始出具意见", 0, 1)
    op.xor("Gw_draft_merge", "", 1, 1)
    op.user("Task_draft_opinion", "起草信访处理意见书", 2, 1, groups=hgroup, due=hdue, form=[
        F("opinion_outcome", "处理意见", "enum", values=OUTCOMES),
        F("opinion_facts", "认定的事实", constraints={"maxlength": 4000}),
        F("opinion_basis", "处理依据（法律、法规、政策）", constraints={"maxlength": 2000}),
        F("opinion_text", "处理意见书正文", constraints={"maxlength": 8000}),
    ])
    op.user("Task_approve_opinion", "审批信访处理意见书", 3, 1, groups="${handling_unit}:head", due=hdue, form=[
        F("opinion_approval", "审批结论", "enum", values=APPROVAL),
        F("approval_comment", "审批意见", required=False, constraints={"maxlength": 1000}),
    ])
    op.xor("Gw_opinion_approved", "审批结论？", 4, 1)
    op.user("Task_serve_opinion", "送达信访处理意见书", 5, 1, groups=hgroup, due=hdue, form=[
        F("served_on", "送达日期", "date"),
        F("service_method", "送达方式", "enum", values=SERVICE),
        F("service_receipt", "送达回证编号", required=False, constraints={"maxlength": 64}),
    ])
    op.script("Script_opinion_served", "办结并起算复查申请期限", 6, 1, code="""
outcome = opinion_outcome
clock_handling = clock_stop(clock_handling)
clock_review_window = clock_start('review_window', start=served_on)
""" + notice(q("信访处理意见书"), q("信访处理意见书"), "petitioner_name", "'outcome': opinion_outcome"),
              doc="第三十五条：信访人可自收到书面答复之日起三十日内请求复查；申请期限自送达日起算。")
    op.end("End_opinion", "意见书已送达", 7, 1)
    op.chain("Start_opinion", "Gw_draft_merge", "Task_draft_opinion", "Task_approve_opinion",
             "Gw_opinion_approved")
    op.flow("Gw_opinion_approved", "Gw_draft_merge", "退回修改",
            condition="${opinion_approval == 'return'}", back=True)
    op.flow("Gw_opinion_approved", "Task_serve_opinion", "同意签发", default=True)
    op.chain("Task_serve_opinion", "Script_opinion_served", "End_opinion")
    due_timers(p, "Sub_opinion", "clock_handling", warn_days=7,
               warn_title="办理期限即将届满风险提醒函", warn_to="handling_unit", overdue_title="办理超期提请督办",
               warn_flag="handling_warned", overdue_flag="handling_overdue",
               warn_row=2, due_row=2, warn_col=(9, 9), due_col=(9, 9), warn_slot=120, due_slot=420,
               warn_dx=(70, 220), due_dx=(370, 520))

    p.xor("Gw_supported", "予以支持？", 10, 1)
    ex = p.sub("Sub_execution", "执行督促", 11, 1,
               doc="第三十二条：对予以支持的，督促有关机关、单位执行。")
    ex.start("Start_execution", "开始执行督促", 0, 1)
    ex.xor("Gw_execution_merge", "", 1, 1)
    ex.user("Task_execute_opinion", "落实处理意见", 2, 1, groups=hgroup, form=[
        F("execution_measures", "落实措施及结果", constraints={"maxlength": 4000}),
        F("execution_completed", "已落实到位", "boolean", required=False),
    ])
    ex.user("Task_check_execution", "督促检查执行情况", 3, 1, groups="xfj:supervisor", form=[
        F("execution_verified", "检查结论", "enum", values=[("done", "已落实"), ("not_done", "未落实")]),
        F("execution_check_note", "检查情况", required=False, constraints={"maxlength": 2000}),
    ])
    ex.xor("Gw_executed", "已落实？", 4, 1)
    ex.script("Script_urge_execution", "发出督促执行通知", 4, 2,
              code=notice(q("督促执行通知书"), q("督促执行通知书"), "handling_unit"))
    ex.end("End_execution", "已执行", 5, 1)
    ex.chain("Start_execution", "Gw_execution_merge", "Task_execute_opinion", "Task_check_execution",
             "Gw_executed")
    ex.flow("Gw_executed", "Script_urge_execution", "未落实", condition="${execution_verified == 'not_done'}")
    ex.flow("Gw_executed", "End_execution", "已落实", default=True)
    ex.flow("Script_urge_execution", "Gw_execution_merge", back=True)
    p.boundary_message("Msg_review_during_execution", "执行期间收到复查申请", "Sub_execution",
                       message=review_msg, interrupting=True, slot=0.8, edge="top")

    p.xor("Gw_support_merge", "", 12, 1)
    p.receive("Receive_review_request", "等待复查申请", 14, 1, message=review_msg,
              doc="第三十五条：信访人自收到书面答复之日起三十日内可以请求复查；期满未申请的，事项终结。")
    p.boundary_timer("Timer_review_window", "复查申请期限届满", "Receive_review_request",
                     when="${clock_due(clock_review_window)}", interrupting=True)
    p.script("Script_review_lapsed", "记录未申请复查", 14, 5, code="""
termination_reason = 'review_window_lapsed'
clock_review_window = clock_stop(clock_review_window)""")
    p.xor("Gw_review_request_merge", "", 15, 1)
    p.script("Script_check_review_request", "审查复查申请期限", 16, 1, code="""
review_late = clock_remaining_days(clock_review_window, now=review_received_at) < 0
clock_review_window = clock_stop(clock_review_window, at=review_received_at)""",
             doc="第三十五条：自收到书面答复之日起三十日内请求复查；review_received_at 为收到申请的时间（缺省为现在）。")
    p.xor("Gw_review_in_time", "申请逾期？", 17, 1)
    p.script("Script_review_late", "逾期复查申请不予受理", 17, 4, code="termination_reason = 'review_request_late'\n"
             + notice(q("不予受理告知书"), q("复查申请逾期不予受理告知书"), "petitioner_name"))
    p.call("Call_review", "复查", 18, 1, called="review",
           doc="由原办理机关的上一级机关 superior(handling_unit) 复查（第三十五条）。")
    p.receive("Receive_recheck_request", "等待复核申请", 20, 1, message=recheck_msg,
              doc="第三十六条：信访人自收到复查意见之日起三十日内可以请求复核；期满未申请的，事项终结。")
    p.boundary_timer("Timer_recheck_window", "复核申请期限届满", "Receive_recheck_request",
                     when="${clock_due(clock_recheck_window)}", interrupting=True)
    p.script("Script_recheck_lapsed", "记录未申请复核", 20, 3, code="""
termination_reason = 'recheck_window_lapsed'
clock_recheck_window = clock_stop(clock_recheck_window)""")
    p.script("Script_check_recheck_request", "审查复核申请期限", 21, 1, code="""
recheck_late = clock_remaining_days(clock_recheck_window, now=recheck_received_at) < 0
clock_recheck_window = clock_stop(clock_recheck_window, at=recheck_received_at)""",
             doc="第三十六条：自收到复查意见之日起三十日内请求复核。")
    p.xor("Gw_recheck_in_time", "申请逾期？", 22, 1)
    p.script("Script_recheck_late", "逾期复核申请不予受理", 22, 2, code="termination_reason = 'recheck_request_late'\n"
             + notice(q("不予受理告知书"), q("复核申请逾期不予受理告知书"), "petitioner_name"))
    p.call("Call_recheck", "复核", 23, 1, called="recheck",
           doc="由复查机关的上一级机关复核（第三十六条）。")
    p.xor("Gw_termination_merge", "", 24, 1)
    p.script("Script_terminate", "终结信访事项", 25, 1, code="""
matter_status = 'terminated'
terminated_at = now()""", doc="第三十六条第三款：终结后以同一事实和理由提出的信访请求不再受理。")
    p.user("Task_filing", "报省信访局备案", 26, 1, groups="xfj:registrar", form=[
        F("filing_summary", "终结情况摘要", constraints={"maxlength": 4000}),
        F("filing_no", "备案编号", required=False, constraints={"maxlength": 64}),
    ], doc="县级实践：三级终结、期限届满或调解结案的信访事项报省信访局备案退出。")
    p.script("Script_filed", "记录备案报告", 27, 1, code="filed = True\n" + notice(
        q("备案报告"), q("信访事项终结备案报告"), "'province-xfj'", "'reason': termination_reason"))
    p.end("End_terminated", "终结并备案", 28, 1)

    p.chain("Start_handling", "Script_handling_start", "Sub_investigation", "Gw_settled")
    p.flow("Gw_settled", "Gw_termination_merge", "调解结案", condition="${mediation_settled}",
           detour="above", offset=40)
    p.flow("Gw_settled", "Gw_extension", "继续办理", default=True)
    p.flow("Gw_extension", "Task_approve_extension", "申请延期", condition="${request_extension}")
    p.flow("Gw_extension", "Gw_extension_merge", "不延期", default=True, detour="above")
    p.flow("Task_approve_extension", "Gw_extension_approved")
    p.flow("Gw_extension_approved", "Script_extend", "批准", condition="${extension_approved}")
    p.flow("Gw_extension_approved", "Gw_extension_merge", "不批准", default=True, detour="below")
    p.flow("Script_extend", "Gw_extension_merge")
    p.chain("Gw_extension_merge", "Sub_opinion", "Gw_supported")
    p.flow("Gw_supported", "Sub_execution", "予以支持", condition="${opinion_outcome == 'support'}")
    p.flow("Gw_supported", "Gw_support_merge", "解释说明或不予支持", default=True, detour="below")
    p.flow("Sub_execution", "Gw_support_merge")
    p.flow("Msg_review_during_execution", "Gw_review_request_merge", detour="above")
    p.flow("Gw_support_merge", "Receive_review_request")
    p.flow("Receive_review_request", "Gw_review_request_merge")
    p.flow("Timer_review_window", "Script_review_lapsed")
    p.flow("Script_review_lapsed", "Gw_termination_merge")
    p.flow("Gw_review_request_merge", "Script_check_review_request")
    p.flow("Script_check_review_request", "Gw_review_in_time")
    p.flow("Gw_review_in_time", "Script_review_late", "逾期", condition="${review_late}")
    p.flow("Gw_review_in_time", "Call_review", "期限内", default=True)
    p.flow("Script_review_late", "Gw_termination_merge")
    p.flow("Call_review", "Receive_recheck_request")
    p.flow("Timer_recheck_window", "Script_recheck_lapsed")
    p.flow("Script_recheck_lapsed", "Gw_termination_merge")
    p.flow("Receive_recheck_request", "Script_check_recheck_request")
    p.flow("Script_check_recheck_request", "Gw_recheck_in_time")
    p.flow("Gw_recheck_in_time", "Script_recheck_late", "逾期", condition="${recheck_late}")
    p.flow("Gw_recheck_in_time", "Call_recheck", "期限内", default=True)
    p.flow("Script_recheck_late", "Gw_termination_merge")
    p.flow("Call_recheck", "Gw_termination_merge")
    p.chain("Gw_termination_merge", "Script_terminate", "Task_filing", "Script_filed", "End_terminated")
    return p


# --------------------------------------------------------------------------- review / recheck
def opinion_stage(cont, prefix: str, level: str, unit_var: str, clock: str, decision_var: str,
                  outcome_var: str, served_var: str, after_serve: str):
    """Draft → head approval (may send back) → serve → record, inside an expanded sub-process."""
    group, head, due = f"${{{unit_var}}}:handler", f"${{{unit_var}}}:head", f"${{clock_due({clock})}}"
    cont.start(f"Start_{prefix}_opinion", "开始出具意见", 0, 1)
    cont.xor(f"Gw_{prefix}_draft_merge", "", 1, 1)
    cont.user(f"Task_{prefix}_draft", f"起草{level}意见书", 2, 1, groups=group, due=due, form=[
        F(f"{prefix}_findings", f"{level}认定的事实", constraints={"maxlength": 4000}),
        F(decision_var, f"{level}结论", "enum", values=DECISIONS),
        F(outcome_var, f"{level}后的处理结果", "enum", values=OUTCOMES),
        F(f"{prefix}_basis", f"{level}依据", constraints={"maxlength": 2000}),
    ])
    cont.user(f"Task_{prefix}_approve", f"审批{level}意见书", 3, 1, groups=head, due=due, form=[
        F(f"{prefix}_approval", "审批结论", "enum", values=APPROVAL),
        F(f"{prefix}_approval_comment", "审批意见", required=False, constraints={"maxlength": 1000}),
    ])
    cont.xor(f"Gw_{prefix}_approved", "审批结论？", 4, 1)
    cont.user(f"Task_{prefix}_serve", f"送达{level}意见书", 5, 1, groups=group, due=due, form=[
        F(served_var, "送达日期", "date"),
        F(f"{prefix}_service_method", "送达方式", "enum", values=SERVICE),
    ])
    cont.script(f"Script_{prefix}_served", f"记录{level}意见送达", 6, 1, code=after_serve)
    cont.end(f"End_{prefix}_opinion", f"{level}意见已送达", 7, 1)
    cont.chain(f"Start_{prefix}_opinion", f"Gw_{prefix}_draft_merge", f"Task_{prefix}_draft",
               f"Task_{prefix}_approve", f"Gw_{prefix}_approved")
    cont.flow(f"Gw_{prefix}_approved", f"Gw_{prefix}_draft_merge", "退回修改",
              condition=f"${{{prefix}_approval == 'return'}}", back=True)
    cont.flow(f"Gw_{prefix}_approved", f"Task_{prefix}_serve", "同意签发", default=True)
    cont.chain(f"Task_{prefix}_serve", f"Script_{prefix}_served", f"End_{prefix}_opinion")


def review() -> Process:
    p = Process("review", "复查", doc=(
        "复查（《信访工作条例》第三十五条）：信访人对信访处理意见不服，自收到书面答复之日起三十日内"
        "请求原办理机关的上一级机关复查；复查机关自收到复查请求之日起三十日内提出复查意见，"
        "并予以书面答复。由 handling 流程在收到 review_request 消息且未逾期时调用；"
        "复查机关为 superior(handling_unit)，候选组 ${review_unit}:handler / ${review_unit}:head。"
        "送达复查意见书后起算三十日复核申请期限（第三十六条）。期限届满前预警、届满上报督办（第四十条）。"))
    p.start("Start_review", "受理复查申请", 0, 1)
    p.script("Script_review_start", "确定复查机关并起算期限", 1, 1, code=INIT_NOTICES + """
review_unit = superior(handling_unit)
clock_review = clock_start('review', start=review_received_at)
""" + notice(q("受理告知书"), q("复查申请受理告知书"), "petitioner_name", "'unit': review_unit"))
    sub = p.sub("Sub_review", "复查办理（三十日）", 2, 1, doc="第三十五条：三十日内提出复查意见并书面答复。")
    opinion_stage(sub, "review", "复查", "review_unit", "clock_review", "review_decision", "review_outcome",
                  "review_served_on", """
outcome = review_outcome
clock_review = clock_stop(clock_review)
clock_recheck_window = clock_start('recheck_window', start=review_served_on)
""" + notice(q("复查意见书"), q("复查意见书"), "petitioner_name",
             "'unit': review_unit, 'decision': review_decision, 'outcome': review_outcome"))
    due_timers(p, "Sub_review", "clock_review", warn_days=5,
               warn_title="复查期限即将届满风险提醒函", warn_to="review_unit", overdue_title="复查超期提请督办",
               warn_flag="review_warned", overdue_flag="review_overdue",
               warn_row=2, due_row=2, warn_col=(2, 2), due_col=(2, 2), warn_slot=120, due_slot=420,
               warn_dx=(70, 220), due_dx=(370, 520))
    p.end("End_review", "复查完毕", 3, 1)
    p.chain("Start_review", "Script_review_start", "Sub_review", "End_review")
    return p


def recheck() -> Process:
    p = Process("recheck", "复核", doc=(
        "复核（《信访工作条例》第三十六条）：信访人对复查意见不服，自收到书面答复之日起三十日内"
        "向复查机关的上一级机关请求复核；复核机关自收到复核请求之日起三十日内提出复核意见。"
        "复核机关可以按照第三十一条第（六）项举行听证，听证所需时间不计算在前款规定的期限内"
        "（clock_pause / clock_resume）。复核意见作出后，信访人以同一事实和理由提出的信访请求不再受理"
        "（第三十六条第三款），由 handling 流程终结并报备案。复核机关为 superior(review_unit)。"))
    p.start("Start_recheck", "受理复核申请", 0, 1)
    p.script("Script_recheck_start", "确定复核机关并起算期限", 1, 1, code=INIT_NOTICES + """
recheck_unit = superior(review_unit)
clock_recheck = clock_start('recheck', start=recheck_received_at)
hold_recheck_hearing = False
""" + notice(q("受理告知书"), q("复核申请受理告知书"), "petitioner_name", "'unit': recheck_unit"))
    rdue = "${clock_due(clock_recheck)}"
    p.user("Task_recheck_examine", "复核审查", 2, 1, groups="${recheck_unit}:handler", due=rdue, form=[
        F("recheck_examination", "审查情况", constraints={"maxlength": 4000}),
        F("hold_recheck_hearing", "举行听证（听证时间不计入复核期限）", "boolean", required=False),
    ])
    p.boundary_timer("Timer_recheck_examine_warn", "届满前5日预警", "Task_recheck_examine",
                     when="${clock_warn(clock_recheck, 5)}", interrupting=False, slot=0.5, edge="top")
    p.boundary_timer("Timer_recheck_examine_due", "期限届满", "Task_recheck_examine",
                     when=rdue, interrupting=False, slot=0.5)
    p.script("Script_recheck_examine_warn", "发出期限预警", 2, 0, code="recheck_warned = True\n" + notice(
        q("风险提醒函"), q("复核期限即将届满风险提醒函"), "recheck_unit", "'due': clock_due(clock_recheck)"))
    p.end("End_recheck_examine_warn", "已预警", 3, 0)
    p.script("Script_recheck_examine_due", "逾期上报督办", 2, 2, code="recheck_overdue = True\n" + notice(
        q("逾期督办提请"), q("复核超期提请督办"), "'xfj'",
        "'unit': recheck_unit, 'due': clock_due(clock_recheck)"))
    p.end("End_recheck_examine_due", "已上报", 3, 2)
    p.xor("Gw_recheck_hearing", "举行听证？", 3, 1)
    p.script("Script_pause_recheck", "听证期间暂停计时", 4, 1, code="clock_recheck = clock_pause(clock_recheck)\n"
             + notice(q("听证通知书"), q("复核听证通知书"), "petitioner_name"),
             doc="第三十六条：听证所需时间不计算在复核期限内。")
    p.user("Task_recheck_hearing", "组织复核听证", 5, 1, groups="${recheck_unit}:handler", form=[
        F("recheck_hearing_date", "听证日期", "date"),
        F("recheck_hearing_participants", "听证参加人", constraints={"maxlength": 1000}),
        F("recheck_hearing_conclusion", "听证意见", constraints={"maxlength": 4000}),
    ])
    p.script("Script_resume_recheck", "听证结束恢复计时", 6, 1, code="clock_recheck = clock_resume(clock_recheck)")
    p.xor("Gw_recheck_hearing_merge", "", 7, 1)
    sub = p.sub("Sub_recheck_opinion", "出具复核意见", 8, 1, doc="第三十六条：三十日内提出复核意见。")
    opinion_stage(sub, "recheck", "复核", "recheck_unit", "clock_recheck", "recheck_decision",
                  "recheck_outcome", "recheck_served_on", """
outcome = recheck_outcome
clock_recheck = clock_stop(clock_recheck)
termination_reason = 'three_level'
""" + notice(q("复核意见书"), q("复核意见书"), "petitioner_name",
             "'unit': recheck_unit, 'decision': recheck_decision, 'outcome': recheck_outcome"))
    due_timers(p, "Sub_recheck_opinion", "clock_recheck", warn_days=5,
               warn_title="复核期限即将届满风险提醒函", warn_to="recheck_unit", overdue_title="复核超期提请督办",
               warn_flag="recheck_warned", overdue_flag="recheck_overdue",
               warn_row=2, due_row=2, warn_col=(8, 8), due_col=(8, 8), warn_slot=120, due_slot=420,
               warn_dx=(70, 220), due_dx=(370, 520))
    p.end("End_recheck", "复核完毕", 9, 1)
    p.flow("Timer_recheck_examine_warn", "Script_recheck_examine_warn")
    p.flow("Script_recheck_examine_warn", "End_recheck_examine_warn")
    p.flow("Timer_recheck_examine_due", "Script_recheck_examine_due")
    p.flow("Script_recheck_examine_due", "End_recheck_examine_due")
    p.chain("Start_recheck", "Script_recheck_start", "Task_recheck_examine", "Gw_recheck_hearing")
    p.flow("Gw_recheck_hearing", "Script_pause_recheck", "听证", condition="${hold_recheck_hearing}")
    p.flow("Gw_recheck_hearing", "Gw_recheck_hearing_merge", "不听证", default=True, detour="above")
    p.chain("Script_pause_recheck", "Task_recheck_hearing", "Script_resume_recheck", "Gw_recheck_hearing_merge",
            "Sub_recheck_opinion", "End_recheck")
    return p


# --------------------------------------------------------------------------- supervision
def supervision() -> Process:
    situations = "{" + ", ".join(f"{q(c)}: {q(label)}" for c, label, _ in ACCOUNTABILITY) + "}"
    articles = "{" + ", ".join(f"{q(c)}: {q(art)}" for c, _, art in ACCOUNTABILITY) + "}"
    p = Process("supervision", "督查督办", doc=(
        "督查督办（《信访工作条例》第四十条；追责第四十二条至第四十六条；县“日调度、周通报、月分析”实践）："
        "即将逾期的发风险提醒函，限期反馈；逾期或受理、办理不规范（推诿、敷衍、拖延、弄虚作假、"
        "拒不执行处理意见等）的发督办函，被督办单位限期书面答复（clock_start('supervision_answer')）；"
        "答复不合格或逾期未答复的再次督办，屡次督办不力的认定县问责办法十四项追责情形之一，"
        "生成问责记录并提出追责建议。由督查员发起或由逾期升级发起，启动变量：target_case_id（被督办案件）、"
        "target_unit（被督办单位）、supervision_reason（due_soon 即将逾期 / overdue 逾期 / irregular 不规范）、"
        "supervision_detail（情况说明）。"))
    p.start("Start_supervision", "启动督查督办", 0, 1)
    p.script("Script_supervision_start", "登记督查事项", 1, 1, code=INIT_NOTICES + """
supervision_letters = 0
supervision_failures = 0
accountability_record = None""")
    p.xor("Gw_supervision_kind", "督查类型？", 2, 1)
    p.script("Script_risk_letter", "发出风险提醒函", 3, 2, code="""
clock_risk_reminder_answer = clock_start('risk_reminder_answer')
""" + notice(q("风险提醒函"), q("信访事项风险提醒函"), "target_unit",
             "'case': target_case_id, 'due': clock_due(clock_risk_reminder_answer)"))
    p.user("Task_risk_feedback", "反馈风险防范措施", 4, 2, groups="${target_unit}:head",
           due="${clock_due(clock_risk_reminder_answer)}", form=[
               F("risk_measures", "防范化解措施", constraints={"maxlength": 4000}),
               F("expected_finish", "预计办结日期", "date", required=False),
           ])
    p.boundary_timer("Timer_risk_feedback_due", "逾期未反馈", "Task_risk_feedback",
                     when="${clock_due(clock_risk_reminder_answer)}", interrupting=True, slot=0.5)
    p.script("Script_risk_answered", "记录风险提醒反馈", 5, 2,
             code="clock_risk_reminder_answer = clock_stop(clock_risk_reminder_answer)")
    p.end("End_risk", "风险提醒办结", 6, 2)
    p.script("Script_risk_timeout", "记录未按期反馈", 4, 3, code="""
clock_risk_reminder_answer = clock_stop(clock_risk_reminder_answer)
supervision_reason = 'overdue_feedback'""")

    p.xor("Gw_letter_merge", "", 7, 1)
    p.script("Script_supervision_letter", "发出督办函", 8, 1, code="""
supervision_letters = supervision_letters + 1
clock_supervision_answer = clock_start('supervision_answer')
""" + notice(q("督办函"), "'信访督办函' if supervision_letters == 1 else '信访督办函（再次督办）'",
             "target_unit", "'case': target_case_id, 'round': supervision_letters, "
             "'due': clock_due(clock_supervision_answer)"),
             doc="第四十条：信访部门发现有关机关、单位存在违规受理办理等情形的，及时督办，被督办单位应当书面答复。")
    sdue = "${clock_due(clock_supervision_answer)}"
    p.user("Task_answer_letter", "书面答复督办函", 9, 1, groups="${target_unit}:head", due=sdue, form=[
        F("answer_text", "书面答复", constraints={"maxlength": 4000}),
        F("rectified", "已整改到位", "boolean", required=False),
        F("rectification_measures", "整改措施", required=False, constraints={"maxlength": 4000}),
    ])
    p.boundary_timer("Timer_answer_warn", "届满前2日催办", "Task_answer_letter",
                     when="${clock_warn(clock_supervision_answer, 2)}", interrupting=False, slot=0.5, edge="top")
    p.boundary_timer("Timer_answer_due", "逾期未答复", "Task_answer_letter", when=sdue,
                     interrupting=True, slot=0.5)
    p.script("Script_answer_reminder", "发出催办提醒", 9, 0, code=notice(
        q("催办函"), q("督办事项催办函"), "target_unit", "'case': target_case_id"))
    p.end("End_answer_reminder", "已催办", 10, 0)
    p.script("Script_answer_received", "登记书面答复", 10, 1,
             code="clock_supervision_answer = clock_stop(clock_supervision_answer)")
    p.user("Task_check_answer", "审核督办答复", 11, 1, groups="xfj:supervisor", form=[
        F("answer_accepted", "审核结论", "enum", values=[
            ("accepted", "答复合格、整改到位"), ("rejected", "答复不合格或未整改")]),
        F("answer_check_note", "审核意见", required=False, constraints={"maxlength": 2000}),
    ])
    p.xor("Gw_answer_accepted", "答复合格？", 12, 1)
    p.script("Script_supervision_closed", "督办办结", 13, 1, code="supervision_closed = True\n" + notice(
        q("督办办结通知"), q("督办事项办结通知"), "target_unit", "'case': target_case_id"))
    p.end("End_supervision_closed", "督办办结", 14, 1)
    p.script("Script_answer_rejected", "记录督办不力", 12, 2,
             code="supervision_failures = supervision_failures + 1")
    p.script("Script_answer_timeout", "记录逾期未答复", 9, 3, code="""
clock_supervision_answer = clock_stop(clock_supervision_answer)
supervision_failures = supervision_failures + 1""")
    p.xor("Gw_failure_merge", "", 13, 3)
    p.xor("Gw_repeated_failure", "屡次督办不力？", 14, 3)
    p.user("Task_accountability", "认定追责情形", 15, 3, groups="xfj:head", form=[
        F("accountability_situation", "追责情形（县问责办法十四项）", "enum",
          values=[(c, label) for c, label, _ in ACCOUNTABILITY]),
        F("accountable_persons", "责任单位及责任人", constraints={"maxlength": 1000}),
        F("accountability_facts", "失责事实", constraints={"maxlength": 4000}),
        F("accountability_measure", "建议问责方式", "enum", values=[
            ("circulate_criticism", "通报批评"), ("interview", "约谈"), ("admonish", "诫勉"),
            ("organizational", "组织处理"), ("discipline_referral", "移送纪检监察机关")]),
    ], doc="第四十二条至第四十六条；县信访工作问责办法细化的十四项追责情形。")
    p.script("Script_accountability_record", "生成问责记录", 16, 3, code=f"""
accountability_record = {{
    'situation': accountability_situation,
    'situation_label': {situations}.get(accountability_situation, accountability_situation),
    'article': {articles}.get(accountability_situation, ''),
    'unit': target_unit,
    'case': target_case_id,
    'letters': supervision_letters,
    'failures': supervision_failures,
    'persons': accountable_persons,
    'facts': accountability_facts,
    'measure': accountability_measure,
    'at': now(),
}}
""" + notice(q("追责建议函"), q("追责问责建议函"), "'jw'",
             "'unit': target_unit, 'case': target_case_id, 'situation': accountability_situation, "
             "'situation_label': accountability_record['situation_label']"))
    p.end("End_accountability", "移交追责", 17, 3)

    p.chain("Start_supervision", "Script_supervision_start", "Gw_supervision_kind")
    p.flow("Gw_supervision_kind", "Script_risk_letter", "即将逾期", condition="${supervision_reason == 'due_soon'}")
    p.flow("Gw_supervision_kind", "Gw_letter_merge", "逾期或不规范", default=True)
    p.chain("Script_risk_letter", "Task_risk_feedback", "Script_risk_answered", "End_risk")
    p.flow("Timer_risk_feedback_due", "Script_risk_timeout")
    p.flow("Script_risk_timeout", "Gw_letter_merge")
    p.chain("Gw_letter_merge", "Script_supervision_letter", "Task_answer_letter", "Script_answer_received",
            "Task_check_answer", "Gw_answer_accepted")
    p.flow("Timer_answer_warn", "Script_answer_reminder")
    p.flow("Script_answer_reminder", "End_answer_reminder")
    p.flow("Gw_answer_accepted", "Script_supervision_closed", "合格", default=True)
    p.flow("Gw_answer_accepted", "Script_answer_rejected", "不合格", condition="${answer_accepted == 'rejected'}")
    p.flow("Script_supervision_closed", "End_supervision_closed")
    p.flow("Timer_answer_due", "Script_answer_timeout")
    p.flow("Script_answer_timeout", "Gw_failure_merge")
    p.flow("Script_answer_rejected", "Gw_failure_merge")
    p.flow("Gw_failure_merge", "Gw_repeated_failure")
    p.flow("Gw_repeated_failure", "Task_accountability", "屡次不力", condition="${supervision_failures >= 2}")
    p.flow("Gw_repeated_failure", "Gw_letter_merge", "再次督办", default=True, back=True)
    p.chain("Task_accountability", "Script_accountability_record", "End_accountability")
    return p


# --------------------------------------------------------------------------- screening
def screening() -> Process:
    p = Process("screening", "矛盾纠纷排查", doc=(
        "矛盾纠纷排查（《信访工作条例》第五条、第二十八条源头预防化解；县“起底式摸排”和“司法+信访”调解实践）："
        "一轮排查登记的矛盾纠纷隐患（启动变量 disputes：每项含 title、parties、unit、domain、description；"
        "screening_unit 组织排查的单位；round_name 轮次名称）逐件由司法所与信访办联合调处（多实例子流程），"
        "访前化解的记为 presettled = True，未化解的转为信访事项登记。结束时按件记录 screening_result"
        "（settled、unit），计入访前化解率。"))
    p.start("Start_screening", "启动排查轮次", 0, 1)
    p.script("Script_screening_start", "登记排查清单", 1, 1, code=INIT_NOTICES + """
disputes = [dict(d, seq=i + 1, presettled=None) for i, d in enumerate(disputes)]
disputes_found = len(disputes)
agreement_no = ''""")
    sub = p.sub("Sub_dispute", "逐件调处（司法+信访）", 2, 1,
                loop={"collection": "disputes", "element": "dispute"},
                doc="每项矛盾纠纷一个实例；实例结束时 dispute 写回 disputes。")
    sub.start("Start_dispute", "开始调处", 0, 1)
    sub.user("Task_mediate_dispute", "联合调处矛盾纠纷", 1, 1, groups="sfj:handler,${screening_unit}:handler",
             form=[
                 F("mediation_result", "调处结果", "enum", values=[
                     ("settled", "访前化解（达成调解协议）"), ("unsettled", "未能化解")]),
                 F("mediation_summary", "调处情况", constraints={"maxlength": 4000}),
                 F("agreement_no", "调解协议编号", required=False, constraints={"maxlength": 64}),
                 F("mediators", "调解人员（司法所、信访办）", required=False, constraints={"maxlength": 500}),
             ], doc="“司法+信访”调解：基层司法所与信访办联动，简易事项就地解决。")
    sub.xor("Gw_dispute_settled", "访前化解？", 2, 1)
    sub.script("Script_presettled", "记录访前化解", 3, 1, code="""
dispute = dict(dispute, presettled=True, outcome='presettled', mediation_summary=mediation_summary,
               agreement_no=agreement_no)""")
    sub.end("End_presettled", "访前化解", 4, 1)
    sub.user("Task_register_petition", "转为信访事项登记", 3, 2, groups="xfj:registrar", form=[
        F("petition_case_no", "信访事项编号", constraints={"maxlength": 64}),
        F("petition_note", "转办说明", required=False, constraints={"maxlength": 2000}),
    ])
    sub.script("Script_to_petition", "记录转为信访事项", 4, 2, code="""
dispute = dict(dispute, presettled=False, outcome='petition', mediation_summary=mediation_summary,
               petition_case_no=petition_case_no)""")
    sub.end("End_to_petition", "转入信访", 5, 2)
    sub.chain("Start_dispute", "Task_mediate_dispute", "Gw_dispute_settled")
    sub.flow("Gw_dispute_settled", "Script_presettled", "已化解", condition="${mediation_result == 'settled'}")
    sub.flow("Gw_dispute_settled", "Task_register_petition", "未化解", default=True)
    sub.chain("Script_presettled", "End_presettled")
    sub.chain("Task_register_petition", "Script_to_petition", "End_to_petition")
    p.script("Script_screening_summary", "汇总访前化解情况", 3, 1, code="""
presettled_count = len([d for d in disputes if d.get('presettled')])
petition_count = disputes_found - presettled_count
presettle_rate = round(presettled_count * 100 / disputes_found, 1) if disputes_found else None
notices = notices + [{'event': 'screening_result', 'kind': '矛盾纠纷化解情况报告', 'title': '矛盾纠纷排查化解情况：' + str(d.get('title') or d['seq']),
                      'at': now(), 'to': 'xfj', 'settled': bool(d.get('presettled')),
                      'unit': d.get('unit') or screening_unit, 'dispute': d['seq']} for d in disputes]""")
    p.end("End_screening", "排查轮次办结", 4, 1)
    p.chain("Start_screening", "Script_screening_start", "Sub_dispute", "Script_screening_summary", "End_screening")
    return p


BUILDERS = {"handling": handling, "review": review, "recheck": recheck, "supervision": supervision,
            "screening": screening}


def main(names: list[str]) -> None:
    for name in names or list(BUILDERS):
        path = OUT / f"{name}.bpmn"
        path.write_bytes(BUILDERS[name]().to_xml())
        print(f"wrote {path.relative_to(OUT.parent)}")


if __name__ == "__main__":
    main(sys.argv[1:])
