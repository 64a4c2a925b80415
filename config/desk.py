"""The desk configuration (`desk.toml`): pools, demo agents, routing, SLA policy,
acknowledgement templates and macros, validated at start-up with errors that name the key."""
from __future__ import annotations

import re
import string
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from config.durations import Duration, parse_duration  # noqa: F401  (parse_duration: the desk's API)
from config.macros import Macro, check_macro_names
from config.sla import ALWAYS_OPEN, DEFAULT_SLA, Calendar, SlaRule

CATEGORIES = ("security", "transaction", "account", "technical", "complaint",
              "promotion", "policy", "feedback", "general")
URGENCIES = ("critical", "high", "normal", "low")
CHANNELS = ("email", "telegram", "chat", "webform", "wechat")  # wechat: its SLA rows may name it
LANGUAGES = ("zh", "en", "other")
# Who may do what is router/web/access.py; README "Roles" has the table.
ROLES = ("agent", "supervisor", "admin")
Role = Literal["agent", "supervisor", "admin"]



class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DeskInfo(Strict):
    name: str
    default_language: str = "en"


class Mailbox(Strict):
    address: str

    @model_validator(mode="after")
    def _looks_like_address(self) -> Mailbox:
        if "@" not in self.address:
            raise ValueError(f"not an email address: {self.address!r}")
        return self


class Pool(Strict):
    description: str = ""
    escalation: str | None = None
    # The business calendar its business-time targets walk through ("24x7" is always open).
    calendar: str = ALWAYS_OPEN


class Agent(Strict):
    name: str = Field(pattern=r"^[a-z0-9_.-]+$")
    display_name: str = ""
    email: str = ""
    pools: list[str]
    languages: list[str] = ["zh", "en"]
    capacity: int = Field(default=10, ge=0, le=1000)
    # agent: their pools' work only; supervisor: every pool's; admin: that and agents' tokens.
    role: Role = "agent"


class RoutingRule(Strict):
    category: str
    pool: str
    language: str = "*"


# What an acknowledgement may say about the case. Nothing the sender wrote (their
# display name, their subject) is offered: anyone can send us mail in anyone's name, and
# the acknowledgement would carry their text to that address under our name.
TEMPLATE_FIELDS = frozenset({"conversation_id", "desk_name", "due_human"})


class Template(Strict):
    subject: str
    body: str
    secret_notice: str
    # The answer to a chat opened without a question (Telegram's /start): no case is opened.
    greeting: str = "{desk_name}: write your question here and a member of our team will answer."

    @field_validator("subject", "body", "secret_notice")
    @classmethod
    def _known_fields(cls, text: str) -> str:
        return _known_fields(text)


def _known_fields(text: str) -> str:
    try:
        fields = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
    except ValueError as exc:
        raise ValueError(f"not a template: {exc}") from None
    unknown = sorted(fields - TEMPLATE_FIELDS)
    if unknown:
        raise ValueError(f"unknown placeholder {{{unknown[0]}}}; the templates may use "
                         + ", ".join(f"{{{f}}}" for f in sorted(TEMPLATE_FIELDS)))
    return text


class StatusTemplate(Strict):
    """The status update an agent may send on marking a conversation investigating: the
    acknowledgement's placeholders, nothing the customer wrote."""

    subject: str
    body: str

    @field_validator("subject", "body")
    @classmethod
    def _known_fields(cls, text: str) -> str:
        return _known_fields(text)


class StatusUpdate(Strict):
    templates: dict[str, StatusTemplate]


class Acknowledgement(Strict):
    max_per_customer: int = Field(default=3, ge=0)
    window: Duration = 6 * 3600
    # Mailbox providers that ignore dots in the local part, and domains that are another's.
    dotless_domains: list[str] = ["gmail.com", "googlemail.com"]
    domain_aliases: dict[str, str] = {"googlemail.com": "gmail.com"}
    templates: dict[str, Template]


class Threading(Strict):
    # A sender's mail that names no conversation joins the one they opened this recently.
    same_sender_window: Duration = 3600


class Attachments(Strict):
    # What intake does with a file it cannot read for secrets (an image, a PDF, an
    # archive): "drop" keeps its name, type and size only; "keep_images" also keeps
    # images; "keep" keeps every file. Files that read as text are always kept, redacted.
    unreadable: Literal["drop", "keep_images", "keep"] = "drop"


class Desk(Strict):
    desk: DeskInfo
    mailboxes: list[Mailbox]
    pools: dict[str, Pool]
    agents: list[Agent] = []
    routing: list[RoutingRule]
    sla: list[SlaRule] = list(DEFAULT_SLA)
    calendars: dict[str, Calendar] = {}
    acknowledgement: Acknowledgement
    # Optional: without it an agent may still mark investigating, but send no update.
    status_update: StatusUpdate | None = None
    threading: Threading = Threading()
    attachments: Attachments = Attachments()
    # Canned replies agents insert into a draft, by name (config/macros.py).
    macros: dict[str, Macro] = {}

    @model_validator(mode="after")
    def _cross_references(self) -> Desk:
        _check_names(self)
        return self

    def mailbox_addresses(self) -> frozenset[str]:
        return frozenset(m.address.lower() for m in self.mailboxes)

    def route(self, category: str, language: str) -> tuple[str, int]:
        """The pool for a category and language, and the index of the rule that chose it."""
        for index, rule in enumerate(self.routing):
            if rule.category in ("*", category) and rule.language in ("*", language):
                return rule.pool, index
        raise LookupError(f"no routing rule matches category {category!r}")

    def sla_for(self, urgency: str, channel: str, pool: str | None = None) -> tuple[SlaRule, int]:
        """The first [[sla]] rule for the urgency and channel (and pool, where a rule names one)."""
        for index, rule in enumerate(self.sla):
            if (rule.urgency in ("*", urgency) and rule.channel in ("*", channel)
                    and rule.pool in ("*", pool)):
                return rule, index
        raise LookupError(f"no SLA rule matches urgency {urgency!r} on {channel!r}")


def _check_names(desk: Desk) -> None:
    """Every pool, category, urgency and language named anywhere must exist."""
    def fail(key: str, message: str) -> None:
        raise ValueError(f"{key}: {message}")

    pools = desk.pools
    for name, pool in pools.items():
        if pool.escalation is not None and pool.escalation not in pools:
            fail(f"pools.{name}.escalation", f"unknown pool {pool.escalation!r}")
    for i, agent in enumerate(desk.agents):
        for pool_name in agent.pools:
            if pool_name not in pools:
                fail(f"agents[{i}].pools", f"unknown pool {pool_name!r}")
        for lang in agent.languages:
            if lang not in LANGUAGES:
                fail(f"agents[{i}].languages", f"unknown language {lang!r}")
    for i, rule in enumerate(desk.routing):
        if rule.pool not in pools:
            fail(f"routing[{i}].pool", f"unknown pool {rule.pool!r}")
        if rule.category != "*" and rule.category not in CATEGORIES:
            fail(f"routing[{i}].category", f"unknown category {rule.category!r}")
        if rule.language != "*" and rule.language not in LANGUAGES:
            fail(f"routing[{i}].language", f"unknown language {rule.language!r}")
    if not any(r.category == "*" and r.language == "*" for r in desk.routing):
        fail("routing", "needs a final catch-all rule with category = \"*\"")
    for name, pool in pools.items():
        if pool.calendar != ALWAYS_OPEN and pool.calendar not in desk.calendars:
            fail(f"pools.{name}.calendar", f"unknown calendar {pool.calendar!r}")
    if ALWAYS_OPEN in desk.calendars:
        fail(f"calendars.{ALWAYS_OPEN}", "is built in (always open) and cannot be redefined")
    for i, sla in enumerate(desk.sla):
        if sla.pool != "*" and sla.pool not in pools:
            fail(f"sla[{i}].pool", f"unknown pool {sla.pool!r}")
        if sla.channel != "*" and sla.channel not in CHANNELS:
            fail(f"sla[{i}].channel", f"unknown channel {sla.channel!r}")
        if sla.urgency != "*" and sla.urgency not in URGENCIES:
            fail(f"sla[{i}].urgency", f"unknown urgency {sla.urgency!r}")
    if not any(r.channel == "*" and r.urgency == "*" for r in desk.sla):
        fail("sla", "needs a final catch-all rule with channel = \"*\" and urgency = \"*\"")
    if desk.desk.default_language not in desk.acknowledgement.templates:
        fail("acknowledgement.templates", f"no template for the default language "
             f"{desk.desk.default_language!r}")
    if desk.status_update is not None and desk.desk.default_language not in desk.status_update.templates:
        fail("status_update.templates", f"no template for the default language "
             f"{desk.desk.default_language!r}")
    check_macro_names(list(desk.macros))


class DeskConfigError(ValueError):
    """The desk configuration is wrong; the message names the file and the key."""


def _format(path: Path, error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        key = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in item["loc"])
        key = key.replace(".[", "[")
        message = item["msg"].removeprefix("Value error, ")
        # A cross-reference check names its own key ("routing[2].pool: unknown pool ...").
        named = not key and re.match(r"^[\w.\[\]-]+: ", message)
        lines.append(f"{path.name}: {message}" if named else f"{path.name}: {key or '(top level)'}: {message}")
    return "\n".join(lines)


def load_desk(path: Path) -> Desk:
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DeskConfigError(f"desk configuration not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise DeskConfigError(f"{Path(path).name}: not valid TOML: {exc}") from None
    try:
        return Desk.model_validate(data)
    except ValidationError as exc:
        raise DeskConfigError(_format(Path(path), exc)) from None


@lru_cache(maxsize=4)
def get_desk(path: Path | None = None) -> Desk:
    from config.settings import get_settings

    return load_desk(path or get_settings().desk_config)
