"""Process settings, read from the environment (prefix `MSGROUTER_`).

Everything machine-specific or secret lives here and comes from the environment;
the desk itself (pools, routing, SLA, templates) is `desk.py`'s job.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DESK = Path(__file__).with_name("desk.toml")
DEFAULT_MODEL = Path(__file__).with_name("triage-model.npz")
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
    log_level: str = "INFO"
    # "production" refuses placeholder secrets and a relay nobody named.
    environment: str = "development"
    # Keys the agent dashboard's session cookies (nothing signs with it yet); a
    # placeholder is refused in production.
    secret_key: str = DEV_SECRET

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
    # The trained triage model (`msgrouter train` writes it); rules alone when absent.
    model_path: Path = DEFAULT_MODEL


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
    def embedded(self) -> bool:
        """True when the broker lives inside this process (`msgrouter run`)."""
        return self.broker_url.startswith("memory://")

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
