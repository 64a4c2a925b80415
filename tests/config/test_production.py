"""Production settings: a relay must be named (the default is a local mail sink, where
customer mail would vanish), placeholder secrets are refused, and a refusal is one
line naming the variable, without echoing any secret."""
from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest
from pydantic import ValidationError

KEY = secrets.token_urlsafe(32)


def test_production_without_a_named_relay_does_not_load(load):
    with pytest.raises(ValidationError) as refused:
        load(environment="production", secret_key=KEY, relay_host=None)
    assert "MSGROUTER_RELAY_HOST" in str(refused.value)


def test_production_refuses_a_blank_relay(load):
    with pytest.raises(ValidationError, match="MSGROUTER_RELAY_HOST"):
        load(environment="production", secret_key=KEY, relay_host=" ")


def test_production_loads_with_a_named_relay(load):
    settings = load(environment="production", secret_key=KEY, relay_host="smtp.relay.example")
    assert settings.relay_host == "smtp.relay.example"


def test_development_uses_the_local_sink_without_naming_it(load):
    assert load(environment=None, relay_host=None).relay_host == "127.0.0.1"


def test_production_refuses_the_env_example_placeholder(load):
    with pytest.raises(ValidationError, match="MSGROUTER_SECRET_KEY"):
        load(environment="production", secret_key="change-me", relay_host="smtp.relay.example")


def test_a_refusal_never_echoes_the_secrets(load, monkeypatch):
    # Short values and no other settings: pydantic shortens long inputs in its errors,
    # which would hide an echo.
    for name in [n for n in os.environ if n.startswith("MSGROUTER_")]:
        monkeypatch.delenv(name)
    password, key = f"pw{secrets.token_hex(3)}", f"k{secrets.token_hex(3)}"
    with pytest.raises(ValidationError) as refused:
        load(environment="production", secret_key=key, relay_host=None, relay_password=password)
    assert password not in str(refused.value) and key not in str(refused.value)


def test_the_cli_refuses_to_start_with_one_line_naming_the_relay(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MSGROUTER_")}
    env |= {"MSGROUTER_ENVIRONMENT": "production", "MSGROUTER_SECRET_KEY": KEY,
            "MSGROUTER_DATABASE_URL": f"sqlite:///{tmp_path}/m.db"}
    done = subprocess.run([sys.executable, "-m", "router.cli", "db", "upgrade"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "MSGROUTER_RELAY_HOST" in lines[0], done.stderr
    assert KEY not in done.stderr
