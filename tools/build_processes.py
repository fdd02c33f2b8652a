"""Scaffold the statutory processes of issue 3 into ``processes/`` (run once per process).

    .venv/bin/python tools/build_processes.py OUTDIR [KEY ...]

The committed files in ``processes/`` are the source of truth: designers edit them in
Camunda Modeler, and this script is kept only to show how their first version and its
grid layout were produced. Writing into ``processes/`` again would overwrite those
edits, so the output folder is always named explicitly.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from engine.orgchart import UNITS  # noqa: E402
from bpmn_builder import Field as F, Process  # noqa: E402

CATEGORIES = [("建议意见", "建议意见类"), ("检举控告", "检举控告类"), ("申诉求决", "申诉求决类")]
CHANNELS = [(c, c) for c in ("来信", "来访", "网上", "电话", "传真")]
DOMAINS = [(d, d) for d in ("劳动社保", "城乡建设", "国土资源", "农村农业", "教育", "卫生健康", "其他")]
DEMAND_TYPES = [(d, d) for d in (
    "不服法院生效裁判", "要求法院立案或执行", "不服检察机关处理", "刑事案件报案控告", "不服公安机关处理",
    "劳动人事争议", "农村土地承包经营纠纷", "合同纠纷", "党员申诉", "不服党纪处分", "不服行政行为",
    "自然资源权属争议", "请求行政确认", "请求行政许可", "不服行政处罚", "拖欠工资",
    "举报违法要求查处", "请求履行法定职责", "其他")]
COUNTY_UNITS = [(u.code, u.name) for u in UNITS
                if u.kind in ("department", "township", "judicial", "discipline", "bureau")]
JUDICIAL = [(u.code, u.name) for u in UNITS if u.code in ("fy", "jcy", "gaj", "sfj")]
LEADER_UNITS = [(u.code, u.name) for u in UNITS if u.kind in ("leadership", "department", "bureau")]


def notice(kind: str, to: str, title: str | None = None) -> str:
    """A script line appending one written notice to ``notices`` (the engine logs it)."""
    title = title or kind
    return f"notices = notices + [{{'kind': '{kind}', 'title': '{title}', 'at': now(), 'to': {to}}}]"


# ---------------------------------------------------------------------------------------
def intake() -> Process:
    p = Process("petition", "信访事项登记受理", """\
信访事项登记受理（受理期限十五日）。依据《信访工作条例》：
第十七条（信访渠道：信息网络、书信、电话、传真、走访）；
第十九条（信访人姓名、住址、请求、事实、理由；口头信访如实记录；已受理或正在办理的同一事项不予重复受理）；
第二十一条（录入信息系统，信访人可查询、评价）；
第二十二条（十五日内分别按转送、交办处理；重大紧急事项报本级党委和政府；涉法涉诉转政法部门；检举控告涉公职人员转纪检监察机关）；
第二十三条（十五日内书面告知是否受理；收到转送交办事项的机关对不属其职责范围的，五个工作日内提出异议并说明理由）；
第二十四条（涉及多个机关的事项由共同上级决定，无头事项依县“四维认定法”确定责任单位）；
第二十八条第二款、第二十九至三十一条（依法分类处理：建议意见、检举控告、申诉求决；申诉求决类按第三十一条六种途径之一处理）；
第三十六条第三款（复核或依法终结后同一事实和理由不再受理）。
期限取自业务日历：clock_acceptance（受理）、clock_objection（异议，工作日）、clock_assignment（交办，登记员设定）。""")

    p.start("Start_received", "收到信访事项", 0, 0)
    p.script("Script_init", "建档并启动受理期限", 1, 0, """
        clock_acceptance = clock_start('acceptance')
        notices = []
        objections = []
        intake_outcome = 'registering'
        route = 0
        """)
    p.xor("Gateway_repeat", "是否重复信访？", 2, 0)
    p.script("Script_refuse_terminated", "出具不再受理告知书", 3, 1.3, f"""
        # 第三十六条第三款：复核或依法终结后，同一事实和理由不再受理
        clock_acceptance = clock_stop(clock_acceptance)
        intake_outcome = 'refused_terminated'
        {notice('不再受理告知书', 'petitioner_name')}
        """)
    p.end("End_refused", "不再受理", 4, 1.3)
    p.user("Task_link_repeat", "关联在办事项", 3, 2.6, groups="xfj:registrar",
           due="${clock_due(clock_acceptance)}",
           doc="同一事项已受理或正在办理（第十九条第三款）：关联到在办案件，不重复受理。",
           fields=[F("repeat_of", "在办事项（案件号）", readonly=True),
                   F("link_note", "关联说明", required=True, minlength=2, maxlength=500)])
    p.script("Script_link_repeat", "记录关联并告知信访人", 4, 2.6, f"""
        linked_case = repeat_of
        clock_acceptance = clock_stop(clock_acceptance)
        intake_outcome = 'linked'
        {notice('重复信访告知书', 'petitioner_name', '信访事项正在办理告知书')}
        """)
    p.end("End_linked", "已并入在办事项", 5, 2.6)

    # -- the 15-day acceptance stage -------------------------------------------------
    S = "Sub_acceptance"
    p.sub(S, "受理（十五日内）", 15, 0)
    kw = {"parent": S}
    p.start("Start_acceptance", "开始受理", 6, 0, **kw)
    due = "${clock_due(clock_acceptance)}"
    p.user("Task_register", "核实登记信息", 7, 0, groups="xfj:registrar", due=due, **kw,
           doc="第十九条、第二十一条：登记信访人、请求、事实和理由，口头信访如实记录。",
           fields=[
               F("case_no", "信访件编号", maxlength=40),
               F("channel", "信访渠道", "enum", required=True, values=CHANNELS),
               F("petitioner_name", "信访人姓名（名称）", required=True, maxlength=100),
               F("petitioner_id_number", "身份证件号码", maxlength=30),
               F("petitioner_phone", "联系电话", maxlength=30),
               F("petitioner_address", "住址", required=True, maxlength=200),
               F("petitioner_count", "信访人数", "long", min=1, max=10000),
               F("request", "信访请求", required=True, minlength=2, maxlength=2000),
               F("facts", "事实", required=True, minlength=2, maxlength=5000),
               F("reasons", "理由", maxlength=5000),
               F("attachments_count", "附件数量", "long", min=0, max=200),
               F("oral_record_confirmed", "口头信访已如实记录并经信访人确认", "boolean", default="false"),
           ])
    p.xor("Gateway_classify_join", "", 8, 0, **kw)
    p.user("Task_classify", "分类并提出处理意见", 9, 0, groups="xfj:registrar", due=due, **kw,
           doc="第二十二条、第二十八至三十一条：分类，提出转送、交办或不予受理意见；申诉求决类按依法分类处理清单确定途径。",
           fields=[
               F("category", "信访事项类别", "enum", required=True, values=CATEGORIES),
               F("domain", "所属领域", "enum", required=True, values=DOMAINS),
               F("demand_type", "诉求类型（申诉求决类）", "enum", values=DEMAND_TYPES),
               F("routing", "处理方式", "enum", required=True,
                 values=[("forward", "转送"), ("assign_with_feedback", "交办"), ("not_accepted", "不予受理")]),
               F("handling_unit", "责任单位", "enum", values=COUNTY_UNITS),
               F("assignment_days", "交办办结期限（日）", "long", min=1, max=90),
               F("major_urgent", "重大、紧急事项", "boolean", default="false"),
               F("concerns_officials", "检举控告涉及公职人员", "boolean", default="false"),
               F("owner_unknown", "责任单位不明（无头事项）", "boolean", default="false"),
               F("not_accepted_reason", "不予受理理由", maxlength=500),
           ])
    p.xor("Gateway_route", "如何分流？", 10, 0, **kw)
    p.script("Script_not_accepted", "出具不予受理告知书", 11, 1, f"""
        clock_acceptance = clock_stop(clock_acceptance)
        intake_outcome = 'not_accepted'
        {notice('不予受理告知书', 'petitioner_name')}
        """, **kw)
    p.end("End_sub_not_accepted", "不予受理", 12, 1, **kw)
    p.user("Task_lead_decide", "县委县政府研究决定", 11, 2, groups="county-lead:leader", due=due, **kw,
           doc="第二十二条：重大、紧急信访事项报本级党委和政府决定。",
           fields=[
               F("lead_instruction", "领导批示意见", required=True, minlength=2, maxlength=1000),
               F("handling_unit", "责任单位", "enum", required=True, values=COUNTY_UNITS),
               F("routing", "处理方式", "enum", required=True,
                 values=[("forward", "转送"), ("assign_with_feedback", "交办")]),
               F("assignment_days", "交办办结期限（日）", "long", min=1, max=90),
           ])
    p.script("Script_lead_record", "记录领导批示", 12, 2, """
        owner_unknown = False
        leadership_decided = True
        """, **kw)
    p.script("Script_to_jw", "转纪检监察机关", 11, 3, """
        # 第二十二条：检举控告涉及公职人员的转纪检监察机关；第三十条第三款：检举材料严格保密
        handling_unit = 'jw'
        owner_unknown = False
        confidential = True
        """, **kw)
    p.rule("Rule_classify", "依法分类处理", 11, 4, decision="petition_classification", result="route", **kw)
    p.xor("Gateway_legal_route", "属于哪种途径？", 12, 4, **kw)
    p.script("Script_legal_channel", "告知依法通过法定途径解决", 13, 5, f"""
        # 第三十一条第一至五项：导入诉讼、仲裁、党员申诉、行政程序或履职途径
        clock_acceptance = clock_stop(clock_acceptance)
        intake_outcome = 'legal_channel'
        {notice('依法分类处理告知书', 'petitioner_name')}
        """, **kw)
    p.end("End_sub_legal", "导入法定途径", 14, 5, **kw)
    p.xor("Gateway_dispatch_join", "", 13, 0, **kw)
    p.xor("Gateway_owner", "责任单位是否明确？", 14, 0, **kw)
    p.call("Call_ownership", "无头事项认定", 15, 1, "ownership", **kw)
    p.xor("Gateway_owner_join", "", 16, 0, **kw)
    p.xor("Gateway_dispatch", "转送还是交办？", 17, 0, **kw)
    p.script("Script_forward", "出具转送函", 18, 0, f"""
        clock_objection = clock_start('objection')
        {notice('转送函', 'handling_unit')}
        """, **kw)
    p.script("Script_assign", "出具交办函并设定办结期限", 18, 1, f"""
        clock_assignment = clock_start('assignment', days=assignment_days)
        clock_objection = clock_start('objection')
        {notice('交办函', 'handling_unit')}
        """, **kw)
    p.xor("Gateway_sent_join", "", 19, 0, **kw)
    p.user("Task_receive", "签收或提出异议", 20, 0, groups="${handling_unit}:registrar",
           due="${clock_due(clock_objection)}", **kw,
           doc="第二十三条：收到转送、交办事项的机关认为不属其职责范围的，五个工作日内提出异议并说明理由。",
           fields=[
               F("objection", "不属本单位职责，提出异议", "boolean", default="false"),
               F("objection_reason", "异议理由", maxlength=1000),
               F("receipt_note", "签收意见", maxlength=500),
           ])
    p.timer("Timer_objection_lapsed", "异议期届满", "Task_receive", "${clock_due(clock_objection)}", **kw)
    p.xor("Gateway_objection", "是否提出异议？", 21, 0, **kw)
    p.script("Script_objection", "记录异议并退回重新分流", 22, -1, """
        objections = objections + [{'unit': handling_unit, 'reason': objection_reason, 'at': now()}]
        clock_objection = clock_stop(clock_objection)
        objection = False
        """, **kw)
    p.xor("Gateway_accept_join", "", 22, 0, **kw)
    p.script("Script_accept", "出具受理告知书", 23, 0, f"""
        # 第二十三条：十五日内书面告知信访人受理情况
        clock_objection = clock_stop(clock_objection)
        clock_acceptance = clock_stop(clock_acceptance)
        intake_outcome = 'accepted'
        {notice('受理告知书', 'petitioner_name')}
        """, **kw)
    p.end("End_sub_accepted", "已受理", 24, 0, **kw)

    p.timer("Timer_acceptance_warn", "受理期限三日内届满", S, "${clock_warn(clock_acceptance, 3)}",
            interrupting=False, at_col=7)
    p.script("Script_acceptance_warn", "发出受理风险提醒", 8, 6.8, f"""
        {notice('风险提醒函', "'xfj'", '受理期限即将届满风险提醒函')}
        """)
    p.end("End_acceptance_warned", "已提醒", 9, 6.8)
    p.timer("Timer_acceptance_due", "受理期限届满", S, "${clock_due(clock_acceptance)}",
            interrupting=False, at_col=11)
    p.script("Script_acceptance_overdue", "受理超期督办", 12, 6.8, f"""
        acceptance_overdue = True
        {notice('督办函', "'xfj'", '受理超期督办函')}
        """)
    p.end("End_acceptance_supervised", "已督办", 13, 6.8)

    # -- after the acceptance decision -------------------------------------------------
    p.xor("Gateway_outcome", "受理结论？", 25.5, 0)
    p.call("Call_litigation", "涉法涉诉导入政法部门", 26.5, 1.3, "litigation_handoff")
    p.end("End_litigation", "涉法涉诉依法处理完毕", 27.5, 1.3)
    p.user("Task_channel_record", "登记法定途径承接情况", 26.5, 2.6, groups="xfj:handler",
           doc="第三十一条第二至五项：导入仲裁、党员申诉复审、行政程序或履职途径，并跟踪办理结果。",
           fields=[
               F("legal_channel", "法定途径", "enum", required=True, values=[
                   ("仲裁", "仲裁"), ("党员申诉复审", "党员申诉、复审"), ("行政复议", "行政复议"),
                   ("行政裁决", "行政裁决"), ("行政确认", "行政确认"), ("行政许可", "行政许可"),
                   ("行政处罚", "行政处罚"), ("履行法定职责", "履行法定职责或答复")]),
               F("channel_organ", "承接机关", required=True, minlength=2, maxlength=100),
               F("channel_handover_date", "导入日期", "date", required=True),
               F("channel_report_days", "反馈期限（日）", "long", required=True, min=1, max=180),
           ])
    p.script("Script_channel_clock", "启动跟踪期限", 27.5, 2.6, """
        clock_channel = clock_start('assignment', days=channel_report_days)
        """)
    p.user("Task_channel_result", "登记法定途径办理结果", 28.5, 2.6, groups="xfj:handler",
           due="${clock_due(clock_channel)}",
           fields=[
               F("channel_result", "办理结果", "enum", required=True, values=[
                   ("已依法处理", "已依法处理"), ("未予受理", "承接机关未予受理"), ("信访人撤回", "信访人撤回")]),
               F("channel_document_no", "法律文书编号", maxlength=60),
               F("channel_result_summary", "结果摘要", required=True, minlength=2, maxlength=2000),
           ])
    p.timer("Timer_channel_due", "反馈期限届满", "Task_channel_result", "${clock_due(clock_channel)}",
            interrupting=False)
    p.script("Script_channel_remind", "催报办理结果", 29.5, 3.7, f"""
        {notice('催办函', 'channel_organ')}
        """)
    p.end("End_channel_reminded", "已催报", 30.5, 3.7)
    p.script("Script_channel_done", "记录法定途径办理结果", 29.5, 2.6, """
        clock_channel = clock_stop(clock_channel)
        channel_closed = True
        """)
    p.end("End_channel", "法定途径办结", 30.5, 2.6)
    p.end("End_not_accepted", "不予受理办结", 26.5, 4.8)

    p.par("Gateway_fork", "办理与跟踪", 26.5, 0)
    p.xor("Gateway_category", "事项类别？", 27.5, 0)
    p.call("Call_handling", "办理（第三十一条第六项）", 28.5, 0, "handling")
    p.script("Script_reply_clock", "启动办理期限", 28.5, -1.2, """
        clock_handling = clock_start('handling')
        """)
    p.user("Task_reply", "研究办理并书面答复", 29.5, -1.2, groups="${handling_unit}:handler",
           due="${clock_due(clock_handling)}",
           doc="第二十九条（建议意见类研究论证并答复）、第三十条（检举控告类依规依纪依法处理，检举人信息严格保密）、第三十四条（六十日内办结）。",
           fields=[
               F("reply_result", "办理结果", "enum", required=True, values=[
                   ("采纳", "建议予以采纳"), ("部分采纳", "建议部分采纳"), ("不予采纳", "建议不予采纳"),
                   ("已查处", "检举控告属实，已依法处理"), ("查无实据", "检举控告查无实据")]),
               F("reply_summary", "答复意见", required=True, minlength=2, maxlength=2000),
               F("reply_served_date", "答复送达日期", "date", required=True),
           ])
    p.timer("Timer_reply_due", "办理期限届满", "Task_reply", "${clock_due(clock_handling)}",
            interrupting=False, side="top")
    p.script("Script_reply_overdue", "办理超期督办", 30.5, -2.2, f"""
        {notice('督办函', 'handling_unit', '办理超期督办函')}
        """)
    p.end("End_reply_supervised", "已督办", 31.5, -2.2)
    p.script("Script_reply_done", "记录书面答复", 30.5, -1.2, f"""
        clock_handling = clock_stop(clock_handling)
        {notice('答复意见书', 'petitioner_name')}
        """)
    p.xor("Gateway_handling_join", "", 31.5, 0)

    p.xor("Gateway_assigned", "是否交办？", 27.5, -3.2)
    p.xor("Gateway_report_join", "", 28.5, -3.2)
    p.user("Task_report", "报送办结报告", 29.5, -3.2, groups="${handling_unit}:handler",
           due="${clock_due(clock_assignment)}",
           doc="第二十二条：交办事项，有权处理机关应当在指定期限内办结并报送办结报告。",
           fields=[
               F("report_summary", "办结报告", required=True, minlength=10, maxlength=5000),
               F("report_date", "报告日期", "date", required=True),
           ])
    p.timer("Timer_report_warn", "交办期限三日内届满", "Task_report", "${clock_warn(clock_assignment, 3)}",
            interrupting=False, side="top", offset=25)
    p.script("Script_report_warn", "发出交办风险提醒", 30.5, -4.3, f"""
        {notice('风险提醒函', 'handling_unit', '交办事项风险提醒函')}
        """)
    p.end("End_report_warned", "已提醒", 31.5, -4.3)
    p.timer("Timer_report_due", "交办期限届满", "Task_report", "${clock_due(clock_assignment)}",
            interrupting=False, side="top", offset=-25)
    p.script("Script_report_overdue", "交办超期督办", 30.5, -5.3, f"""
        assignment_overdue = True
        {notice('督办函', 'handling_unit', '交办事项督办函')}
        """)
    p.end("End_report_supervised", "已督办", 31.5, -5.3)
    p.user("Task_review_report", "审核办结报告", 30.5, -3.2, groups="xfj:handler",
           fields=[
               F("report_accepted", "办结报告合格", "boolean", default="false"),
               F("review_opinion", "审核意见", required=True, minlength=2, maxlength=1000),
           ])
    p.xor("Gateway_report_ok", "办结报告是否合格？", 31.5, -3.2)
    p.script("Script_report_done", "交办事项办结", 32.5, -3.2, """
        clock_assignment = clock_stop(clock_assignment)
        """)
    p.xor("Gateway_assigned_join", "", 33.5, -3.2)
    p.par("Gateway_fork_join", "", 34.5, 0)
    p.end("End_done", "受理办理完毕", 35.5, 0)

    # -- flows -------------------------------------------------------------------------
    f = p.flow
    f("Start_received", "Script_init")
    f("Script_init", "Gateway_repeat")
    f("Gateway_repeat", "Script_refuse_terminated", "复核或依法终结后再次信访", "${repeat_status == 'terminated'}")
    f("Gateway_repeat", "Task_link_repeat", "同一事项正在办理", "${repeat_status == 'in_handling'}")
    f("Gateway_repeat", S, "首次信访", default=True)
    f("Script_refuse_terminated", "End_refused")
    f("Task_link_repeat", "Script_link_repeat")
    f("Script_link_repeat", "End_linked")
    f("Start_acceptance", "Task_register")
    f("Task_register", "Gateway_classify_join")
    f("Gateway_classify_join", "Task_classify")
    f("Task_classify", "Gateway_route")
    f("Gateway_route", "Script_not_accepted", "不予受理", "${routing == 'not_accepted'}")
    f("Gateway_route", "Task_lead_decide", "重大紧急", "${routing != 'not_accepted' && major_urgent}")
    f("Gateway_route", "Script_to_jw", "检举控告涉公职人员",
      "${routing != 'not_accepted' && !major_urgent && category == '检举控告' && concerns_officials}")
    f("Gateway_route", "Rule_classify", "申诉求决",
      "${routing != 'not_accepted' && !major_urgent && category == '申诉求决'}")
    f("Gateway_route", "Gateway_dispatch_join", "建议意见、其他检举控告", default=True)
    f("Script_not_accepted", "End_sub_not_accepted")
    f("Task_lead_decide", "Script_lead_record")
    f("Script_lead_record", "Gateway_dispatch_join")
    f("Script_to_jw", "Gateway_dispatch_join")
    f("Rule_classify", "Gateway_legal_route")
    f("Gateway_legal_route", "Gateway_dispatch_join", "第六项：信访程序办理", "${route == 6}", via=[(13, 4)])
    f("Gateway_legal_route", "Script_legal_channel", "第一至五项：法定途径", default=True)
    f("Script_legal_channel", "End_sub_legal")
    f("Gateway_dispatch_join", "Gateway_owner")
    f("Gateway_owner", "Call_ownership", "责任单位不明", "${owner_unknown}")
    f("Gateway_owner", "Gateway_owner_join", "已明确", default=True)
    f("Call_ownership", "Gateway_owner_join")
    f("Gateway_owner_join", "Gateway_dispatch")
    f("Gateway_dispatch", "Script_assign", "交办", "${routing == 'assign_with_feedback'}")
    f("Gateway_dispatch", "Script_forward", "转送", default=True)
    f("Script_forward", "Gateway_sent_join")
    f("Script_assign", "Gateway_sent_join")
    f("Gateway_sent_join", "Task_receive")
    f("Task_receive", "Gateway_objection")
    f("Timer_objection_lapsed", "Gateway_accept_join", via=[(20, 1), (22, 1)])
    f("Gateway_objection", "Script_objection", "提出异议", "${objection}")
    f("Gateway_objection", "Gateway_accept_join", "签收", default=True)
    f("Script_objection", "Gateway_classify_join", via=[(22, -1.6), (8, -1.6)])
    f("Gateway_accept_join", "Script_accept")
    f("Script_accept", "End_sub_accepted")
    f("Timer_acceptance_warn", "Script_acceptance_warn")
    f("Script_acceptance_warn", "End_acceptance_warned")
    f("Timer_acceptance_due", "Script_acceptance_overdue")
    f("Script_acceptance_overdue", "End_acceptance_supervised")
    f(S, "Gateway_outcome")
    f("Gateway_outcome", "Gateway_fork", "已受理", "${intake_outcome == 'accepted'}")
    f("Gateway_outcome", "Call_litigation", "涉法涉诉（第一项）",
      "${intake_outcome == 'legal_channel' && route == 1}")
    f("Gateway_outcome", "Task_channel_record", "第二至五项",
      "${intake_outcome == 'legal_channel' && route != 1}")
    f("Gateway_outcome", "End_not_accepted", "不予受理", default=True)
    f("Call_litigation", "End_litigation")
    f("Task_channel_record", "Script_channel_clock")
    f("Script_channel_clock", "Task_channel_result")
    f("Task_channel_result", "Script_channel_done")
    f("Timer_channel_due", "Script_channel_remind")
    f("Script_channel_remind", "End_channel_reminded")
    f("Script_channel_done", "End_channel")
    f("Gateway_fork", "Gateway_category")
    f("Gateway_fork", "Gateway_assigned", via=[(26.5, -3.2)])
    f("Gateway_category", "Call_handling", "申诉求决", "${category == '申诉求决'}")
    f("Gateway_category", "Script_reply_clock", "建议意见、检举控告", default=True)
    f("Call_handling", "Gateway_handling_join")
    f("Script_reply_clock", "Task_reply")
    f("Task_reply", "Script_reply_done")
    f("Timer_reply_due", "Script_reply_overdue")
    f("Script_reply_overdue", "End_reply_supervised")
    f("Script_reply_done", "Gateway_handling_join")
    f("Gateway_handling_join", "Gateway_fork_join")
    f("Gateway_assigned", "Gateway_report_join", "交办", "${routing == 'assign_with_feedback'}")
    f("Gateway_assigned", "Gateway_assigned_join", "转送", default=True, via=[(27.5, -6.2), (33.5, -6.2)])
    f("Gateway_report_join", "Task_report")
    f("Task_report", "Task_review_report")
    f("Timer_report_warn", "Script_report_warn")
    f("Script_report_warn", "End_report_warned")
    f("Timer_report_due", "Script_report_overdue")
    f("Script_report_overdue", "End_report_supervised")
    f("Task_review_report", "Gateway_report_ok")
    f("Gateway_report_ok", "Gateway_report_join", "不合格，退回重报", "${!report_accepted}",
      via=[(31.5, -2.7), (28.5, -2.7)])
    f("Gateway_report_ok", "Script_report_done", "合格", default=True)
    f("Script_report_done", "Gateway_assigned_join")
    f("Gateway_assigned_join", "Gateway_fork_join", via=[(34.5, -3.2)])
    f("Gateway_fork_join", "End_done")
    return p


INIT_NOTICES = """
        try:
            notices = list(notices)
        except Exception:  # not handed over by a calling process
            notices = []
"""


# ---------------------------------------------------------------------------------------
def litigation() -> Process:
    p = Process("litigation_handoff", "涉法涉诉信访事项导入政法部门", """\
涉法涉诉信访事项导入法律程序（诉讼与信访分离）。依据《信访工作条例》：
第二十二条（涉法涉诉信访事项转同级政法部门）；
第二十八条第二款（涉法涉诉信访事项由政法部门依法处理）；
第三十一条第一项（应当通过审判机关诉讼程序或者复议程序、检察机关刑事立案程序或者法律监督程序、公安机关法律程序处理的，依照有关规定办理）；
第三十六条第三款（依法终结后不再作为信访事项受理：matter_status = 'terminated'）。
政法部门：fy 法院、jcy 检察院、gaj 公安局、sfj 司法局。跟踪反馈期限由信访局按案设定（clock_judicial），届满催办并重新计时；政法部门反馈以消息 judicial_report 送达（或由信访局登记书面反馈）。""",
                messages={"Message_judicial_report": "judicial_report"})
    p.start("Start_litigation", "收到涉法涉诉事项", 0, 0)
    p.script("Script_init", "建立导入台账", 1, 0, INIT_NOTICES + """
        litigation_status = 'forwarding'
        reminders = 0
        """)
    p.user("Task_forward", "转同级政法部门", 2, 0, groups="xfj:handler",
           doc="第二十二条、第二十八条：涉法涉诉信访事项转同级政法部门依法处理。",
           fields=[
               F("judicial_unit", "政法部门", "enum", required=True, values=JUDICIAL),
               F("transfer_summary", "转送说明", required=True, minlength=2, maxlength=2000),
               F("followup_days", "跟踪反馈期限（日）", "long", required=True, min=1, max=180),
           ])
    p.script("Script_forward", "出具转送函并告知信访人", 3, 0, f"""
        handling_unit = judicial_unit
        litigation_status = 'forwarded'
        {notice('转送函', 'judicial_unit', '涉法涉诉信访事项转送函')}
        {notice('涉法涉诉告知书', 'petitioner_name', '依法通过法律程序解决告知书')}
        """)
    p.user("Task_receipt", "政法部门签收", 4, 0, groups="${judicial_unit}:registrar",
           fields=[
               F("receipt_date", "签收日期", "date", required=True),
               F("receipt_no", "收文编号", maxlength=60),
           ])
    p.script("Script_track", "启动跟踪期限", 5, 0, """
        clock_judicial = clock_start('assignment', days=followup_days)
        litigation_status = 'received'
        """)
    p.xor("Gateway_wait_join", "", 6, 0)
    p.user("Task_track", "跟踪政法部门办理情况", 7, 0, groups="xfj:handler", due="${clock_due(clock_judicial)}",
           doc="书面反馈由信访局在本表单登记；政法部门通过接口反馈（消息 judicial_report）时本任务结束，转“核对政法部门反馈”。",
           fields=[
               F("judicial_outcome", "办理结果", "enum", required=True, values=[
                   ("依法终结", "已依法终结"), ("已化解", "已纠正或化解"), ("仍在办理", "仍在办理")]),
               F("judicial_document_no", "法律文书编号", maxlength=60),
               F("judicial_summary", "办理情况", required=True, minlength=2, maxlength=2000),
           ])
    p.message_boundary("Message_report", "收到政法部门反馈", "Task_track", "Message_judicial_report", offset=25)
    p.timer("Timer_followup_due", "反馈期限届满", "Task_track", "${clock_due(clock_judicial)}", offset=-25)
    p.user("Task_record", "核对政法部门反馈", 8, 1.1, groups="xfj:handler",
           doc="政法部门通过接口反馈（消息 judicial_report）后，由信访局核对并登记办理结果。",
           fields=[
               F("judicial_outcome", "办理结果", "enum", required=True, values=[
                   ("依法终结", "已依法终结"), ("已化解", "已纠正或化解"), ("仍在办理", "仍在办理")]),
               F("judicial_document_no", "法律文书编号", maxlength=60),
               F("judicial_summary", "办理情况", required=True, minlength=2, maxlength=2000),
           ])
    p.script("Script_remind", "催办并重新计时", 8, 2.3, f"""
        clock_judicial = clock_start('assignment', days=followup_days)
        reminders = reminders + 1
        {notice('催办函', 'judicial_unit', '涉法涉诉事项办理情况催办函')}
        """)
    p.xor("Gateway_outcome_join", "", 9, 0)
    p.xor("Gateway_outcome", "是否依法终结？", 10, 0)
    p.script("Script_terminated", "记录依法终结", 11, 0, f"""
        # 第三十六条第三款：依法终结的事项不再作为信访事项受理
        clock_judicial = clock_stop(clock_judicial)
        matter_status = 'terminated'
        litigation_status = 'terminated'
        {notice('依法终结告知书', 'petitioner_name')}
        """)
    p.end("End_terminated", "依法终结", 12, 0)
    p.script("Script_resolved", "记录化解结果", 11, 1.3, """
        clock_judicial = clock_stop(clock_judicial)
        matter_status = 'resolved'
        litigation_status = 'resolved'
        """)
    p.end("End_resolved", "已化解", 12, 1.3)
    p.script("Script_continue", "继续跟踪并重新计时", 11, -1.2, """
        clock_judicial = clock_start('assignment', days=followup_days)
        litigation_status = 'in_progress'
        """)
    f = p.flow
    f("Start_litigation", "Script_init")
    f("Script_init", "Task_forward")
    f("Task_forward", "Script_forward")
    f("Script_forward", "Task_receipt")
    f("Task_receipt", "Script_track")
    f("Script_track", "Gateway_wait_join")
    f("Gateway_wait_join", "Task_track")
    f("Task_track", "Gateway_outcome_join")
    f("Message_report", "Task_record", via=[(7 + 25 / 160, 1.1)])
    f("Task_record", "Gateway_outcome_join")
    f("Timer_followup_due", "Script_remind", via=[(7 - 25 / 160, 2.3)])
    f("Script_remind", "Gateway_wait_join", via=[(8, 3.0), (6, 3.0)])
    f("Gateway_outcome_join", "Gateway_outcome")
    f("Gateway_outcome", "Script_terminated", "依法终结", "${judicial_outcome == '依法终结'}")
    f("Gateway_outcome", "Script_resolved", "已化解", "${judicial_outcome == '已化解'}")
    f("Gateway_outcome", "Script_continue", "仍在办理", default=True)
    f("Script_terminated", "End_terminated")
    f("Script_resolved", "End_resolved")
    f("Script_continue", "Gateway_wait_join", via=[(11, -2.0), (6, -2.0)])
    return p


# ---------------------------------------------------------------------------------------
def ownership() -> Process:
    p = Process("ownership", "无头事项责任单位认定", """\
无头事项（责任单位不明）的“四维认定法”：主动认领 → 会议确定 → 批示指定 → 案例推定，逐级认定直至确定责任单位（handling_unit）。
依据《信访工作条例》第二十二条（属地管理、分级负责，谁主管、谁负责）、第二十四条（涉及多个机关的事项协商受理，协商不成由共同上级决定，必要时由信访工作联席会议协调）及县《信访事项受理工作规范》。
每一步有自己的期限（业务日历 ownership_claim、ownership_decision，clock_ownership），期限届满未认定的由定时边界事件升级到下一步。""")
    p.start("Start_ownership", "收到无头事项", 0, 0)
    p.user("Task_publish", "发布认领公告", 1, 0, groups="xfj:registrar",
           doc="列出可能的责任单位，由其在期限内主动认领。",
           fields=[
               F("claim_units", "可能的责任单位（单位代码，以逗号分隔）", required=True, minlength=2, maxlength=300),
               F("ownership_summary", "事项概要", required=True, minlength=2, maxlength=1000),
           ])
    p.script("Script_step_claim", "启动认领期限", 2, 0, INIT_NOTICES + """
        claim_groups = ','.join([u.strip() + ':head' for u in claim_units.split(',') if u.strip()])
        ownership_step = '主动认领'
        clock_ownership = clock_start('ownership_claim')
        """)
    p.user("Task_claim", "主动认领", 3, 0, groups="${claim_groups}", due="${clock_due(clock_ownership)}",
           fields=[
               F("claimed", "本单位认领", "boolean", default="false"),
               F("handling_unit", "认领单位", "enum", values=COUNTY_UNITS),
               F("claim_reason", "认领或不认领的理由", required=True, minlength=2, maxlength=500),
           ])
    p.timer("Timer_claim_due", "认领期限届满", "Task_claim", "${clock_due(clock_ownership)}")
    p.xor("Gateway_claimed", "是否有单位认领？", 4, 0)
    p.xor("Gateway_meeting_join", "", 5, 0)
    p.script("Script_step_meeting", "启动会议确定期限", 6, 0, """
        clock_ownership = clock_stop(clock_ownership)
        ownership_step = '会议确定'
        clock_ownership = clock_start('ownership_decision')
        """)
    p.user("Task_meeting", "联席会议确定责任单位", 7, 0, groups="xfj:head", due="${clock_due(clock_ownership)}",
           doc="第二十四条：协商不成的，由信访工作联席会议协调确定。",
           fields=[
               F("meeting_decided", "会议已确定责任单位", "boolean", default="false"),
               F("handling_unit", "责任单位", "enum", values=COUNTY_UNITS),
               F("meeting_minutes_no", "会议纪要编号", maxlength=60),
           ])
    p.timer("Timer_meeting_due", "会议确定期限届满", "Task_meeting", "${clock_due(clock_ownership)}")
    p.xor("Gateway_meeting", "会议是否确定？", 8, 0)
    p.xor("Gateway_instruct_join", "", 9, 0)
    p.script("Script_step_instruct", "启动批示指定期限", 10, 0, """
        clock_ownership = clock_stop(clock_ownership)
        ownership_step = '批示指定'
        clock_ownership = clock_start('ownership_decision')
        """)
    p.user("Task_instruct", "县领导批示指定", 11, 0, groups="county-lead:leader", due="${clock_due(clock_ownership)}",
           fields=[
               F("handling_unit", "指定责任单位", "enum", required=True, values=COUNTY_UNITS),
               F("lead_instruction", "批示内容", required=True, minlength=2, maxlength=1000),
           ])
    p.timer("Timer_instruct_due", "批示期限届满", "Task_instruct", "${clock_due(clock_ownership)}")
    p.script("Script_step_precedent", "启动案例推定期限", 12, 1.2, """
        clock_ownership = clock_stop(clock_ownership)
        ownership_step = '案例推定'
        clock_ownership = clock_start('ownership_decision')
        """)
    p.user("Task_precedent", "参照案例推定责任单位", 13, 1.2, groups="xfj:head", due="${clock_due(clock_ownership)}",
           fields=[
               F("handling_unit", "推定责任单位", "enum", required=True, values=COUNTY_UNITS),
               F("precedent_case_no", "参照案例编号", required=True, minlength=2, maxlength=60),
               F("precedent_reason", "推定理由", required=True, minlength=2, maxlength=1000),
           ])
    p.timer("Timer_precedent_due", "推定期限届满", "Task_precedent", "${clock_due(clock_ownership)}",
            interrupting=False)
    p.script("Script_precedent_overdue", "认定超期督办", 14, 2.4, f"""
        {notice('督办函', "'xfj'", '无头事项认定超期督办函')}
        """)
    p.end("End_precedent_supervised", "已督办", 15, 2.4)
    p.xor("Gateway_assigned_join", "", 15, 0)
    p.script("Script_assigned", "确定责任单位并通知", 16, 0, f"""
        clock_ownership = clock_stop(clock_ownership)
        ownership_method = ownership_step
        owner_unknown = False
        {notice('责任单位认定通知书', 'handling_unit')}
        """)
    p.end("End_assigned", "责任单位已确定", 17, 0)
    f = p.flow
    f("Start_ownership", "Task_publish")
    f("Task_publish", "Script_step_claim")
    f("Script_step_claim", "Task_claim")
    f("Task_claim", "Gateway_claimed")
    f("Timer_claim_due", "Gateway_meeting_join", via=[(3, 1.2), (5, 1.2)])
    f("Gateway_claimed", "Gateway_assigned_join", "已认领", "${claimed && !empty handling_unit}",
      via=[(4, -1.2), (15, -1.2)])
    f("Gateway_claimed", "Gateway_meeting_join", "无人认领", default=True)
    f("Gateway_meeting_join", "Script_step_meeting")
    f("Script_step_meeting", "Task_meeting")
    f("Task_meeting", "Gateway_meeting")
    f("Timer_meeting_due", "Gateway_instruct_join", via=[(7, 1.2), (9, 1.2)])
    f("Gateway_meeting", "Gateway_assigned_join", "会议确定", "${meeting_decided && !empty handling_unit}",
      via=[(8, -1.2), (15, -1.2)])
    f("Gateway_meeting", "Gateway_instruct_join", "未能确定", default=True)
    f("Gateway_instruct_join", "Script_step_instruct")
    f("Script_step_instruct", "Task_instruct")
    f("Task_instruct", "Gateway_assigned_join", via=[(11, -1.2), (15, -1.2)])
    f("Timer_instruct_due", "Script_step_precedent")
    f("Script_step_precedent", "Task_precedent")
    f("Task_precedent", "Gateway_assigned_join")
    f("Timer_precedent_due", "Script_precedent_overdue")
    f("Script_precedent_overdue", "End_precedent_supervised")
    f("Gateway_assigned_join", "Script_assigned")
    f("Script_assigned", "End_assigned")
    return p


# ---------------------------------------------------------------------------------------
def leader_case() -> Process:
    p = Process("leader_case", "领导接访与包案化解", """\
领导接访、包案化解：县级领导对疑难复杂信访事项包案，接访信访人，由其专班（牵头单位与属地乡镇）制定并落实化解方案，领导审定化解结果。
依据《信访工作条例》第七条、第十条（各级党委和政府领导接待群众来访、阅批群众来信、包案化解）、第二十五条（领导接访）、第三十四条（及时办理）及郓城县《县领导下访制度》、“四个一”工作专班。
专班任务的候选组由所选领导的单位和专班单位计算：${leader_unit}:leader、${team_unit}:handler,${town_unit}:handler。化解期限由信访局按案设定（clock_leader_case）。""")
    p.start("Start_leader_case", "确定包案事项", 0, 0)
    p.script("Script_init", "建立包案台账", 1, 0, INIT_NOTICES + """
        case_resolved = False
        """)
    p.user("Task_assign_leader", "确定包案领导和专班", 2, 0, groups="xfj:head",
           fields=[
               F("leader_user", "包案领导（用户名）", required=True, minlength=2, maxlength=60),
               F("leader_unit", "包案领导所在单位", "enum", required=True, values=LEADER_UNITS),
               F("team_unit", "专班牵头单位", "enum", required=True, values=COUNTY_UNITS),
               F("town_unit", "属地乡镇（街道）", "enum", required=True,
                 values=[(u.code, u.name) for u in UNITS if u.kind == "township"]),
               F("resolve_days", "化解期限（日）", "long", required=True, min=1, max=180),
           ])
    p.script("Script_start", "下达包案通知并启动化解期限", 3, 0, f"""
        clock_leader_case = clock_start('assignment', days=resolve_days, unit=team_unit)
        {notice('包案通知书', 'team_unit')}
        """)
    p.user("Task_visit", "领导接访", 4, 0, assignee="${leader_user}", groups="${leader_unit}:leader",
           due="${clock_due(clock_leader_case)}",
           fields=[
               F("visit_date", "接访日期", "date", required=True),
               F("visit_record", "接访记录", required=True, minlength=2, maxlength=3000),
               F("leader_instruction", "领导交办意见", required=True, minlength=2, maxlength=1000),
           ])
    p.user("Task_plan", "制定化解方案", 5, 0, groups="${team_unit}:handler,${town_unit}:handler",
           due="${clock_due(clock_leader_case)}",
           fields=[
               F("resolution_plan", "化解方案", required=True, minlength=2, maxlength=3000),
           ])
    p.xor("Gateway_progress_join", "", 6, 0)
    p.user("Task_implement", "落实化解措施", 7, 0, groups="${team_unit}:handler,${town_unit}:handler",
           due="${clock_due(clock_leader_case)}",
           fields=[
               F("progress_report", "化解进展", required=True, minlength=2, maxlength=3000),
               F("petitioner_satisfied", "信访人表示满意", "boolean", default="false"),
           ])
    p.timer("Timer_implement_warn", "化解期限五日内届满", "Task_implement", "${clock_warn(clock_leader_case, 5)}",
            interrupting=False, offset=25)
    p.script("Script_warn", "发出风险提醒", 8, 1.2, f"""
        {notice('风险提醒函', 'team_unit', '包案化解风险提醒函')}
        """)
    p.end("End_warned", "已提醒", 9, 1.2)
    p.timer("Timer_implement_due", "化解期限届满", "Task_implement", "${clock_due(clock_leader_case)}",
            interrupting=False, offset=-25)
    p.script("Script_overdue", "包案超期督办", 8, 2.3, f"""
        {notice('督办函', 'team_unit', '包案化解超期督办函')}
        """)
    p.end("End_supervised", "已督办", 9, 2.3)
    p.user("Task_review", "包案领导审定化解结果", 8, 0, assignee="${leader_user}", groups="${leader_unit}:leader",
           fields=[
               F("resolved", "已化解，同意销号", "boolean", default="false"),
               F("review_opinion", "审定意见", required=True, minlength=2, maxlength=1000),
           ])
    p.xor("Gateway_resolved", "是否化解？", 9, 0)
    p.script("Script_done", "化解销号", 10, 0, f"""
        clock_leader_case = clock_stop(clock_leader_case)
        case_resolved = True
        {notice('化解情况报告', "'xfj'", '包案化解情况报告')}
        """)
    p.end("End_resolved", "包案化解完成", 11, 0)
    f = p.flow
    f("Start_leader_case", "Script_init")
    f("Script_init", "Task_assign_leader")
    f("Task_assign_leader", "Script_start")
    f("Script_start", "Task_visit")
    f("Task_visit", "Task_plan")
    f("Task_plan", "Gateway_progress_join")
    f("Gateway_progress_join", "Task_implement")
    f("Task_implement", "Task_review")
    f("Timer_implement_warn", "Script_warn")
    f("Script_warn", "End_warned")
    f("Timer_implement_due", "Script_overdue")
    f("Script_overdue", "End_supervised")
    f("Task_review", "Gateway_resolved")
    f("Gateway_resolved", "Script_done", "已化解", "${resolved}")
    f("Gateway_resolved", "Gateway_progress_join", "继续化解", default=True, via=[(9, -1.2), (6, -1.2)])
    f("Script_done", "End_resolved")
    return p


BUILDERS = {"intake": intake, "litigation_handoff": litigation, "ownership": ownership,
            "leader_case": leader_case}


def main(argv: list[str]) -> int:
    out = Path(argv[1])
    keys = argv[2:] or list(BUILDERS)
    out.mkdir(parents=True, exist_ok=True)
    for key in keys:
        (out / f"{key}.bpmn").write_text(BUILDERS[key]().render(), encoding="utf-8")
        print(f"wrote {out / (key + '.bpmn')}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
