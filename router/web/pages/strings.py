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
        "presence": "Presence", "presence_online": "Online", "presence_away": "Away",
        "presence_offline": "Offline", "set_presence": "Set",
        "supervisors": "Supervisors", "alarms": "Breaches and warnings", "agents": "Agents",
        "agent": "Agent", "load": "Load", "role": "Role", "deadline": "Deadline",
        "alarm_kind": "Alarm", "alarm_at": "When", "warning": "warning", "breach": "breach",
        "first_reply": "first reply", "next_reply": "next reply", "resolution": "resolution",
        "refused_page": "Not for you", "supervisors_only": "Only supervisors and admins see this page.",
        "new_message": "The customer wrote again.", "show": "Show",
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
        "presence": "状态", "presence_online": "在线", "presence_away": "离开",
        "presence_offline": "离线", "set_presence": "设置",
        "supervisors": "主管", "alarms": "超时与预警", "agents": "客服",
        "agent": "客服", "load": "负载", "role": "角色", "deadline": "时限",
        "alarm_kind": "告警", "alarm_at": "时间", "warning": "预警", "breach": "超时",
        "first_reply": "首次回复", "next_reply": "下次回复", "resolution": "解决",
        "refused_page": "无权访问", "supervisors_only": "只有主管和管理员可以查看此页面。",
        "new_message": "客户有新消息。", "show": "查看",
        "new_assignment": "有新工单分配给你。", "warned": "SLA 预警：",
        "signed_out_live": "会话已结束：请重新登录以接收实时更新。",
    },
}


def for_agent(agent: Agent) -> str:
    first = (agent.languages or "en").split(",")[0].strip()
    return first if first in TEXT else "en"


def for_browser(accept_language: str) -> str:
    return "zh" if accept_language.strip().lower().startswith("zh") else "en"
