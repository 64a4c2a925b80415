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
        "rating": "Customer rating", "rating_asked": "asked", "rating_none": "not rated yet",
        "rating_title": "How did we do?", "rating_question": "How satisfied are you with our help on request #{id}?",
        "rating_poor": "poor", "rating_excellent": "excellent", "rating_comment": "Comment (optional)",
        "rating_send": "Send rating", "rating_thanks": "Thank you for your rating.",
        "rating_already": "This request has been rated already. Thank you.",
        "rating_pick": "Choose a rating from 1 to 5.", "rating_too_long": "The comment is too long.",
        "rating_invalid": "This rating link is not valid. Please use the link from our message as it is.",
        "rating_expired": "This rating link has expired.",
        "rating_busy": "Too many ratings from your network; please try again later.",
        "rating_no_secrets": "Never write your recovery phrase, private key or password here.",
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
        "rating": "客户评分", "rating_asked": "已邀请", "rating_none": "尚未评分",
        "rating_title": "请为我们的服务评分", "rating_question": "您对请求 #{id} 的处理满意吗？",
        "rating_poor": "很差", "rating_excellent": "很好", "rating_comment": "意见（可选）",
        "rating_send": "提交评分", "rating_thanks": "感谢您的评分。",
        "rating_already": "该请求已评分，谢谢。",
        "rating_pick": "请选择 1 到 5 分。", "rating_too_long": "意见过长。",
        "rating_invalid": "评分链接无效，请直接使用我们消息中的链接。",
        "rating_expired": "评分链接已过期。",
        "rating_busy": "您的网络提交过于频繁，请稍后再试。",
        "rating_no_secrets": "请勿在此填写助记词、私钥或密码。",
    },
}


def for_agent(agent: Agent) -> str:
    first = (agent.languages or "en").split(",")[0].strip()
    return first if first in TEXT else "en"


def for_browser(accept_language: str) -> str:
    return "zh" if accept_language.strip().lower().startswith("zh") else "en"
