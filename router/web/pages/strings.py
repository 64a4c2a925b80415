"""Every word the dashboard shows, in English and Chinese, in one place. A page is in the
signed-in agent's first language (desk.toml `languages`); the sign-in form follows the
browser's Accept-Language."""
from __future__ import annotations

from router.models import Agent

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "desk": "Support desk", "sign_in": "Sign in", "name": "Name", "password": "Password",
        "bad_sign_in": "Unknown name or wrong password.", "sign_out": "Sign out",
        "my_work": "My work", "pools": "Pool queues", "nothing": "Nothing here.",
        "case": "Case", "subject": "Subject", "customer": "Customer", "channel": "Channel",
        "urgency": "Urgency", "category": "Category", "due": "Due", "state": "State",
        "assignee": "Assignee", "claim": "Claim", "unassigned": "Unassigned work",
        "reply": "Reply", "reply_wait": "Reply and wait for the customer", "resolve": "Resolve",
        "labels": "Correct the labels", "save_labels": "Save labels", "reasons": "Why it is here",
        "thread": "Thread", "overdue": "overdue", "no_deadline": "no deadline",
        "pool": "Pool", "refused": "Not sent", "other_cases": "The customer's other cases",
        "internal": "automatic", "resolved": "Resolved.", "sent": "Reply queued for sending.",
        "live": "Updates live.",
        # The conversation page's notes, macros and reassign form; the pool page's load.
        "internal_note": "Internal note", "add_note": "Add note", "noted": "Note added.",
        "note_hint": "Only agents see notes: the customer never does.",
        "macro": "Macro", "insert_macro": "Insert", "no_macro": "No such macro:",
        "reassign": "Reassign", "reassigned": "Reassigned.", "agent": "Agent",
        "keep_or_free": "(the pool's next free agent)", "same_pool": "(this pool)",
        "load_per_agent": "Load per agent", "open_of_capacity": "Open / capacity",
        # Reports (router/web/pages/reports.py)
        "reports": "Reports", "from": "From", "to": "To", "show": "Show", "all_pools": "All pools",
        "your_pools": "Your pools", "last_days": "Last {n} days",
        "range_note": "Dates in UTC, both days included; at most {max} days.",
        "report_scope": "Conversations opened {start} to {end} (UTC): {n}.",
        "bad_date": "Dates are written YYYY-MM-DD, for example 2026-03-31.",
        "bad_order": "The first day comes after the last day.",
        "too_long": "A report covers at most {max} days.", "bad_days": "Days are a whole number from 1 to {max}.",
        "bad_pool": "You cannot report on pool {pool}: it is not one of your pools, or does not exist.",
        "times_title": "First-reply and resolution times", "first_reply": "First reply",
        "resolution": "Resolution", "count": "Conversations",
        "times_note": "Calendar time from the customer's first message; p50 and p90 are interpolated percentiles.",
        "sla_title": "First replies met and breached", "met": "Met", "breached": "Breached",
        "open_first": "Not yet due", "share_met": "Share met",
        "by_channel": "Volume by channel", "by_category": "Volume by category",
        "by_hour": "Volume by hour of day (UTC)", "by_day": "Volume by day (UTC)", "as_table": "As a table",
        "csat_title": "Customer satisfaction (CSAT)", "csat_responses": "Responses", "csat_requests": "Requests",
        "csat_average": "Average", "csat_none": "No ratings to show.",
        "presence": "Presence", "presence_online": "Online", "presence_away": "Away",
        "presence_offline": "Offline", "set_presence": "Set",
        "supervisors": "Supervisors", "alarms": "Breaches and warnings", "agents": "Agents",
        "load": "Load", "role": "Role", "deadline": "Deadline",
        "alarm_kind": "Alarm", "alarm_at": "When", "warning": "warning", "breach": "breach",
        "deadline_first_reply": "first reply", "deadline_next_reply": "next reply", "deadline_resolution": "resolution",
        "refused_page": "Not for you", "supervisors_only": "Only supervisors and admins see this page.",
        "new_message": "The customer wrote again.",
        "new_assignment": "New conversation assigned to you.", "warned": "SLA warning on",
        "signed_out_live": "Your session has ended: sign in again for live updates.",
    },
    "zh": {
        "desk": "客服工作台", "sign_in": "登录", "name": "用户名", "password": "密码",
        "bad_sign_in": "用户名或密码错误。", "sign_out": "退出",
        "my_work": "我的工单", "pools": "工单池", "nothing": "暂无内容。",
        "case": "工单", "subject": "主题", "customer": "客户", "channel": "渠道",
        "urgency": "紧急程度", "category": "类别", "due": "截止", "state": "状态",
        "assignee": "处理人", "claim": "领取", "unassigned": "未分配的工单",
        "reply": "回复", "reply_wait": "回复并等待客户", "resolve": "解决",
        "labels": "更正标签", "save_labels": "保存标签", "reasons": "分配原因",
        "thread": "对话", "overdue": "已超时", "no_deadline": "无截止时间",
        "pool": "工单池", "refused": "未发送", "other_cases": "该客户的其他工单",
        "internal": "自动", "resolved": "已解决。", "sent": "回复已排队发送。",
        "live": "实时更新。",
        # 工单页的内部备注、快捷回复和转派；工单池页的负载。
        "internal_note": "内部备注", "add_note": "添加备注", "noted": "备注已添加。",
        "note_hint": "备注仅客服可见，客户永远看不到。",
        "macro": "快捷回复", "insert_macro": "插入", "no_macro": "没有这个快捷回复：",
        "reassign": "转派", "reassigned": "已转派。", "agent": "客服",
        "keep_or_free": "（工单池中下一位空闲客服）", "same_pool": "（当前工单池）",
        "load_per_agent": "客服负载", "open_of_capacity": "处理中 / 上限",
        "reports": "报表", "from": "开始", "to": "结束", "show": "查看", "all_pools": "全部工单池",
        "your_pools": "你的工单池", "last_days": "最近 {n} 天",
        "range_note": "日期按 UTC 计，含首尾两天；最多 {max} 天。",
        "report_scope": "{start} 至 {end}（UTC）新建的工单：{n} 个。",
        "bad_date": "日期格式为 YYYY-MM-DD，例如 2026-03-31。",
        "bad_order": "开始日期晚于结束日期。",
        "too_long": "报表最多覆盖 {max} 天。", "bad_days": "天数须为 1 到 {max} 之间的整数。",
        "bad_pool": "无法查看工单池 {pool} 的报表：它不是你的工单池，或不存在。",
        "times_title": "首次回复与解决用时", "first_reply": "首次回复",
        "resolution": "解决", "count": "工单数",
        "times_note": "自客户第一条消息起的日历时间；p50 与 p90 为插值百分位数。",
        "sla_title": "首次回复达标与超时", "met": "达标", "breached": "超时",
        "open_first": "尚未到期", "share_met": "达标比例",
        "by_channel": "各渠道工单量", "by_category": "各类别工单量",
        "by_hour": "按小时的工单量（UTC）", "by_day": "按天的工单量（UTC）", "as_table": "表格形式",
        "csat_title": "客户满意度（CSAT）", "csat_responses": "回复数", "csat_requests": "邀请数",
        "csat_average": "平均分", "csat_none": "暂无评分。",
        "presence": "状态", "presence_online": "在线", "presence_away": "离开",
        "presence_offline": "离线", "set_presence": "设置",
        "supervisors": "主管", "alarms": "超时与预警", "agents": "客服",
        "load": "负载", "role": "角色", "deadline": "时限",
        "alarm_kind": "告警", "alarm_at": "时间", "warning": "预警", "breach": "超时",
        "deadline_first_reply": "首次回复", "deadline_next_reply": "下次回复", "deadline_resolution": "解决",
        "refused_page": "无权访问", "supervisors_only": "只有主管和管理员可以查看此页面。",
        "new_message": "客户有新消息。",
        "new_assignment": "有新工单分配给你。", "warned": "SLA 预警：",
        "signed_out_live": "会话已结束：请重新登录以接收实时更新。",
    },
}


def for_agent(agent: Agent) -> str:
    first = (agent.languages or "en").split(",")[0].strip()
    return first if first in TEXT else "en"


def for_browser(accept_language: str) -> str:
    return "zh" if accept_language.strip().lower().startswith("zh") else "en"
