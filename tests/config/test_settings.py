"""The production secret-key check: outside development, settings refuse to load without a
real MSGROUTER_SECRET_KEY (unset, blank, or the development placeholder), and say which
setting is wrong; a proper key loads, and development runs on the placeholder."""
from __future__ import annotations

import secrets

import pytest
from pydantic import ValidationError

from config.settings import DEV_SECRET

# Production also needs a named relay (tests/config/test_production.py); naming one here
# leaves the secret-key check as the only reason a load below can fail.
RELAY = "smtp.relay.example"


def _refused(load, **env: str | None) -> None:
    with pytest.raises(ValidationError) as refused:
        load(relay_host=RELAY, **env)
    assert "MSGROUTER_SECRET_KEY" in str(refused.value), "refused, but not for its secret key"


def test_production_without_a_secret_key_does_not_load(load):
    _refused(load, environment="production", secret_key=None)


def test_production_refuses_the_development_placeholder(load):
    _refused(load, environment="production", secret_key=DEV_SECRET)


def test_production_refuses_a_blank_secret_key(load):
    # `MSGROUTER_SECRET_KEY=` in an env file is a key nobody set, not a key.
    _refused(load, environment="production", secret_key="  ")


def test_production_is_recognised_however_it_is_capitalised(load):
    _refused(load, environment="Production", secret_key=None)


def test_production_loads_with_a_proper_key_where_the_placeholder_fails(load):
    key = secrets.token_urlsafe(32)
    assert load(environment="production", secret_key=key, relay_host=RELAY).secret_key == key
    _refused(load, environment="production", secret_key=DEV_SECRET)


def test_development_runs_on_the_placeholder_that_production_refuses(load):
    assert load(environment=None, secret_key=None).secret_key == DEV_SECRET
    assert load(environment="development", secret_key=None).environment == "development"
    _refused(load, environment="production", secret_key=None)
