"""Process settings, read from the environment (prefix `MSGROUTER_`).

Everything machine-specific or secret lives here and comes from the environment;
the desk itself (pools, routing, SLA, templates) is `desk.py`'s job.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DESK = Path(__file__).with_name("desk.toml")
DEFAULT_MODEL = Path(__file__).with_name("triage-model.npz")
DEV_SECRET = "dev-only-insecure-secret-key"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MSGROUTER_", extra="ignore")

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
    # "production" refuses the development secret key.
    environment: str = "development"
    # Signs sessions and links. Must be set outside development.
    secret_key: str = DEV_SECRET

    # The desk configuration file (pools, agents, routing, SLA, templates).
    desk_config: Path = DEFAULT_DESK
    # How many pending messages one drain claims at a time.
    drain_batch: int = Field(default=200, ge=1, le=5000)
    # A claimed message whose worker has not finished after this many seconds is claimed again.
    claim_lease_seconds: int = 60
    # Pending messages older than this are re-announced by tick (lost doorbells).
    rering_after_seconds: int = 60
    # How often beat runs tick.
    tick_seconds: float = 5.0
    # The trained triage model (`msgrouter train` writes it); rules alone when absent.
    model_path: Path = DEFAULT_MODEL


    @field_validator("secret_key")
    @classmethod
    def _no_dev_secret_in_production(cls, value: str, info) -> str:  # noqa: ANN001
        if info.data.get("environment") == "production" and value == DEV_SECRET:
            raise ValueError("MSGROUTER_SECRET_KEY must be set in production")
        return value

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
