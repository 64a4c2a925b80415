"""Process settings, read from the environment (prefix `MSGROUTER_`).

Everything machine-specific or secret lives here and comes from the environment;
the desk itself (pools, routing, SLA, templates) is `desk.py`'s job.
"""
from __future__ import annotations

import base64
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DESK = Path(__file__).with_name("desk.toml")
DEFAULT_MODEL = Path(__file__).with_name("triage-model.npz")
DEFAULT_EXAMPLES = Path(__file__).with_name("triage-examples.jsonl")
DEFAULT_FROZEN_EVAL = Path(__file__).with_name("triage-frozen-eval.jsonl")
DEV_SECRET = "dev-only-insecure-secret-key"
# Values that stand for "not set yet": the development default and .env.example's.
PLACEHOLDER_SECRETS = ("", DEV_SECRET, "change-me")


class Settings(BaseSettings):
    # Errors never echo the input: it holds the secret key and the relay password.
    model_config = SettingsConfigDict(env_prefix="MSGROUTER_", extra="ignore", hide_input_in_errors=True)

    # SQLAlchemy URL. Default: a SQLite file under ./var (created on first use).
    database_url: str = "sqlite:///./var/msgrouter.db"
    # Celery broker. "memory://" runs the broker and a worker inside `msgrouter run`.
    broker_url: str = "memory://localhost/"
    # Redis used for doorbell coalescing; defaults to the broker when that is Redis.
    redis_url: str | None = None

    # Our SMTP server (inbound mail).
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 2525
    # Largest message the SMTP server takes, in bytes (larger: 552).
    smtp_max_message_bytes: int = 25 * 1024 * 1024
    # Largest attachment kept, in bytes; larger ones are listed but not stored.
    max_attachment_bytes: int = 5 * 1024 * 1024
    # SMTP abuse limits, counted inside the one SMTP server process (README, "SMTP limits").
    # Connections open at once from one IP address; one more is answered 421 and closed.
    smtp_max_connections_per_ip: int = Field(default=20, ge=1)
    # Recipients of one message; the next RCPT is answered 452.
    smtp_max_recipients: int = Field(default=20, ge=1)
    # Messages (MAIL FROM) per envelope sender address, and per IP address, within the
    # window; over either, MAIL is answered 451 4.7.1 and the sender's server retries later.
    smtp_messages_per_sender: int = Field(default=30, ge=1)
    smtp_messages_per_ip: int = Field(default=300, ge=1)
    smtp_rate_window_seconds: int = Field(default=600, ge=1)
    # Parsing one mail (MIME and HTML) runs in a worker process and is stopped after this
    # many seconds; the mail is then stored from a cheaper reading, with a note saying so.
    email_parse_timeout_seconds: float = Field(default=10.0, gt=0)
    # Worker processes parsing mail for the SMTP server.
    email_parse_processes: int = Field(default=2, ge=1)
    # HTML characters laid out as text per mail, over all its parts; past it, HTML is
    # reduced to its words (laying HTML out costs far more per character than reading it).
    email_html_budget_chars: int = Field(default=2_000_000, ge=0)

    # Outbound relay for replies and acknowledgements.
    relay_host: str = "127.0.0.1"
    relay_port: int = 1025
    relay_username: str | None = None
    relay_password: str | None = None
    relay_starttls: bool = False
    relay_timeout_seconds: float = 20.0
    # Domain of our own Message-IDs, and the From address of outgoing mail.
    mail_domain: str = "msgrouter.local"
    mail_from: str = "support@pinecone.example"

    # The web app (dashboard, API, webhooks).
    web_host: str = "127.0.0.1"
    web_port: int = 8000
    # Largest request body the web app reads, in bytes; a larger one gets 413.
    max_request_bytes: int = Field(default=1024 * 1024, ge=1)
    # Requests one API token may make, in the notation of the `limits` library
    # ("300/minute", "10/second;300/minute"); over it: 429 with Retry-After.
    api_rate_limit: str = "300/minute"
    log_level: str = "INFO"
    # "text": one human line per event (the console); "json": one JSON object per line.
    log_format: Literal["text", "json"] = "text"
    # "production" refuses placeholder secrets and a relay nobody named.
    environment: str = "development"
    # Signs the agent dashboard's session cookies (router/web/pages/session.py); a
    # placeholder is refused in production.
    secret_key: str = DEV_SECRET
    # A dashboard session ends after this many seconds without a request (each page seen
    # renews it), and the browser is told to forget the cookie then too.
    session_idle_seconds: int = Field(default=8 * 3600, ge=60)
    # Send the session cookie only over HTTPS; on by default in production.
    session_https_only: bool | None = None

    # The desk configuration file (pools, agents, routing, SLA, templates).
    desk_config: Path = DEFAULT_DESK
    # How many pending messages one drain claims at a time.
    drain_batch: int = Field(default=200, ge=1, le=5000)
    # A claimed message whose worker has not finished after this many seconds is claimed again.
    # A worker sending a batch renews its claim every third of this, between mails, so this
    # must exceed the longest single mail (a few times relay_timeout_seconds at worst).
    claim_lease_seconds: int = Field(default=60, ge=1)
    # Outbound mail is retried with exponential backoff: the first wait, doubling up to the
    # cap (seconds), each wait shortened by up to `jitter` of itself at random so that rows
    # failed together do not all come back at once; after `delivery_retry_hours` of failed
    # attempts a mail is parked (kept, listed, `msgrouter replay --outbound ID`), never failed
    # for good by an outage.
    delivery_backoff_first_seconds: float = Field(default=30.0, gt=0)
    delivery_backoff_max_seconds: float = Field(default=1800.0, gt=0)
    delivery_backoff_jitter: float = Field(default=0.2, ge=0, lt=1)
    delivery_retry_hours: float = Field(default=48.0, gt=0)
    # Pending messages older than this are re-announced by tick (lost doorbells).
    rering_after_seconds: int = 60
    # How often beat runs tick.
    tick_seconds: float = 5.0
    # Telegram (channels/telegram). No token: the channel is off. The token and the webhook
    # secret are secrets: never logged (the Bot API URL holds the token, so httpx's request
    # lines are kept below the log level).
    telegram_token: str | None = None
    # Telegram sends it in X-Telegram-Bot-Api-Secret-Token; `set-webhook` registers it.
    telegram_webhook_secret: str | None = None
    # python-telegram-bot's `base_url` (the token is appended); files come from the same
    # server under /file/bot<token>. Point it at a stand-in for tests and demos.
    telegram_base_url: str = "https://api.telegram.org/bot"
    # WeChat official account (channels/wechat). No token: the channel is off. The token,
    # the app secret and the AES key are secrets: never logged (the API URLs carry the
    # access token and, for /cgi-bin/token, the secret, so errors are reworded).
    # The server-configuration token WeChat signs every call with.
    wechat_token: str | None = None
    wechat_app_id: str | None = None
    wechat_app_secret: str | None = None
    # The EncodingAESKey (43 characters); set, the channel runs in safe mode.
    wechat_aes_key: str | None = None
    # Where /cgi-bin/token and /cgi-bin/message/custom/send live. Point it at a stand-in
    # for tests and demos.
    wechat_api_base: str = "https://api.weixin.qq.com"

    # The trained triage model (`msgrouter train` writes it); rules alone when absent.
    model_path: Path = DEFAULT_MODEL
    # `msgrouter train --with-corrections` and its scheduled run: what it learns from
    # beside agents' corrections (JSON list of paths), the frozen file a new model must
    # score no worse on, and how often beat runs it, in seconds (0: never; embedded
    # `msgrouter run` never schedules it: training takes minutes of a core).
    retrain_files: list[Path] = [DEFAULT_EXAMPLES]
    frozen_eval_path: Path = DEFAULT_FROZEN_EVAL
    retrain_seconds: float = Field(default=86400.0, ge=0)

    # In-app chat: the app's backend signs each customer id with this key
    # (hex HMAC-SHA256); unset, the chat is off and every connection is refused.
    chat_secret: str | None = None
    # Longest chat message taken, in characters; longer ones get an error frame.
    chat_max_message_chars: int = Field(default=4000, ge=1, le=100_000)
    # Messages one chat connection may send ("N per M seconds", the `limits` notation).
    chat_rate_limit: str = "10 per 10 seconds"
    # Each connected chat socket also looks for undelivered replies this often, in seconds
    # (a lost announcement costs at most this long).
    chat_poll_seconds: float = Field(default=15.0, gt=0)
    # /chat/demo signs demo customers for anybody: unset, it is on only on the embedded
    # development desk (`msgrouter run`); it can never be on in production.
    chat_demo: bool | None = None
    # The website form: submissions per client IP, and per email address.
    form_rate_per_ip: str = "10 per hour"
    form_rate_per_address: str = "5 per hour"

    # Customer satisfaction (router/csat/ratings.py): on resolution the customer is asked for a
    # rating (1-5 and a comment) through their channel; "off" asks nobody.
    csat: bool = True
    # How long a rating link (and Telegram's reply window) stays open, in days (may be a fraction).
    csat_link_days: float = Field(default=14.0, gt=0)
    # Ratings posted from one client IP (the /csat page), in the `limits` notation.
    csat_rate_per_ip: str = "30 per hour"
    # The address customers reach this desk's web app at; links in messages start with it.
    public_url: str = "http://127.0.0.1:8000"

    @model_validator(mode="after")
    def _no_chat_demo_in_production(self) -> Settings:
        if self.production and self.chat_demo:
            raise ValueError("MSGROUTER_CHAT_DEMO cannot be on in production: the demo page signs "
                             "chat identities for anybody")
        return self
    # An existing mailbox `msgrouter imap` reads (IMAP is off without a host).
    imap_host: str | None = None
    # Default: 993 with tls=ssl, 143 otherwise.
    imap_port: int | None = Field(default=None, ge=1, le=65535)
    imap_user: str = ""
    # Never logged, never stored: a SecretStr prints as '**********'.
    imap_password: SecretStr | None = None
    imap_mailbox: str = "INBOX"
    # "ssl" (implicit TLS, port 993), "starttls" (port 143, upgraded) or "off" (plain; loopback only).
    imap_tls: Literal["ssl", "starttls", "off"] = "ssl"
    # Seconds between two looks at the mailbox.
    imap_poll_seconds: float = Field(default=60.0, gt=0)
    # What is done to a mail once it is stored: moved to this folder (created when missing),
    # or, when empty, given the flag below (a system flag such as \Seen or a keyword).
    imap_move_to: str = ""
    imap_mark: str = "\\Seen"
    # Socket timeout for the IMAP connection, in seconds.
    imap_timeout_seconds: float = Field(default=30.0, gt=0)


    @field_validator("api_rate_limit", "chat_rate_limit", "form_rate_per_ip", "form_rate_per_address",
                     "csat_rate_per_ip")
    @classmethod
    def _rate_limit_parses(cls, value: str, info: ValidationInfo) -> str:
        """Every rate is written as the `limits` library reads it ('300/minute', '10 per
        hour', or several separated by ';'): refused at start-up, named, when it is not."""
        from limits import parse_many

        try:
            parse_many(value)
        except ValueError:
            name = f"MSGROUTER_{(info.field_name or '').upper()}"
            raise ValueError(f"{name}: not a rate such as '10 per hour' or '300/minute': {value!r}") from None
        return value

    @field_validator("wechat_aes_key")
    @classmethod
    def _aes_key_is_one(cls, value: str | None) -> str | None:
        # wechat: a wrong EncodingAESKey would fail every push; say so at start-up instead.
        # It is 43 characters of base64 for a 32-byte AES key.
        try:
            valid = not value or (len(value) == 43 and len(base64.b64decode(value + "=", validate=True)) == 32)
        except ValueError:  # binascii.Error is one
            valid = False
        if not valid:
            raise ValueError("MSGROUTER_WECHAT_AES_KEY: an EncodingAESKey is 43 characters of base64 "
                             "(copy it from the official account's server configuration)")
        return value

    @field_validator("secret_key")
    @classmethod
    def _no_dev_secret_in_production(cls, value: str, info) -> str:
        # An empty variable is a key nobody set, and "Production" is production too.
        production = str(info.data.get("environment", "")).strip().lower() == "production"
        if production and value.strip().lower() in PLACEHOLDER_SECRETS:
            raise ValueError("MSGROUTER_SECRET_KEY must be set in production, to a secret of your own "
                             "(not blank, not a placeholder)")
        return value

    @model_validator(mode="after")
    def _named_relay_in_production(self) -> Settings:
        # The default relay is a local mail sink: in production customer mail would
        # vanish into it, so the relay must be named.
        if self.production and ("relay_host" not in self.model_fields_set or not self.relay_host.strip()):
            raise ValueError("MSGROUTER_RELAY_HOST must name the outbound SMTP relay in production")
        return self

    @property
    def production(self) -> bool:
        return self.environment.strip().lower() == "production"

    @property
    def imap_on(self) -> bool:
        return bool(self.imap_host and self.imap_host.strip())

    @property
    def imap_account(self) -> str:
        """user@host:port: names the mailbox in logs and in the cursor, never the password."""
        port = self.imap_port or (993 if self.imap_tls == "ssl" else 143)
        return f"{self.imap_user}@{(self.imap_host or '').strip()}:{port}"

    @property
    def embedded(self) -> bool:
        """True when the broker lives inside this process (`msgrouter run`)."""
        return self.broker_url.startswith("memory://")

    @property
    def chat_demo_on(self) -> bool:
        if self.production:
            return False
        return self.chat_demo if self.chat_demo is not None else self.embedded

    @property
    def doorbell_redis_url(self) -> str | None:
        if self.redis_url:
            return self.redis_url
        if self.broker_url.startswith(("redis://", "rediss://")):
            return self.broker_url
        return None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
