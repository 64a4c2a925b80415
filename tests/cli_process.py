"""The real `msgrouter` command as a subprocess, as an operator runs it: only the
MSGROUTER_ settings a test gives, plus the tests' broker."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

COMMAND = [sys.executable, "-m", "router.cli"]


def cli_env(**settings: str) -> dict[str, str]:
    """The environment without the test run's MSGROUTER_ settings, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MSGROUTER_")}
    # Never fall back to the default Redis database of another run.
    env["MSGROUTER_BROKER_URL"] = os.environ["MSGROUTER_BROKER_URL"]
    # Rules alone: the shipped model file is not what these tests are about.
    env["MSGROUTER_MODEL_PATH"] = "/nonexistent/model"
    env.update(settings)
    return env


def msgrouter(*args: str, cwd: Path, timeout: float = 120, input: str | None = None,
              **settings: str) -> subprocess.CompletedProcess:
    """Run `msgrouter ARGS` to the end in `cwd` (where a default SQLite file would go),
    `input` (when given) on its standard input."""
    return subprocess.run([*COMMAND, *args], cwd=cwd, env=cli_env(**settings), capture_output=True,
                          text=True, timeout=timeout, input=input)


def start(*args: str, cwd: Path, log: Path, **settings: str) -> subprocess.Popen:
    """Start `msgrouter ARGS` in the background, stdout and stderr into `log`."""
    with open(log, "w") as out:
        return subprocess.Popen([*COMMAND, *args], cwd=cwd, env=cli_env(**settings), stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)
