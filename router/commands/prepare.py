"""What every command does before its own work: logging, the desk configuration, the
schema and the desk's pools and agents. What an operator must fix here (a broken desk
file, a database out of reach) is an OperatorError naming the setting."""
from __future__ import annotations

from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from config.desk import Desk, DeskConfigError, get_desk
from config.settings import Settings, get_settings
from router.commands.errors import OperatorError


def prepare(upgrade: bool = True) -> None:
    """Logging, a valid desk configuration, the schema, and the desk's pools and agents."""
    from router import logs

    settings = get_settings()
    logs.configure(settings.log_level, fmt=settings.log_format)
    desk = _desk(settings)
    if upgrade:
        from router.desk.desk_sync import sync_desk
        from router.storage.db import session_scope
        from router.storage.migrate import upgrade as migrate

        try:
            migrate()
            with session_scope() as session:
                sync_desk(session, desk)
        except (OperationalError, OSError) as exc:  # unreachable, refused, a file that cannot be made
            url = make_url(settings.database_url).render_as_string(hide_password=True)
            if isinstance(exc, OSError):
                reason = f"{exc.strerror or exc}: {exc.filename}" if exc.filename else str(exc)
            else:
                reason = str(exc.orig or exc).strip().splitlines()[0]
            raise OperatorError(f"cannot use the database (MSGROUTER_DATABASE_URL={url}): {reason}") from None


def _desk(settings: Settings) -> Desk:
    """The validated desk; a broken or unreadable file is one line naming MSGROUTER_DESK_CONFIG."""
    try:
        return get_desk()
    except DeskConfigError as exc:
        problems = "; ".join(str(exc).splitlines())
        raise OperatorError(f"invalid desk configuration (MSGROUTER_DESK_CONFIG={settings.desk_config}): "
                            f"{problems}") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise OperatorError(f"cannot read the desk configuration (MSGROUTER_DESK_CONFIG="
                            f"{settings.desk_config}): {reason}") from None
