"""A PostgreSQL and a Redis that belong to one test run, on spare ports, so fault tests can
stop, kill and restart them without touching the machine's shared servers.

Every process started here is remembered and killed at interpreter exit as well, so a
test that fails half-way (or a ^C) leaves no postmaster or redis-server behind.
"""
from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from support import free_port

_RUNNING: set[int] = set()  # pids of servers started here and not yet stopped


def _kill_leftovers() -> None:
    for pid in list(_RUNNING):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
        _RUNNING.discard(pid)


atexit.register(_kill_leftovers)


def wait_port(port: int, up: bool = True, timeout: float = 20.0) -> None:
    """Wait until 127.0.0.1:`port` accepts connections (or, with up=False, refuses them)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                if up:
                    return
        except OSError:
            if not up:
                return
        time.sleep(0.05)
    raise TimeoutError(f"port {port} still {'closed' if up else 'open'} after {timeout}s")


def _server_user() -> list[str]:
    """initdb and postgres refuse to run as root: run them as the postgres account then."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise RuntimeError("running as root needs a 'postgres' account for initdb/pg_ctl") from None
    return ["runuser", "-u", "postgres", "--"]


class PrivatePostgres:
    """A PostgreSQL cluster in a temporary directory: `start`, `stop` (a crash by default),
    `start` again on the same port and data."""

    def __init__(self) -> None:
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="msgrouter-faults-pg-"))
        self.data = self.root / "data"
        self._as = _server_user()
        if self._as:
            # The temporary directory is root's (0700): hand it to the account that runs the server.
            account = pwd.getpwnam("postgres")
            os.chown(self.root, account.pw_uid, account.pw_gid)
        self._run(["initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync",
                   "-E", "UTF8", "--locale=C"])

    def _run(self, args: list[str], timeout: float = 60) -> None:
        done = subprocess.run([*self._as, *args], capture_output=True, text=True, timeout=timeout)
        if done.returncode:
            raise RuntimeError(f"{args[0]} failed ({done.returncode}): {done.stderr.strip()[-800:]}")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _pid(self) -> int | None:
        try:
            return int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def start(self) -> None:
        # fsync=off: the machine does not crash in these tests, only the server does, and
        # what a committed transaction wrote is in the kernel's page cache by then.
        options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(["pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "server.log"),
                   "-w", "-t", "30", "start"])
        pid = self._pid()
        if pid:
            _RUNNING.add(pid)

    def stop(self, mode: str = "immediate") -> None:
        """Stop the server. "immediate" is a crash: sessions cut, recovery on the next start."""
        pid = self._pid()
        self._run(["pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop"])
        _RUNNING.discard(pid or -1)

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def close(self) -> None:
        pid = self._pid()
        if pid:
            try:
                self.stop()
            except (RuntimeError, subprocess.TimeoutExpired):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            _RUNNING.discard(pid)
        shutil.rmtree(self.root, ignore_errors=True)


class PrivateRedis:
    """A redis-server on a spare port. Without `appendonly` it keeps nothing across a
    restart: every queued task and doorbell flag dies with it, the worst a broker can do."""

    def __init__(self, appendonly: bool = False) -> None:
        self.port = free_port()
        self.appendonly = appendonly
        self.root = Path(tempfile.mkdtemp(prefix="msgrouter-faults-redis-"))
        self._proc: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "yes" if self.appendonly else "no", "--dir", str(self.root)]
        with open(self.root / "server.log", "ab") as log:
            self._proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        _RUNNING.add(self._proc.pid)
        try:
            wait_port(self.port)
        except TimeoutError:
            self.kill()
            raise

    def kill(self) -> None:
        """SIGKILL: the server vanishes mid-command, as a crashed or OOM-killed Redis does."""
        self._end(signal.SIGKILL)

    def stop(self) -> None:
        """SIGTERM: a clean shutdown (with appendonly, the log is flushed first)."""
        self._end(signal.SIGTERM)

    def _end(self, sig: int) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(sig)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        _RUNNING.discard(proc.pid)

    def close(self) -> None:
        self.kill()
        shutil.rmtree(self.root, ignore_errors=True)
