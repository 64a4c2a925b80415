"""`msgrouter train`: train the triage model from labelled files; with
`--with-corrections`, from agents' corrections too, promoted only if no worse on the
frozen evaluation file (router/classify/retrain.py)."""
from __future__ import annotations

from pathlib import Path

import typer

from config.settings import get_settings
from router.commands.prepare import prepare


def train(jsonl: list[Path] = typer.Option([], "--jsonl", exists=True, dir_okay=False,
                                           help="labelled records (category, urgency); may repeat"),
          with_corrections: bool = typer.Option(False, "--with-corrections",
                                                help="add agents' corrections from the database and promote "
                                                     "the new model only if no worse on the frozen file"),
          frozen: Path | None = typer.Option(None, "--frozen", exists=True, dir_okay=False,
                                             help="with --with-corrections; default MSGROUTER_FROZEN_EVAL_PATH"),
          output: Path | None = typer.Option(None, "--output", "-o", help="default: MSGROUTER_MODEL_PATH")) -> None:
    """Train the triage model; `msgrouter run` and the workers load it at start."""
    from router.classify import train as train_model
    from router.classify.files import RecordError, check_labels, read_jsonl

    settings = get_settings()
    if with_corrections and not jsonl:
        jsonl = list(settings.retrain_files)
    records: list[dict] = []
    try:
        for path in jsonl:
            found = read_jsonl(path, need=("text", "category", "urgency"))
            check_labels(found, path)
            records += found
        frozen_path = frozen or settings.frozen_eval_path
        frozen_records = read_jsonl(frozen_path, need=("text", "category", "urgency", "language")) \
            if with_corrections else []
    except (RecordError, OSError) as exc:
        typer.echo(f"msgrouter: {exc}", err=True)
        raise typer.Exit(2) from None
    path = output or settings.model_path
    if with_corrections:
        from router.classify.retrain import retrain

        prepare()
        try:
            typer.echo(retrain(records, frozen_records, frozen_path, path).format())
        except ValueError as exc:      # nothing to train on
            typer.echo(f"msgrouter: {exc}", err=True)
            raise typer.Exit(2) from None
        return
    if not records:
        typer.echo("msgrouter: nothing to train on: give --jsonl FILE and/or --with-corrections", err=True)
        raise typer.Exit(2)
    train_model(records, path)
    typer.echo(f"trained on {len(records)} records; model written to {path}")
