"""Schema migrations: `msgrouter db upgrade` runs Alembic's scripts shipped in `migrations/`."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

import migrations
from config.settings import get_settings


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(migrations.__file__).parent))
    # ConfigParser interpolation would choke on a '%' in a password.
    cfg.set_main_option("sqlalchemy.url", (url or get_settings().database_url).replace("%", "%%"))
    return cfg


def upgrade(url: str | None = None, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def revision(message: str, url: str | None = None) -> None:
    """Developers: generate a migration from the difference between models and database."""
    command.revision(alembic_config(url), message=message, autogenerate=True)
