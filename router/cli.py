"""The `msgrouter` command: run everything in one process, or each part on its own."""
from __future__ import annotations

import sys
from pathlib import Path

import typer

from config.settings import get_settings
from router.commands.errors import CommandGroup, OperatorError, listening
from router.commands.imap import imap
from router.commands.passwd import passwd
from router.commands.prepare import prepare
from router.commands.replay import replay
from router.commands.servers import serve_web, start_smtp, wait_for_signal, web_socket
from router.commands.telegram import telegram_app
from router.commands.tokens import token
from router.commands.train import train

# Plain help (rich_markup_mode=None): the rich layout prints a `<bool>` type beside every flag.
# No locals in tracebacks: they could hold a customer's mail or a token.
app = typer.Typer(help="msgrouter: a multichannel message router for support desks.",
                  cls=CommandGroup, no_args_is_help=True, add_completion=False,
                  rich_markup_mode=None, pretty_exceptions_show_locals=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(db_app, name="db")
app.add_typer(telegram_app, name="telegram")


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"msgrouter {version('msgrouter')}")
        raise typer.Exit()


@app.callback()
def main_options(_: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                        help="Print the version and exit.")) -> None:
    """msgrouter: a multichannel message router for support desks."""


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the schema migrations (Alembic) to MSGROUTER_DATABASE_URL and sync the desk."""
    prepare(upgrade=True)
    typer.echo("database schema at head; pools and agents synced from the desk configuration")


@app.command()
def run(workers: int = typer.Option(4, help="worker threads")) -> None:
    """Everything in one process: SQLite, in-process broker and worker, SMTP and web."""
    from channels.email.server import make_controller
    from workers.embedded import EmbeddedWorker

    settings = get_settings()
    prepare()
    # Both ports first: a port in use is reported before anything has started.
    sock = web_socket(settings)
    smtp = make_controller(settings)
    try:
        start_smtp(smtp, settings)
    except OperatorError:
        sock.close()
        raise
    worker = EmbeddedWorker(concurrency=workers, tick_seconds=settings.tick_seconds)
    worker.start()
    imap_stop = _start_imap(settings)
    typer.echo(f"msgrouter is running\n"
               f"  database   {settings.database_url}\n"
               f"  broker     {settings.broker_url} (worker in this process, {workers} threads)\n"
               f"  SMTP in    {settings.smtp_host}:{settings.smtp_port}  "
               f"(mailboxes: {', '.join(sorted(_mailboxes()))})\n"
               f"  SMTP out   relay {settings.relay_host}:{settings.relay_port}\n"
               f"  web / API  http://{settings.web_host}:{settings.web_port}  (docs at /docs)\n"
               f"  Telegram   {_telegram_line(settings)}\n"
               f"  WeChat     {_wechat_line(settings)}\n"
               f"  API token  msgrouter token alice")
    if imap_stop is not None:
        typer.echo(f"  IMAP in    {settings.imap_account}/{settings.imap_mailbox} "
                   f"every {settings.imap_poll_seconds:g} s")
    try:
        serve_web(sock, settings)
    finally:
        if imap_stop is not None:
            imap_stop.set()
        smtp.stop()
        worker.stop()


def _telegram_line(settings) -> str:
    if not settings.telegram_token:
        return "off (MSGROUTER_TELEGRAM_TOKEN)"
    return f"webhook POST /channels/telegram/webhook, Bot API {settings.telegram_base_url}"


def _start_imap(settings):
    """With MSGROUTER_IMAP_HOST set, `run` reads that mailbox too, in a thread of its own."""
    if not settings.imap_on:
        return None
    import threading

    from channels.email.imap import poll_forever

    stop = threading.Event()
    threading.Thread(target=poll_forever, args=(stop, settings), daemon=True, name="imap").start()
    return stop


def _wechat_line(settings) -> str:
    if not settings.wechat_token:
        return "off (MSGROUTER_WECHAT_TOKEN)"
    mode = "safe mode" if settings.wechat_aes_key else "plain mode"
    return f"GET/POST /channels/wechat ({mode}), API {settings.wechat_api_base}"


def _mailboxes() -> frozenset[str]:
    from config.desk import get_desk

    return get_desk().mailbox_addresses()


@app.command()
def web() -> None:
    """The web app (agent API) alone."""
    settings = get_settings()
    prepare(upgrade=False)
    serve_web(web_socket(settings), settings)


@app.command()
def smtp() -> None:
    """The SMTP server alone."""
    from channels.email.server import make_controller

    settings = get_settings()
    prepare(upgrade=False)
    controller = make_controller(settings)
    start_smtp(controller, settings)
    typer.echo(f"SMTP listening on {settings.smtp_host}:{settings.smtp_port}")
    wait_for_signal()
    controller.stop()


@app.command()
def sink(host: str = typer.Option("127.0.0.1", help="address to listen on"),
         port: int | None = typer.Option(None, show_default=False,
                                         help="port to listen on [default: MSGROUTER_RELAY_PORT, else 1025]")) -> None:
    """A readable mail sink for development: prints every mail it receives, decoded.

    It stands in for the relay (MSGROUTER_RELAY_HOST/_PORT): headers with RFC 2047 decoded,
    the charset and the text part, as the customer would read them."""
    from channels.email.sink import make_sink
    from router import logs

    # Where msgrouter sends: a desk run with MSGROUTER_RELAY_PORT set found no sink on 1025.
    port = port or get_settings().relay_port
    logs.configure("WARNING")
    controller = make_sink(host, port)
    with listening("the sink", host, port, "--port"):
        controller.start()
    typer.echo(f"sink listening on {host}:{port}; every mail received is printed here", err=True)
    wait_for_signal()
    controller.stop()


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def worker(ctx: typer.Context) -> None:
    """A Celery worker; every argument after `worker` goes unchanged to `celery worker`.

    For example `msgrouter worker --pool threads --concurrency 4`; `celery worker --help`
    lists them all. --loglevel defaults to MSGROUTER_LOG_LEVEL."""
    from celery.bin.celery import celery as celery_command

    prepare(upgrade=False)
    # `celery --app workers.app worker ...` as click runs it, because that hands back the
    # worker's exit status: app.worker_main() drops it, so a worker that stopped on an
    # "Unrecoverable error" exited 0, and a supervisor (systemd's Restart=on-failure) took
    # that for a clean stop and left the desk without a worker.
    status = celery_command.main(["--app", "workers.app", "worker", "--loglevel", get_settings().log_level,
                                  *ctx.args], standalone_mode=False)
    raise typer.Exit(status if isinstance(status, int) else 0)


@app.command()
def beat() -> None:
    """Celery beat: runs `tick` every MSGROUTER_TICK_SECONDS."""
    from workers.app import app as celery_app

    prepare(upgrade=False)
    Path("var").mkdir(exist_ok=True)
    celery_app.start(["beat", "--loglevel", get_settings().log_level])


app.command()(token)
app.command()(passwd)
app.command()(imap)


app.command()(replay)


@app.command("classify")
def classify_file(jsonl: list[Path] = typer.Option(..., "--jsonl", exists=True, dir_okay=False,
                                                   help="one JSON object per line, with text (and subject, "
                                                        "channel); may repeat: the files are read as one"),
                  evaluate: bool = typer.Option(False, "--eval", help="score against the labels in the file"),
                  folds: int = typer.Option(0, "--folds", min=0,
                                            help="with --eval: k-fold cross-validation, training on the file"),
                  train_extra: list[Path] = typer.Option([], "--train-extra", exists=True, dir_okay=False,
                                                         help="with --folds: labelled records every fold also "
                                                              "trains on, never scored; may repeat"),
                  errors: bool = typer.Option(False, "--errors",
                                              help="with --folds: list missed and false criticals (redacted)"),
                  output: Path | None = typer.Option(None, "--output", "-o", help="write lines here, not stdout"),
                  model_path: Path | None = typer.Option(None, "--model", help="default: MSGROUTER_MODEL_PATH")) \
        -> None:
    """Classify every record of a JSONL file: one JSON line out per record, redacted."""
    import json

    from router.classify import load_model
    from router.classify.files import RecordError, classify_records, read_jsonl, score

    if train_extra and not (evaluate and folds):
        typer.echo("msgrouter: --train-extra needs --eval --folds N (it only feeds the cross-validation)", err=True)
        raise typer.Exit(2)
    if evaluate and folds:
        from router.classify import evaluate as cross_validate
        from router.classify.files import check_labels

        try:
            records = []
            for path in jsonl:
                found = read_jsonl(path, need=("text", "category", "urgency", "language"))
                check_labels(found, path)
                records += found
            extra = []
            for path in train_extra:
                found = read_jsonl(path, need=("text", "category", "urgency"))
                check_labels(found, path)
                extra += found
            typer.echo(cross_validate(records, k=folds, extra=extra, show_errors=errors).format())
        except (RecordError, ValueError) as exc:
            typer.echo(f"msgrouter: {exc}", err=True)
            raise typer.Exit(2) from None
        return
    try:
        records = [record for path in jsonl for record in read_jsonl(path)]
        model = load_model(model_path or get_settings().model_path)
        outputs = list(classify_records(records, model))
        title = f"triage of {len(outputs)} records in {', '.join(map(str, jsonl))} against their labels"
        report = score(records, outputs, "rules+model" if model else "rules only", title) if evaluate else None
    except (RecordError, ValueError) as exc:
        typer.echo(f"msgrouter: {exc}", err=True)
        raise typer.Exit(2) from None
    lines = "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in outputs)
    if output:
        output.write_text(lines, encoding="utf-8")
    elif not evaluate:
        sys.stdout.write(lines)
    if report is not None:
        typer.echo(report.format())


app.command()(train)


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
