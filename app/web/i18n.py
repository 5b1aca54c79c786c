"""The pages' words in Chinese (the default) and English, and how amounts are written."""

from collections.abc import Mapping
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from app.clock import REPORTING_TZ
from app.models import MILESTONE_NAMES, STATUS_NAMES, MilestoneKind, ProjectStatus
from app.rollups.schemas import VERDICT_NAMES, Verdict

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")

# 亿 = 10,000 万: amounts from one 亿元 up read better in 亿元.
WAN_PER_YI = 10_000

MESSAGES: dict[str, tuple[str, str]] = {
    "app_title": ("重点项目库", "Key-project portfolio"),
    "overview": ("总览", "Overview"),
    "projects": ("项目", "Projects"),
    "my_park": ("本园区填报", "My park"),
    "spreadsheet": ("表格填报", "Spreadsheet"),
    "reconciliation": ("数据核对", "Reconciliation"),
    "sign_in": ("登录", "Sign in"),
    "sign_out": ("退出", "Sign out"),
    "token": ("API 令牌", "API token"),
    "token_help": (
        "粘贴管理员发放的 API 令牌（portfolio token create）。令牌只保存在本浏览器的 Cookie 中。",
        "Paste the API token you were issued (portfolio token create). It is kept only in "
        "this browser's cookie.",
    ),
    "token_invalid": ("令牌无效或已撤销。", "The token is unknown or revoked."),
    # Reports that say something, and reviews that hold.
    "no_change_confirmed": ("本期无变化（确认与上期相同）", "No change this period (confirm)"),
    "no_change_help": (
        "进展与上期完全相同时勾选确认；未确认的相同报送记为“未更新”，在报送情况中单独统计。",
        "Tick when nothing changed since the last report; an unconfirmed repeat counts as "
        "unchanged, apart from the reports that say something.",
    ),
    "plausibility_reason": ("核实说明", "Reason"),
    "plausibility_reason_help": (
        "数据看似不合常理（累计投资超过总投资、进度或状态倒退、竣工未填日期或未达 100%）"
        "但确属实时，说明原因。",
        "Say why the figures are right when they look implausible (investment above the "
        "total, progress or status moving back, completion without a date or 100 %).",
    ),
    "period_locked": (
        "{period} 的报告已审核通过，本期已锁定；如需更正，请联系规划人员重新开放本期。",
        "The report of {period} was approved and the period is closed; ask a planner to reopen it.",
    ),
    "unchanged": ("未更新", "unchanged"),
    "reviews": ("审核", "Reviews"),
    "reviews_title": ("报告审核", "Report review"),
    "reviews_waiting": ("待审核", "Waiting"),
    "reviews_returned": ("已退回", "Returned"),
    "reviews_none": ("没有符合条件的报告。", "No reports match."),
    "reviews_selected": ("对选中的报告：", "For the selected reports:"),
    "approve_selected": ("批量通过", "Approve selected"),
    "return_selected": ("批量退回", "Return selected"),
    "review_comment_help": ("退回时必填，说明需要修改什么。", "Required to return: what to fix."),
    "reviews_done": ("已处理 {count} 份报告。", "{count} reports done."),
    "reviews_pick": ("请先勾选报告。", "Select reports first."),
    "select_all": ("全选", "Select all"),
    "received": ("收到时间", "Received"),
    "reopen_period": ("重新开放本期", "Reopen the period"),
    "reopen_reason": ("重新开放原因", "Why reopen"),
    "reopened": ("已重新开放 {period}，园区可重新填报。", "{period} reopened for reports."),
    "reopen_reason_required": (
        "请填写重新开放的原因；本期未锁定时无需重新开放。",
        "Give a reason; a period that is not closed needs no reopening.",
    ),
    "unchanged_help": (
        "与上期相同且未确认“本期无变化”，报送情况中单独统计。",
        "Repeats the last report without confirming no change; counted apart.",
    ),
    "csrf_failed": (
        "表单已过期或来自其他网站，请重新提交。",
        "The form expired or came from another site; please submit it again.",
    ),
    "signed_in_as": ("当前用户", "Signed in as"),
    "role_admin": ("管理员", "administrator"),
    "role_planner": ("规划人员", "planner"),
    "role_officer": ("园区联络员", "park officer"),
    "as_of": ("截至日期", "As of"),
    "apply": ("查询", "Apply"),
    "reset": ("重置", "Reset"),
    "project_count": ("项目数", "Projects"),
    "planned": ("计划总投资", "Planned investment"),
    "invested": ("累计完成投资", "Invested to date"),
    "completion_rate": ("投资完成率", "Completion rate"),
    "schedule_gap": ("序时进度差", "Schedule gap"),
    "schedule_gap_help": (
        "按投资加权：时间进度减去实际进度，正数表示滞后（百分点）。",
        "Investment-weighted time elapsed minus progress reported; positive is behind "
        "(percentage points).",
    ),
    "open_blockers": ("存在问题的项目", "Open blockers"),
    "reports_missing": ("未报项目", "Reports missing"),
    "reports_missing_help": ("期间 {period}，{due} 前应报", "period {period}, due {due}"),
    "by_park": ("按园区", "By park"),
    "by_category": ("按类别", "By category"),
    "by_start_year": ("按开工年份", "By start year"),
    "by_status": ("按状态", "By status"),
    "chart_hint": ("点击柱形查看对应项目。", "Click a bar to list its projects."),
    "park": ("园区", "Park"),
    "category": ("类别", "Category"),
    "start_year": ("开工年份", "Start year"),
    "status": ("状态", "Status"),
    "search": ("搜索", "Search"),
    "search_placeholder": ("项目名称、内容、编号", "Name, content or code"),
    "sort": ("排序", "Sort"),
    "sort_appendix": ("附件顺序", "Appendix order"),
    "sort_investment_desc": ("总投资从高到低", "Investment, highest first"),
    "sort_investment_asc": ("总投资从低到高", "Investment, lowest first"),
    "sort_start_desc": ("开工年份从近到远", "Start year, newest first"),
    "sort_start_asc": ("开工年份从远到近", "Start year, oldest first"),
    "sort_code": ("编号", "Code"),
    "all": ("全部", "All"),
    "code": ("编号", "Code"),
    "name": ("项目名称", "Name"),
    "years": ("建设年限", "Years"),
    "total_investment": ("总投资", "Total investment"),
    "latest_report": ("最新进展", "Latest report"),
    "export_csv": ("导出 CSV", "Export CSV"),
    "export_xlsx": ("导出 Excel", "Export Excel"),
    "showing": ("第 {first}–{last} 条，共 {total} 条", "{first}–{last} of {total}"),
    "no_projects": ("没有符合条件的项目。", "No project matches."),
    "previous": ("上一页", "Previous"),
    "next": ("下一页", "Next"),
    "master_data": ("基本信息", "Master data"),
    "content": ("建设内容及规模", "Content and scale"),
    "printed_park": ("附件所列园区", "Park as printed"),
    "timeline": ("进展记录", "Progress timeline"),
    "investment_chart": ("累计完成投资", "Invested to date"),
    "plan_line": ("计划总投资", "Planned"),
    "percent": ("完成百分比", "Percent complete"),
    "note": ("形象进度", "Progress note"),
    "issues": ("存在问题", "Blockers"),
    "reporter": ("填报人", "Reported by"),
    "review": ("审核", "Review"),
    "review_submitted": ("待审核", "submitted"),
    "review_approved": ("已通过", "approved"),
    "review_returned": ("已退回", "returned"),
    "review_baseline": ("基线", "baseline"),
    "revision": ("修订", "revision"),
    "review_comment": ("审核意见（退回时必填）", "Comment (required to return)"),
    "approve": ("通过", "Approve"),
    "return": ("退回", "Return"),
    "review_done": (
        "{period} 第 {revision} 版：{state}。",
        "{period}, revision {revision}: {state}.",
    ),
    "baseline_note": ("附件 3 所列进展（基线）", "Progress printed in Appendix 3 (baseline)"),
    "report_progress": ("填报进展", "Report progress"),
    "report_for": ("填报：{code} {name}", "Report: {code} {name}"),
    "period_due": ("本期应报：{period}（{due} 前）", "Due this period: {period} (by {due})"),
    "period_overdue": (
        "截止日已过，现在提交计为迟报；下月初起应报下一期。",
        "The due day has passed: reports filed now count as late. The next period falls due "
        "when the month turns.",
    ),
    "reported": ("已报", "reported"),
    "missing": ("未报", "missing"),
    "late": ("迟报", "late"),
    "returned": ("被退回", "returned"),
    "submit": ("提交", "Submit"),
    "report_saved": (
        "已保存：{period} 第 {revision} 版。",
        "Saved: {period}, revision {revision}.",
    ),
    "fix_errors": (
        "请更正以下错误，未保存任何内容。",
        "Please fix the errors below; nothing was stored.",
    ),
    "not_your_park": ("该项目不属于您的园区。", "This project is not in your park."),
    "template": ("下载填报模板", "Download the template"),
    "template_help": (
        "模板已预填本园区项目的最新数据；填好后上传。",
        "The template is prefilled with your park's latest figures; fill it in and upload it.",
    ),
    "period": ("填报期间", "Period"),
    "upload": ("上传", "Upload"),
    "upload_file": ("填好的表格（XLSX 或 CSV）", "Filled spreadsheet (XLSX or CSV)"),
    "dry_run": ("仅检查，不保存", "Check only, store nothing"),
    "upload_stored": (
        "已保存 {stored} 条，未变 {unchanged} 条。",
        "{stored} stored, {unchanged} unchanged.",
    ),
    "upload_checked": (
        "检查通过：将保存 {stored} 条，未变 {unchanged} 条。",
        "Check passed: {stored} would be stored, {unchanged} unchanged.",
    ),
    "upload_failed": ("表格有错误，未保存任何内容。", "The sheet has errors; nothing was stored."),
    "row": ("行", "Row"),
    "field": ("字段", "Field"),
    "message": ("错误", "Error"),
    "published": ("方案公布", "Published"),
    "computed": ("项目库计算", "Computed"),
    "difference": ("差额", "Difference"),
    "count_short": ("个", "proj."),
    "differing_cells": ("{n} 个单元格不一致", "{n} cells differ"),
    "headline": ("总计", "Headline"),
    "appendix_header": ("附件表头", "Appendix header"),
    # The reconciliation as a worklist, editions, and who is responsible for a project.
    "reconciliation_edition": (
        "只对照方案附件3（入库批次“方案附件”）的178个项目，后续入库批次不计入；已出库的附件项目仍计入，"
        "因为表4、表5描述的是方案印发时的项目库。",
        "Only the plan's own edition (Appendix 3, 178 projects) is compared; later batches never "
        "count, and appendix rows that left the library still do, since tables 4 and 5 describe "
        "the plan as printed.",
    ),
    "worklist": ("差异清单", "Differences to explain"),
    "worklist_help": (
        "每个不一致的单元格：可解释差额的附件项目与复核说明。“已复核”为逐行核对的结论；“个数金额吻合”为"
        "个数与金额恰好等于差额的一个或两个项目；“金额最接近”仅供逐项核对。",
        "Each differing cell: the appendix projects that can explain it and the reviewed "
        "explanation. Reviewed: checked row by row; exact: one or two projects with exactly the "
        "difference's count and amount; nearest: the cell's projects nearest in amount, to check "
        "one by one.",
    ),
    "candidates": ("可解释差额的项目", "Projects that can explain it"),
    "match_reviewed": ("已复核", "reviewed"),
    "match_exact": ("个数金额吻合", "exact count and amount"),
    "match_closest": ("金额最接近", "nearest in amount"),
    "no_candidates": ("附件中没有可解释此差额的项目", "no appendix project explains it"),
    "cell_projects": ("查看该单元格的项目", "List this cell's projects"),
    "explanation": ("说明", "Explanation"),
    "owner": ("业主单位", "Owner"),
    "responsible_unit": ("责任单位", "Responsible unit"),
    "leader": ("包保领导", "Sponsoring leader"),
    "national_code": ("项目代码", "National project code"),
    "earlier_codes": ("曾用代码", "earlier"),
    "edition": ("入库批次", "Edition / batch"),
    "exit_reason": ("出库原因", "Why it left the library"),
    "archived_on": ("已出库", "Left the library"),
    "unspecified": ("(未指定)", "(not specified)"),
    "editions": ("入库批次", "Editions"),
    "editions_help": (
        "方案附件3为项目库的首个版本（数据核对只对照此版本）；此后入库的项目按批次登记文号和日期。"
        "出库是有记录的变更，不删除项目。",
        "Appendix 3 of the plan is the library's first edition (the reconciliation compares it "
        "alone); projects added later come in batches with their document and date. Leaving the "
        "library is a recorded change, never a deletion.",
    ),
    "edition_kind_plan": ("方案附件", "the plan"),
    "edition_kind_batch": ("批次", "batch"),
    "document": ("文号", "Document"),
    "document_date": ("日期", "Date"),
    "archived_count": ("已出库", "Left"),
    "by_unit": ("按责任单位", "By responsible unit"),
    "scorecard_unit_help": (
        "各责任单位本年度：超前/正常/滞后项目个数、开工率、竣工率、年度完成率。",
        "Per responsible unit this year: projects ahead, on schedule and behind, start rate, "
        "completion rate and year completion.",
    ),
    "error": ("出错了", "Something is wrong"),
    "invalid_fields": ("输入有误：{fields}", "Invalid input: {fields}"),
    "back": ("返回", "Back"),
    "language": ("English", "中文"),
    "figures_latest": ("最新填报", "Latest reports"),
    "figures_official": ("审核通过", "Approved only"),
    "figures": ("口径", "Figures"),
    "no_reports": ("尚无进展记录。", "No progress reported yet."),
    "due_projects": ("本园区项目", "Your park's projects"),
    "officer_only": (
        "此页面供园区联络员使用；规划人员可在“项目”中查看全部项目。",
        "This page is for park officers; planners see every project under Projects.",
    ),
    # The year's 调度 round on the overview.
    "year": ("年度", "Year"),
    "year_round": ("{year}年度 调度", "{year} round"),
    "year_round_help": (
        "截至 {day}；序时进度按月计算（{months} 月末为 {months}/12）。",
        "As at {day}; time elapsed counts months ({months} months: {months}/12).",
    ),
    "year_planned": ("年度计划投资", "Planned for the year"),
    "year_invested": ("1–{months} 月完成投资", "Invested, months 1–{months}"),
    "year_completion": ("年度完成率", "Year completion"),
    "time_elapsed": ("序时进度", "Time elapsed"),
    "year_gap": ("与序时进度相比", "Against time elapsed"),
    "gap_above": ("超过序时进度 {points} 个百分点", "{points} points ahead of time elapsed"),
    "gap_below": ("低于序时进度 {points} 个百分点", "{points} points behind time elapsed"),
    "gap_level": ("与序时进度持平", "Level with time elapsed"),
    "no_year_plan": ("无年度计划", "No plan for the year"),
    "verdict_counts": (
        "超前 {ahead} 个 · 正常 {on_schedule} 个 · 滞后 {behind} 个项目",
        "Projects: {ahead} ahead · {on_schedule} on schedule · {behind} behind",
    ),
    "start_rate": ("开工率", "Start rate"),
    "finish_rate": ("竣工率", "Completion rate (projects)"),
    "of_planned": ("实际 {actual} / 计划 {planned} 个", "{actual} of {planned} planned"),
    "overdue_projects": ("超期项目", "Overdue projects"),
    "overdue_help": (
        "已过计划竣工年份仍未竣工",
        "Past the planned end year and not completed",
    ),
    "year_by_park": ("各园区年度完成情况", "The year by park"),
    "year_by_park_help": (
        "按年度完成率从高到低排列；无年度计划的园区列在最后。",
        "Ranked by year completion, highest first; parks without a plan last.",
    ),
    "rank": ("排名", "Rank"),
    "gap_points": ("偏差（百分点）", "Gap (points)"),
    "verdict": ("评价", "Verdict"),
    "starts": ("开工", "Starts"),
    "completions": ("竣工", "Completions"),
    "year_series": ("{year}年逐月开复工、竣工投产与完成投资", "{year} by month"),
    "started": ("开工", "Started"),
    "resumed": ("复工", "Resumed"),
    "completed_count": ("竣工", "Completed"),
    "commissioned": ("投产", "Commissioned"),
    "invested_month": ("当月完成投资", "Invested in the month"),
    "count_unit": ("个", "projects"),
    # A project's annual plans and milestones.
    "plans": ("年度计划与完成", "Annual plans and results"),
    "no_plans": ("尚无年度计划。", "No annual plan yet."),
    "plan_target": ("年度目标", "Target"),
    "planned_start": ("计划开工", "Start planned"),
    "planned_completion": ("计划竣工", "Completion planned"),
    "plan_revision": ("版本", "Revision"),
    "adjusted": ("已调整", "Adjusted"),
    "adjustment": ("调整原因及文号", "Reason and document"),
    "year_actual": ("年度完成投资", "Invested in the year"),
    "year_actual_help": (
        "年末累计完成投资减上年末累计完成投资（本年度截至最新进展）。",
        "Invested to date at the year's end minus at the end of the year before (this year: "
        "to the latest report).",
    ),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "milestones": ("项目里程碑", "Milestones"),
    "planned_on": ("计划", "Planned"),
    "actual_on": ("实际", "Actual"),
    "late_mark": ("逾期", "Overdue"),
    "milestone_done": ("已完成", "Done"),
    "milestones_reached": ("本期达到的里程碑", "Milestones reached"),
    "milestones_reached_help": (
        "只填本期新达到的阶段的实际日期（不晚于填报截止日期）；未填的保持原样。有实际开工日期时"
        "状态应为在建，有实际竣工日期时状态应为已竣工。",
        "Only the actual dates of stages newly reached (on or before the report's date); "
        "those left empty stay as they are. An actual start needs a status under construction, "
        "an actual completion the status completed.",
    ),
    "recorded_on": ("已记录", "Recorded"),
    # The audit log page (app/web/audit).
    "audit": ("变更记录", "Audit log"),
    "audit_help": (
        "主数据（项目、园区、年度计划、里程碑、问题、令牌等）的每一次变更：谁、何时、哪些字段由什么改为"
        "什么、原因。最新的在前；时间为北京时间，截止日期含当日。",
        "Every change to master data (projects, parks, annual plans, milestones, blockers, "
        "tokens, …): who, when, which fields from what to what, and why. Newest first; times "
        "are China time, and the until date includes its whole day.",
    ),
    "audit_object_type": ("对象类型", "Object type"),
    "audit_object_key": ("对象", "Object"),
    "audit_actor": ("操作人", "Changed by"),
    "audit_action": ("操作", "Action"),
    "audit_since": ("起始日期", "From"),
    "audit_until": ("截止日期", "Until"),
    "audit_at": ("时间", "When"),
    "audit_changes": ("变更内容", "Changes"),
    "audit_reason": ("原因", "Reason"),
    "audit_none": ("没有符合条件的记录。", "No record matches."),
    "audit_older": ("更早的记录", "Older records"),
    "audit_newest": ("最新记录", "Newest records"),
    # The 问题清单 (app/web/blockers).
    "blockers": ("问题清单", "Blockers"),
    "blockers_help": (
        "超期：未办结且已过解决时限（以北京时间当日计）。办结率 = 已办结 ÷ 提出问题。",
        "Overdue: not resolved and past the deadline (China's calendar). Resolution rate = "
        "resolved ÷ raised.",
    ),
    "blocker": ("问题", "Blocker"),
    "blocker_id": ("问题编号", "No."),
    "blocker_type": ("问题类型", "Type"),
    "blocker_description": ("问题描述", "Description"),
    "blocker_unit": ("责任单位", "Responsible unit"),
    "blocker_level": ("层级", "Level"),
    "blocker_deadline": ("解决时限", "Deadline"),
    "blocker_state": ("状态", "State"),
    "blocker_overdue": ("超期", "Overdue"),
    "blocker_overdue_only": ("只看超期", "Overdue only"),
    "blocker_raised_by": ("提出人", "Raised by"),
    "blocker_raised_at": ("提出时间", "Raised"),
    "blocker_resolution": ("办理结果", "Resolution"),
    "blocker_resolution_help": (
        "办结时必填：如何解决的。",
        "Required to resolve: how it was solved.",
    ),
    "blocker_note": ("办理说明", "Note"),
    "blocker_note_help": (
        "每一步都须填写：做了什么、为什么。",
        "Every step needs one: what was done, and why.",
    ),
    "blocker_history": ("办理记录", "History"),
    "blocker_from_report": ("来自进展报告", "From a progress report"),
    "blocker_none": ("没有符合条件的问题。", "No blocker matches."),
    "blocker_none_project": ("尚无问题。", "No blocker raised."),
    "blocker_raise": ("提出问题", "Raise a blocker"),
    "blocker_raise_for": ("提出问题：{code} {name}", "Raise a blocker: {code} {name}"),
    "blocker_raised": ("问题已提出。", "The blocker was raised."),
    "blocker_step": ("办理", "Take a step"),
    "blocker_step_saved": ("已保存。", "Saved."),
    "blocker_keep_state": ("状态不变", "Keep the state"),
    "blocker_changed": (
        "此问题已被他人修改，未保存；下方为最新情况，请核对后重新提交。",
        "Someone changed this blocker meanwhile; nothing was stored. It is shown as it now "
        "stands: check it and submit again.",
    ),
    "blocker_officer_help": (
        "园区联络员可添加办理说明，并将待办或重新打开的问题改为办理中；交办、提级、定时限、办结由规划人员办理。",
        "Park officers add notes and move an open or reopened blocker to in progress; "
        "assigning, escalating, deadlines and resolving are for planners.",
    ),
    "blocker_by_type": ("按问题类型", "By type"),
    "blocker_raised_count": ("提出", "Raised"),
    "blocker_open_count": ("未办结", "Open"),
    "blocker_resolved_count": ("已办结", "Resolved"),
    "blocker_rate": ("办结率", "Resolution rate"),
    "blocker_unassigned": ("未指定", "unassigned"),
    "blocker_changes": ("变更", "Changes"),
    "blocker_created": ("提出", "raised"),
}

VERDICT_EN = {
    Verdict.ahead: "ahead",
    Verdict.on_schedule: "on schedule",
    Verdict.behind: "behind",
}

MILESTONE_EN = {
    MilestoneKind.filing: "Filing / approval",
    MilestoneKind.permits: "Permits obtained",
    MilestoneKind.start: "Start",
    MilestoneKind.completion: "Completion and acceptance",
    MilestoneKind.operation: "Commissioning",
}

STATUS_EN = {
    ProjectStatus.pre_construction: "pre-construction",
    ProjectStatus.under_construction: "under construction",
    ProjectStatus.completed: "completed",
    ProjectStatus.suspended: "suspended",
    ProjectStatus.cancelled: "cancelled",
}


def message(lang: Lang, key: str, **values: object) -> str:
    """The text for `key` in `lang`, with `{placeholders}` filled."""
    zh, en = MESSAGES[key]
    text = zh if lang == "zh" else en
    return text.format(**values) if values else text


# The Chinese of what a form or an upload can be told about a field, by the error's `type`
# (pydantic's, or the service's own from `app.problems.field_error`), its `ctx` filling the
# blanks. English pages, and errors of any other type, show the error's own message.
FIELD_ERRORS: dict[str, str] = {
    "missing": "必填。",
    "string_too_long": "不超过 {max_length} 个字。",
    "string_too_short": "至少 {min_length} 个字。",
    "int_parsing": "请填写整数。",
    "int_type": "请填写整数。",
    "int_from_float": "请填写整数。",
    "float_parsing": "请填写数字。",
    "greater_than_equal": "不能小于 {ge}。",
    "less_than_equal": "不能大于 {le}。",
    "greater_than": "须大于 {gt}。",
    "less_than": "须小于 {lt}。",
    "date_format": "日期写作 YYYY-MM-DD（1950 年以后），如 2026-11-30。",
    "date_parsing": "日期写作 YYYY-MM-DD，如 2026-11-30。",
    "date_from_datetime_parsing": "日期写作 YYYY-MM-DD，如 2026-11-30。",
    "date_in_future": "{value} 晚于今天（北京时间 {today}）。",
    "enum": "请从列表中选择。",
    "literal_error": "请从列表中选择。",
    "string_pattern_mismatch": "格式不符。",
    "control_characters": "不能含控制字符（第 {position} 个字符是 {char}）。",
    "extra_forbidden": "不接受此项。",
    "completed_below_100": "已竣工的项目完成百分比应为 100%，而不是 {percent}%。",
    "percent_before_start": "尚未开工的项目完成百分比不能是 {percent}%。",
    "investment_below_earlier": (
        "{invested:,} 万元低于 {period} 已报的 {reported:,} 万元；累计完成投资只增不减。"
    ),
    "investment_above_later": "{invested:,} 万元高于其后 {period} 已报的 {reported:,} 万元。",
    # The plausibility rules (app/progress/service): a reason lets the report through.
    "investment_above_total": (
        "{invested:,} 万元高于项目总投资 {total:,} 万元；如确属实，请在“核实说明”中说明原因。"
    ),
    "percent_backwards": (
        "{percent}% 低于上期已报的 {reported}%；如确属实，请在“核实说明”中说明原因。"
    ),
    "status_backwards": (
        "项目状态较上期倒退（如由已竣工改回在建）；如确属实，请在“核实说明”中说明原因。"
    ),
    "completed_without_date": (
        "报竣工须填写竣工验收的实际日期；如暂无日期，请在“核实说明”中说明原因。"
    ),
    "completed_without_percent": (
        "报竣工时完成百分比应为 100；如确属实，请在“核实说明”中说明原因。"
    ),
    # Milestone dates (app/plans/milestones).
    "milestone_order": (
        "与已记录的 {other_date} 先后不符："
        "各阶段依次为备案/核准、要件办理完成、开工、竣工验收、投产。"
    ),
    "milestone_after_report": "晚于本次填报的截止日期 {as_of}。",
    "milestone_contradicts_status": (
        "与填报状态不符：有实际开工日期时状态应为在建（或已竣工、停建），"
        "有实际竣工日期时应为已竣工。"
    ),
    "milestone_cleared": "已竣工项目的实际开工、竣工日期不能清除。",
    # A spreadsheet's own refusals (app/spreadsheets).
    "missing_column": "表中缺少此列。",
    "header": "此列出现了两次。",
    "duplicate_row": "{code} 的 {period} 已在第 {row} 行填报。",
    "not_found": "没有编号为 {code} 的项目。",
    "forbidden": "此项目属于园区 {park_id}，不在本账号的填报范围内。",
    "conflict": "此项目已归档，不再接受填报。",
    # A blocker's steps (app/blockers/service).
    "blocker_move": "问题状态不能由“{current}”改为“{target}”。",
    "blocker_resolved": "问题已办结，请先重新打开再修改。",
    "blocker_level_down": "层级只能提升（园区 → 区 → 市），目前为“{level}”。",
    "blocker_planners_only": (
        "园区联络员只能添加办理说明或将问题改为办理中；交办、提级、定时限、办结和重新打开由规划人员办理。"
    ),
    "resolution_without_resolving": "只有办结时才填写办理结果。",
    "blocker_archived_project": "此项目已归档，不再接受新问题。",
}


def field_message(lang: Lang, error: Mapping[str, Any]) -> str:
    """What an error says about its field, in `lang` where its type is known."""
    template = FIELD_ERRORS.get(str(error.get("type", ""))) if lang == "zh" else None
    if template is not None:
        try:
            return template.format(**(error.get("ctx") or {}))
        except (KeyError, IndexError, ValueError):
            pass  # a context without the expected values: the error's own words serve
    return str(error.get("msg", ""))


def status_name(lang: Lang, status: str) -> str:
    """A status in the page's language."""
    value = ProjectStatus(status)
    return STATUS_NAMES[value] if lang == "zh" else STATUS_EN[value]


def verdict_name(lang: Lang, verdict: str | None) -> str:
    """A year verdict (超前/正常/滞后) in the page's language; a dash without a plan."""
    if verdict is None:
        return "—"
    value = Verdict(verdict)
    return VERDICT_NAMES[value] if lang == "zh" else VERDICT_EN[value]


def milestone_name(lang: Lang, kind: str) -> str:
    """A life-cycle stage in the page's language."""
    value = MilestoneKind(kind)
    return MILESTONE_NAMES[value] if lang == "zh" else MILESTONE_EN[value]


def gap_text(lang: Lang, gap: float | None) -> str:
    """年度完成率 against 序时进度 in words: above or below by so many points."""
    if gap is None:
        return message(lang, "no_year_plan")
    if gap == 0:
        return message(lang, "gap_level")
    return message(lang, "gap_above" if gap > 0 else "gap_below", points=f"{abs(gap):,.1f}")


def number(value: int | float | None) -> str:
    """Thousands separators; blank for a missing value."""
    if value is None:
        return "—"
    return f"{value:,}"


def wan(amount: int | None) -> str:
    """An amount in 万元, written in 亿元 from one 亿 up, with thousands separators."""
    # The plan's own units in both languages: converting to CNY would invite misreadings.
    if amount is None:
        return "—"
    if abs(amount) >= WAN_PER_YI:
        yi = (Decimal(amount) / WAN_PER_YI).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        return f"{yi:,} 亿元"
    return f"{amount:,} 万元"


def percent(value: float | None, *, ratio: bool = False) -> str:
    """A percentage (or a 0–1 ratio as one) with one decimal."""
    if value is None:
        return "—"
    return f"{value * 100 if ratio else value:,.1f}%"


def local_time(value: datetime | None) -> str:
    """A timestamp in China time, to the minute."""
    if value is None:
        return ""
    return value.astimezone(REPORTING_TZ).strftime("%Y-%m-%d %H:%M")
