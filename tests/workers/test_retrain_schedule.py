"""Beat runs `msgrouter.retrain` on the configured interval (default daily), and not
at all with MSGROUTER_RETRAIN_SECONDS=0; the task is registered under its name."""
from __future__ import annotations

import os
import subprocess
import sys


def _schedule(**env: str) -> str:
    code = ("from workers.app import app; import workers.tasks; "
            "print(app.conf.beat_schedule.get('retrain')); print('msgrouter.retrain' in app.tasks)")
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MSGROUTER_")} | env
    return subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, text=True,
                          timeout=60, check=True).stdout


def test_retrain_is_scheduled_daily_by_default():
    out = _schedule()
    assert "'task': 'msgrouter.retrain'" in out and "'schedule': 86400.0" in out, out
    assert out.strip().endswith("True")


def test_retrain_interval_is_a_setting_and_zero_turns_it_off():
    assert "'schedule': 3600.0" in _schedule(MSGROUTER_RETRAIN_SECONDS="3600")
    assert _schedule(MSGROUTER_RETRAIN_SECONDS="0").startswith("None")
