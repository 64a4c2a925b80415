"""`msgrouter telegram ...`: long polling, and registering the webhook with Telegram."""
from __future__ import annotations

import asyncio
import re
import signal

import typer

from config.settings import get_settings
from router.commands.errors import OperatorError
from router.commands.prepare import prepare

telegram_app = typer.Typer(help="The Telegram channel (MSGROUTER_TELEGRAM_TOKEN).", no_args_is_help=True,
                           rich_markup_mode=None)
# What Telegram accepts as a webhook secret (setWebhook's secret_token).
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def _token() -> None:
    if not get_settings().telegram_token:
        raise OperatorError("the Telegram channel is off: set MSGROUTER_TELEGRAM_TOKEN to the bot's token")


@telegram_app.command()
def poll(timeout: int = typer.Option(25, min=0, max=50, help="seconds each getUpdates long poll waits")) -> None:
    """Take updates by long polling (getUpdates) instead of the webhook, until Ctrl-C."""
    from channels.telegram import bot as tg
    from channels.telegram.poll import poll as run_poll

    _token()
    prepare(upgrade=False)

    async def session(bot) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        # Telegram serves getUpdates only while no webhook is set (as python-telegram-bot's
        # own polling does, the webhook is removed; set-webhook puts it back).
        if await bot.delete_webhook():
            typer.echo("telegram: webhook removed (if one was set); polling", err=True)
        typer.echo(f"telegram: polling {get_settings().telegram_base_url} as @{bot.username}; Ctrl-C stops",
                   err=True)
        polled = await run_poll(bot, stop, timeout=timeout)
        typer.echo(f"telegram: stopped after {polled.updates} updates ({polled.stored} new messages stored)",
                   err=True)

    tg.run(session)


@telegram_app.command("set-webhook")
def set_webhook(url: str = typer.Argument(..., help="the public HTTPS URL of /channels/telegram/webhook")) -> None:
    """Tell Telegram to POST updates to URL, with MSGROUTER_TELEGRAM_WEBHOOK_SECRET."""
    from channels.telegram import bot as tg
    from channels.telegram.poll import ALLOWED

    _token()
    secret = get_settings().telegram_webhook_secret or ""
    if not _SECRET.match(secret):
        raise OperatorError("MSGROUTER_TELEGRAM_WEBHOOK_SECRET must be set, 1-256 characters of A-Z, a-z, 0-9, "
                            "_ and - (Telegram's rule for the secret token)")
    prepare(upgrade=False)

    async def register(bot) -> bool:
        return await bot.set_webhook(url, secret_token=secret, allowed_updates=ALLOWED)

    tg.run(register)
    typer.echo(f"telegram: webhook set to {url} (with the secret token from MSGROUTER_TELEGRAM_WEBHOOK_SECRET)")
