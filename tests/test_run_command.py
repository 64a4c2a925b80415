"""`msgrouter run` as a new user starts it: one process, no configuration but ports,
SQLite, the in-process broker and worker. The README walk-through, driven by a test."""
from __future__ import annotations

import os
import signal
import smtplib
import subprocess
import sys

import httpx

from support import Sink, free_port, make_email, wait_for


def test_run_serves_the_readme_walkthrough(tmp_path):
    smtp_port, web_port = free_port(), free_port()
    with Sink() as sink, open(tmp_path / "run.log", "w") as log:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MSGROUTER_")}
        env.update(MSGROUTER_SMTP_PORT=str(smtp_port), MSGROUTER_WEB_PORT=str(web_port),
                   MSGROUTER_RELAY_PORT=str(sink.port), MSGROUTER_TICK_SECONDS="1")
        proc = subprocess.Popen([sys.executable, "-m", "router.cli", "run"], cwd=tmp_path, env=env,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            base = f"http://127.0.0.1:{web_port}"
            wait_for(lambda: _up(base), timeout=60, what="msgrouter run to listen")
            banner = (tmp_path / "run.log").read_text()
            assert f"127.0.0.1:{smtp_port}" in banner and f"http://127.0.0.1:{web_port}" in banner
            assert (tmp_path / "var" / "msgrouter.db").exists(), "SQLite under ./var by default"

            with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as client:
                client.send_message(make_email(sender="wei@example.com", subject="提现一直未到账",
                                               text="你好，我昨天提现的 500 USDT 到现在还没有到账，请帮忙查一下。"))
            wait_for(lambda: sink.messages, timeout=30, what="the acknowledgement")

            token = subprocess.run([sys.executable, "-m", "router.cli", "token", "alice"], cwd=tmp_path,
                                   env=env, capture_output=True, text=True, check=True).stdout.strip()
            headers = {"Authorization": f"Bearer {token}"}
            pools = httpx.get(f"{base}/api/pools", headers=headers).json()
            busy = next(p["name"] for p in pools if p["open"])
            row = httpx.get(f"{base}/api/pools/{busy}/queue", headers=headers).json()[0]
            assert row["assignee"] and row["due_at"]
            reply = httpx.post(f"{base}/api/conversations/{row['id']}/reply", headers=headers,
                               json={"text": "您好，我们正在核查。"})
            assert reply.status_code == 201
            wait_for(lambda: len(sink.messages) >= 2, timeout=30, what="the reply")
            assert "核查" in sink.parsed()[1].get_content()
        finally:
            os.killpg(proc.pid, signal.SIGINT)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def _up(base: str) -> bool:
    try:
        return httpx.get(base + "/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
