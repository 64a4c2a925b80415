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
        "load": "Load per agent", "presence": "Presence", "presence_online": "online",
        "presence_away": "away", "presence_offline": "offline", "open_of_capacity": "Open / capacity",
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
        "load": "客服负载", "presence": "在线状态", "presence_online": "在线",
        "presence_away": "离开", "presence_offline": "离线", "open_of_capacity": "处理中 / 上限",
    },
}


def for_agent(agent: Agent) -> str:
    first = (agent.languages or "en").split(",")[0].strip()
    return first if first in TEXT else "en"


def for_browser(accept_language: str) -> str:
    return "zh" if accept_language.strip().lower().startswith("zh") else "en"
